import { describe, expect, it } from "vitest";
import { dueAt, expiredThreshold, mostUrgentDue, nextReminderAt, scheduleOf, thresholdLabel } from "../../src/domain/reminder-schedule.ts";
import { endOfDayIn } from "../../src/domain/expiry.ts";

const days = [30, 14, 7, 3, 1, 0];

describe("reminder schedule", () => {
  const expiresAt = endOfDayIn("2027-01-31", "UTC"); // 2027-01-31T23:59:59.999Z

  it("puts each threshold at the start of the day d days before the expiry day", () => {
    expect(dueAt(expiresAt, 0).toISOString()).toBe("2027-01-31T00:00:00.000Z");
    expect(dueAt(expiresAt, 1).toISOString()).toBe("2027-01-30T00:00:00.000Z");
    expect(dueAt(expiresAt, 30).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(dueAt(expiresAt, expiredThreshold).toISOString()).toBe(expiresAt.toISOString());
    expect(scheduleOf([1, 30, 7, 7])).toEqual([30, 7, 1, -1]);
  });

  it.each([
    ["2026-12-31T23:59:59.999Z", null],
    ["2027-01-01T00:00:00.000Z", 30],
    ["2027-01-17T00:00:00.000Z", 14],
    ["2027-01-24T12:00:00.000Z", 7],
    ["2027-01-28T00:00:00.000Z", 3],
    ["2027-01-30T08:00:00.000Z", 1],
    ["2027-01-31T23:59:59.998Z", 0],
    ["2027-01-31T23:59:59.999Z", expiredThreshold],
    ["2027-03-01T00:00:00.000Z", expiredThreshold],
  ])("at %s the most urgent due threshold is %s", (now, expected) => {
    expect(mostUrgentDue(expiresAt, new Date(now), days)).toBe(expected);
  });

  it("schedules the next reminder after the one just posted, skipping those already past", () => {
    const now = new Date("2027-01-29T10:00:00Z"); // 3 is due; 1, 0 and expired are ahead
    expect(nextReminderAt(expiresAt, now, days, 3)?.toISOString()).toBe("2027-01-30T00:00:00.000Z");
    expect(nextReminderAt(expiresAt, now, days, 0)?.toISOString()).toBe(expiresAt.toISOString());
    expect(nextReminderAt(expiresAt, now, days, expiredThreshold)).toBeNull();
    // A fresh key that expires in 5 days: the next reminder is the 3-day one, not an immediate 7-day one.
    expect(nextReminderAt(expiresAt, new Date("2027-01-26T12:00:00Z"), days)?.toISOString()).toBe("2027-01-28T00:00:00.000Z");
    expect(nextReminderAt(null, now, days)).toBeNull();
  });

  it("follows the expiry across a daylight-saving change", () => {
    // Ends 2026-11-01 in New York (a 25-hour day); the "today" reminder is 24 h before its end.
    const fallBack = endOfDayIn("2026-11-01", "America/New_York");
    expect(mostUrgentDue(fallBack, new Date("2026-11-01T04:59:59.999Z"), days)).toBe(1);
    expect(mostUrgentDue(fallBack, new Date("2026-11-01T05:00:00.000Z"), days)).toBe(0);
    const springForward = endOfDayIn("2026-03-08", "America/New_York");
    expect(dueAt(springForward, 0).toISOString()).toBe("2026-03-08T04:00:00.000Z");
    expect(mostUrgentDue(springForward, new Date("2026-03-09T03:59:59.999Z"), days)).toBe(expiredThreshold);
  });

  it("names thresholds for people", () => {
    expect([30, 1, 0, -1].map(thresholdLabel)).toEqual(["expires in 30 days", "expires tomorrow", "expires today", "has expired"]);
  });
});
