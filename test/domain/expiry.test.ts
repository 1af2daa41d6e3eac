import { describe, expect, it } from "vitest";
import { checkExpiryHorizon, dayAfter, dayIn, endOfDayIn, expiryFromDay, isCalendarDay, isValidTimeZone, maxExpiryYears } from "../../src/domain/expiry.ts";

describe("end of a calendar day in a time zone", () => {
  it.each([
    // US spring forward: the day has 23 hours; the evening is EDT (-04:00).
    ["2026-03-08", "America/New_York", "2026-03-09T03:59:59.999Z"],
    // US fall back: the day has 25 hours; the evening is EST (-05:00).
    ["2026-11-01", "America/New_York", "2026-11-02T04:59:59.999Z"],
    // The day before each change, for contrast.
    ["2026-03-07", "America/New_York", "2026-03-08T04:59:59.999Z"],
    ["2026-10-31", "America/New_York", "2026-11-01T03:59:59.999Z"],
    // New Zealand leaves daylight time on 2026-04-05 (+13 → +12).
    ["2026-04-05", "Pacific/Auckland", "2026-04-05T11:59:59.999Z"],
    ["2026-04-04", "Pacific/Auckland", "2026-04-04T10:59:59.999Z"],
    ["2026-06-15", "Asia/Kathmandu", "2026-06-15T18:14:59.999Z"],
    ["2026-06-15", "Pacific/Kiritimati", "2026-06-15T09:59:59.999Z"],
    ["2026-06-15", "UTC", "2026-06-15T23:59:59.999Z"],
    // Clocks fall back at 24:00: the last hour of the day happens twice; the key lives through both.
    ["2026-04-04", "America/Santiago", "2026-04-05T03:59:59.999Z"],
    ["2024-04-06", "America/Santiago", "2024-04-07T03:59:59.999Z"],
    // Clocks spring forward at 24:00 (the next midnight does not exist).
    ["2026-09-05", "America/Santiago", "2026-09-06T03:59:59.999Z"],
    // Havana and Beirut spring forward at 00:00: the next day begins at 01:00, in daylight time.
    ["2026-03-07", "America/Havana", "2026-03-08T04:59:59.999Z"],
    ["2026-03-28", "Asia/Beirut", "2026-03-28T21:59:59.999Z"],
    // Havana falls back at 01:00 to 00:00: midnight happens twice, and the day ends at the first.
    ["2026-10-31", "America/Havana", "2026-11-01T03:59:59.999Z"],
    // Beirut falls back at 00:00 to 23:00: the day ends after its repeated last hour.
    ["2026-10-24", "Asia/Beirut", "2026-10-24T21:59:59.999Z"],
    // Amman (2021) and Gaza (2020) fell back at 01:00 to 00:00: the first guess of the next
    // midnight lands on the second one, an hour late.
    ["2021-10-28", "Asia/Amman", "2021-10-28T20:59:59.999Z"],
    ["2021-10-29", "Asia/Amman", "2021-10-29T21:59:59.999Z"],
    ["2020-10-23", "Asia/Gaza", "2020-10-23T20:59:59.999Z"],
    // A leap day.
    ["2028-02-29", "Europe/Paris", "2028-02-29T22:59:59.999Z"],
  ])("%s in %s ends at %s", (day, zone, instant) => {
    expect(endOfDayIn(day, zone).toISOString()).toBe(instant);
  });

  // Zones whose clocks change at or around midnight (the hard cases), half-hour DST (Lord Howe),
  // and the usual ones; checking every IANA zone takes a minute (it passed when this was written).
  const zones = [
    "America/Santiago",
    "America/Nuuk",
    "America/Scoresbysund",
    "America/Asuncion",
    "America/Havana",
    "Asia/Beirut",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "America/New_York",
    "Pacific/Auckland",
    "Europe/London",
  ];

  it("ends exactly one millisecond before the next local day begins, every day of 2024–2026", () => {
    const failures: string[] = [];
    for (const zone of zones) {
      for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
        const day = new Date(t).toISOString().slice(0, 10);
        const end = endOfDayIn(day, zone);
        if (dayIn(end, zone) !== day || dayIn(new Date(end.getTime() + 1), zone) === day) failures.push(`${zone} ${day}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each(["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "tomorrow", ""])("refuses %j as a day", async (day) => {
    expect(() => endOfDayIn(day, "UTC")).toThrowError(expect.objectContaining({ code: "validation_failed" }));
  });

  it("says which day it refused, on the expiry field", () => {
    expect(() => endOfDayIn("2027-02-29", "UTC")).toThrowError(
      expect.objectContaining({
        code: "validation_failed",
        message: expect.stringContaining('"2027-02-29"'),
        details: { fields: { expiresOn: expect.stringMatching(/\S/) } },
      }),
    );
  });

  it.each(["Mars/Olympus", "", "EST5EDT/x"])("refuses %j as a time zone", (zone) => {
    expect(() => endOfDayIn("2026-06-01", zone)).toThrowError(
      expect.objectContaining({
        code: "invalid_time_zone",
        message: expect.stringContaining(`"${zone}"`),
        details: { fields: { timeZone: expect.stringMatching(/\S/) } },
      }),
    );
  });

  it("tells a time zone from a name that is none", () => {
    expect(["Europe/Paris", "America/Santiago", "UTC"].map(isValidTimeZone)).toEqual([true, true, true]);
    expect(["Mars/Olympus", "", "Europe/Paris "].map(isValidTimeZone)).toEqual([false, false, false]);
  });
});

describe("calendar days", () => {
  it.each(["2028-02-29", "2024-02-29", "2000-02-29", "2027-02-28", "2026-04-30", "2026-12-31", "2026-01-01"])("%s is a calendar day", (day) => {
    expect(isCalendarDay(day)).toBe(true);
  });

  it.each([
    "2027-02-29", // not a leap year
    "2100-02-29", // a century that is not a leap year
    "2028-02-30",
    "2026-04-31",
    "2026-06-00",
    "2026-00-10",
    "2026-13-01",
    "0050-01-01", // Date.UTC reads years 0–99 as 1900–1999: not taken for another day
    "x2026-06-01",
    "2026-06-01x",
    "12026-06-01",
    "2026-06-01T00:00",
  ])("%s is not", (day) => {
    expect(isCalendarDay(day)).toBe(false);
    expect(() => endOfDayIn(day, "Europe/Paris")).toThrowError(expect.objectContaining({ code: "validation_failed" }));
  });
});

describe("expiry chosen by a person", () => {
  it("accepts today in the chooser's zone even where it is already tomorrow in UTC", () => {
    // 2026-06-15 10:30 UTC is already 2026-06-16 00:30 in Kiritimati (+14).
    const now = new Date("2026-06-15T10:30:00Z");
    expect(expiryFromDay("2026-06-16", "Pacific/Kiritimati", now).toISOString()).toBe("2026-06-16T09:59:59.999Z");
    expect(() => expiryFromDay("2026-06-15", "Pacific/Kiritimati", now)).toThrowError(expect.objectContaining({ code: "expiry_in_past" }));
    // In UTC the same day is still today.
    expect(expiryFromDay("2026-06-15", "UTC", now).toISOString()).toBe("2026-06-15T23:59:59.999Z");
  });

  it("refuses a day before today in that zone with a field error", () => {
    const now = new Date("2026-11-27T12:00:00Z");
    try {
      expiryFromDay("2026-11-26", "America/New_York", now);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: "expiry_in_past",
        message: expect.stringMatching(/2026-11-26.*America\/New_York/),
        details: { fields: { expiresOn: expect.stringMatching(/\S/) } },
      });
    }
  });

  it("computes the form's default day in the person's zone", () => {
    const now = new Date("2026-11-27T23:30:00Z");
    expect(dayAfter(now, "UTC", 90)).toBe("2027-02-25");
    expect(dayAfter(now, "Asia/Kathmandu", 90)).toBe("2027-02-26");
  });
});

describe("the expiry horizon", () => {
  const now = new Date("2026-06-15T09:30:00.000Z");

  it("accepts an expiry exactly ten years ahead, to the millisecond, and refuses one a millisecond later", () => {
    expect(maxExpiryYears).toBe(10);
    const limit = new Date("2036-06-15T09:30:00.000Z");
    expect(checkExpiryHorizon(limit, now, "expiresAt")).toBe(limit);
    expect(checkExpiryHorizon(now, now, "expiresAt")).toBe(now);
    expect(() => checkExpiryHorizon(new Date(limit.getTime() + 1), now, "expiresAt")).toThrowError(
      expect.objectContaining({
        code: "validation_failed",
        message: "The expiry is at most 10 years ahead.",
        details: { fields: { expiresAt: "Choose a date before 2036-06-15." } },
      }),
    );
  });

  it("puts the error on the field it is told, and refuses a date that is not one", () => {
    expect(() => checkExpiryHorizon(new Date(Number.NaN), now, "expiresOn")).toThrowError(
      expect.objectContaining({ code: "validation_failed", details: { fields: { expiresOn: "Choose a date before 2036-06-15." } } }),
    );
  });

  it("counts ten calendar years from a leap day: 29 February 2028 reaches 1 March 2038", () => {
    const leapNow = new Date("2028-02-29T12:00:00.000Z");
    expect(checkExpiryHorizon(new Date("2038-03-01T12:00:00.000Z"), leapNow, "expiresAt").toISOString()).toBe("2038-03-01T12:00:00.000Z");
    expect(() => checkExpiryHorizon(new Date("2038-03-01T12:00:00.001Z"), leapNow, "expiresAt")).toThrowError(
      expect.objectContaining({ details: { fields: { expiresAt: "Choose a date before 2038-03-01." } } }),
    );
  });

  it("leaves any expiry in the past to other rules", () => {
    const past = new Date("2016-06-15T09:29:59.999Z");
    expect(checkExpiryHorizon(past, now, "expiresAt")).toBe(past);
  });
});
