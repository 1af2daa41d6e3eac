import { describe, expect, it } from "vitest";
import {
  daysLeft,
  dueAt,
  expiredThreshold,
  mostUrgentDue,
  nextReminderAt,
  scheduleOf,
  thresholdLabel,
  type ExpiryPoint,
} from "../../src/domain/reminder-schedule.ts";
import { dayIn, endOfDayIn } from "../../src/domain/expiry.ts";

const days = [30, 14, 7, 3, 1, 0];
/** An expiry day chosen in `timeZone`, as the create and rotate forms make it. */
const chosen = (day: string, timeZone: string): ExpiryPoint => ({ expiresAt: endOfDayIn(day, timeZone), timeZone });
const iso = (expiry: ExpiryPoint, threshold: number) => dueAt(expiry, threshold).toISOString();

describe("reminder schedule", () => {
  const expiry = chosen("2027-01-31", "UTC"); // 2027-01-31T23:59:59.999Z

  it("puts each threshold at the start of the day d days before the expiry day", () => {
    expect(iso(expiry, 0)).toBe("2027-01-31T00:00:00.000Z");
    expect(iso(expiry, 1)).toBe("2027-01-30T00:00:00.000Z");
    expect(iso(expiry, 30)).toBe("2027-01-01T00:00:00.000Z");
    expect(iso(expiry, expiredThreshold)).toBe(expiry.expiresAt.toISOString());
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
    expect(mostUrgentDue(expiry, new Date(now), days)).toBe(expected);
  });

  it("schedules the next reminder after the one just posted, skipping those already past", () => {
    const now = new Date("2027-01-29T10:00:00Z"); // 3 is due; 1, 0 and expired are ahead
    expect(nextReminderAt(expiry, now, days, 3)?.toISOString()).toBe("2027-01-30T00:00:00.000Z");
    expect(nextReminderAt(expiry, now, days, 0)?.toISOString()).toBe(expiry.expiresAt.toISOString());
    expect(nextReminderAt(expiry, now, days, expiredThreshold)).toBeNull();
    expect(nextReminderAt(null, now, days)).toBeNull();
  });

  it("a new expiry already inside a reminder window is due at once, not at the next threshold", () => {
    // A GitHub token added with 2 days left: the 3-day threshold is already due, so the next pass
    // posts it, instead of waiting for the day before the expiry.
    const now = new Date("2027-01-29T10:00:00Z");
    const first = nextReminderAt(expiry, now, days);
    expect(first!.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(mostUrgentDue(expiry, first!, days)).toBe(3);
    // Outside every window, the first reminder waits for the first threshold.
    expect(nextReminderAt(chosen("2027-06-30", "UTC"), now, days)?.toISOString()).toBe("2027-05-31T00:00:00.000Z");
  });

  it.each<[string, string, number, string]>([
    // New York falls back on 2026-11-01 (a 25-hour day) and springs forward on 2026-03-08 (23 hours).
    ["America/New_York", "2026-11-03", 1, "2026-11-02T05:00:00.000Z"],
    ["America/New_York", "2026-11-03", 3, "2026-10-31T04:00:00.000Z"],
    ["America/New_York", "2026-11-01", 0, "2026-11-01T04:00:00.000Z"],
    ["America/New_York", "2026-03-10", 3, "2026-03-07T05:00:00.000Z"],
    ["America/New_York", "2026-03-10", 1, "2026-03-09T04:00:00.000Z"],
    // Berlin falls back on 2026-10-25 and springs forward on 2026-03-29.
    ["Europe/Berlin", "2026-10-26", 1, "2026-10-24T22:00:00.000Z"],
    ["Europe/Berlin", "2026-10-26", 0, "2026-10-25T23:00:00.000Z"],
    ["Europe/Berlin", "2026-03-30", 3, "2026-03-26T23:00:00.000Z"],
    ["Europe/Berlin", "2026-03-30", 0, "2026-03-29T22:00:00.000Z"],
    // Auckland (UTC+13 in summer) falls back on 2027-04-04; Kiritimati is UTC+14 all year.
    ["Pacific/Auckland", "2027-04-05", 3, "2027-04-01T11:00:00.000Z"],
    ["Pacific/Auckland", "2027-04-05", 0, "2027-04-04T12:00:00.000Z"],
    ["Pacific/Kiritimati", "2027-01-31", 0, "2027-01-30T10:00:00.000Z"],
    ["Pacific/Kiritimati", "2027-01-31", 30, "2026-12-31T10:00:00.000Z"],
  ])("in %s, an expiry on %s reaches threshold %i at local midnight, %s", (timeZone, day, threshold, expected) => {
    expect(iso(chosen(day, timeZone), threshold)).toBe(expected);
  });

  it("is at local midnight on both sides of a daylight-saving change, with an injected clock", () => {
    const expiry = chosen("2026-11-03", "America/New_York");
    expect(mostUrgentDue(expiry, new Date("2026-10-31T03:59:59.999Z"), days)).toBe(7); // 23:59:59 on Oct 30 in New York
    expect(mostUrgentDue(expiry, new Date("2026-10-31T04:00:00.000Z"), days)).toBe(3); // midnight, Oct 31 (EDT)
    expect(mostUrgentDue(expiry, new Date("2026-11-02T04:59:59.999Z"), days)).toBe(3); // 23:59:59 on Nov 1 (EST)
    expect(mostUrgentDue(expiry, new Date("2026-11-02T05:00:00.000Z"), days)).toBe(1);
    expect(nextReminderAt(expiry, new Date("2026-10-31T04:00:00.000Z"), days, 3)?.toISOString()).toBe("2026-11-02T05:00:00.000Z");
  });

  it("counts an instant in UTC days, and keeps the offset of an instant that ends a day", () => {
    const instant: ExpiryPoint = { expiresAt: new Date("2027-01-31T12:00:00.000Z"), timeZone: null };
    expect(iso(instant, 0)).toBe("2027-01-31T00:00:00.000Z");
    expect(iso(instant, 1)).toBe("2027-01-30T00:00:00.000Z");
    expect(iso(instant, expiredThreshold)).toBe("2027-01-31T12:00:00.000Z");
    // The end of a day at UTC-5 (a row from before zones were kept): that offset's midnights.
    const dayEnd: ExpiryPoint = { expiresAt: new Date("2026-11-02T04:59:59.999Z"), timeZone: null };
    expect(iso(dayEnd, 0)).toBe("2026-11-01T05:00:00.000Z");
    expect(iso(dayEnd, 3)).toBe("2026-10-29T05:00:00.000Z");
  });

  it("counts the local days left, as a late reminder says them", () => {
    expect(daysLeft(expiry, new Date("2027-01-29T10:00:00Z"))).toBe(2); // the 3-day threshold is due, but 2 days are left
    expect(daysLeft(expiry, new Date("2027-01-31T00:00:00Z"))).toBe(0);
    expect(daysLeft(expiry, new Date("2027-01-30T23:59:59.999Z"))).toBe(1);
    expect(daysLeft(expiry, new Date("2027-02-01T00:00:00Z"))).toBe(expiredThreshold);
    const newYork = chosen("2026-11-03", "America/New_York");
    expect(daysLeft(newYork, new Date("2026-10-31T03:59:59.999Z"))).toBe(4);
    expect(daysLeft(newYork, new Date("2026-10-31T04:00:00.000Z"))).toBe(3);
    expect(daysLeft(newYork, new Date("2026-11-02T04:30:00.000Z"))).toBe(2); // 23:30 on Nov 1, after the 25-hour day
  });

  it("counts the same instant in the zone its day was chosen in", () => {
    // 2027-01-31T22:59:59.999Z ends 31 January in Paris; in New York it is 17:59 that day.
    const at = new Date("2027-01-31T22:59:59.999Z");
    expect(iso({ expiresAt: at, timeZone: "Europe/Paris" }, 0)).toBe("2027-01-30T23:00:00.000Z");
    expect(iso({ expiresAt: at, timeZone: "America/New_York" }, 0)).toBe("2027-01-31T05:00:00.000Z");
    // Given as an instant, it ends a day at UTC+1 and keeps that offset's midnights.
    expect(iso({ expiresAt: at, timeZone: null }, 0)).toBe("2027-01-30T23:00:00.000Z");
  });

  it("counts an expiry whose zone the runtime does not know like an instant", () => {
    // A row keeps its zone; should tzdata drop it, reminders still fall due (at that offset's midnights).
    const dayEnd = new Date("2026-11-02T04:59:59.999Z");
    expect(iso({ expiresAt: dayEnd, timeZone: "Mars/Olympus" }, 0)).toBe("2026-11-01T05:00:00.000Z");
    expect(iso({ expiresAt: dayEnd, timeZone: "Mars/Olympus" }, 3)).toBe("2026-10-29T05:00:00.000Z");
  });

  it("after downtime, schedules past every threshold that went by unposted", () => {
    // The 7-day reminder was posted; the 3- and 1-day thresholds passed while nothing ran.
    const now = new Date("2027-01-30T10:00:00Z");
    expect(nextReminderAt(expiry, now, days, 7)?.toISOString()).toBe("2027-01-31T00:00:00.000Z");
    expect(nextReminderAt(expiry, new Date("2027-02-02T00:00:00Z"), days, 7)).toBeNull();
  });

  it("has expired from the expiry instant itself", () => {
    expect(daysLeft(expiry, new Date(expiry.expiresAt.getTime() - 1))).toBe(0);
    expect(daysLeft(expiry, expiry.expiresAt)).toBe(expiredThreshold);
  });

  it("counts days left as calendar days in the chosen zone, across daylight-saving changes at midnight", () => {
    // Each zone changes its clocks at or next to midnight within the 10 days before the expiry day.
    const cases: [string, string][] = [
      ["America/Santiago", "2026-04-08"], // falls back at 24:00 on 4 April
      ["America/Santiago", "2026-09-10"], // springs forward at 24:00 on 5 September
      ["America/Havana", "2026-03-12"], // springs forward at 00:00 on 8 March
      ["America/Havana", "2026-11-04"], // falls back at 01:00 on 1 November
      ["Asia/Beirut", "2026-03-31"], // springs forward at 00:00 on 29 March
      ["Asia/Beirut", "2026-10-27"], // falls back at 00:00 on 25 October
      ["UTC", "2027-01-31"],
    ];
    const failures: string[] = [];
    for (const [zone, day] of cases) {
      const expiry = chosen(day, zone);
      const end = expiry.expiresAt.getTime();
      for (let t = end - 10 * 86_400_000; t < end; t += 15 * 60_000) {
        for (const now of [t, t - 1]) {
          const expected = (Date.parse(day) - Date.parse(dayIn(new Date(now), zone))) / 86_400_000;
          const got = daysLeft(expiry, new Date(now));
          if (got !== expected) failures.push(`${zone} ${day} at ${new Date(now).toISOString()}: ${got}, not ${expected}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("counts days left to an instant in UTC days, whatever its time of day", () => {
    // An expiry at noon: late the evening before, one day is left; from midnight, none.
    const noon: ExpiryPoint = { expiresAt: new Date("2027-01-31T12:00:00.000Z"), timeZone: null };
    expect(daysLeft(noon, new Date("2027-01-30T23:00:00.000Z"))).toBe(1);
    expect(daysLeft(noon, new Date("2027-01-30T11:00:00.000Z"))).toBe(1);
    expect(daysLeft(noon, new Date("2027-01-29T23:59:59.999Z"))).toBe(2);
    expect(daysLeft(noon, new Date("2027-01-31T00:00:00.000Z"))).toBe(0);
    expect(daysLeft(noon, new Date("2027-01-31T11:59:59.999Z"))).toBe(0);
  });

  it("names thresholds for people", () => {
    expect([30, 1, 0, -1].map(thresholdLabel)).toEqual(["expires in 30 days", "expires tomorrow", "expires today", "has expired"]);
  });
});
