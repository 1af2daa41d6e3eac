import { describe, expect, it } from "vitest";
import { isoWeekOf, latestSlot, nextSlot, wallHourIn } from "../../src/domain/digest-schedule.ts";

describe("digest slots", () => {
  const ny = { weekday: 1, hour: 9, timeZone: "America/New_York" };

  it("keeps the hour local across a daylight-saving change (a week of 169 hours in New York in November)", () => {
    const before = nextSlot(ny, new Date("2026-10-26T00:00:00Z"));
    expect(before.dueAt.toISOString()).toBe("2026-10-26T13:00:00.000Z"); // 09:00 EDT
    const after = nextSlot(ny, before.dueAt);
    expect(after.dueAt.toISOString()).toBe("2026-11-02T14:00:00.000Z"); // 09:00 EST
    expect(after.dueAt.getTime() - before.dueAt.getTime()).toBe(169 * 3600_000);
    // An hour before it (what 09:00 EDT would have been), the November digest is not due yet.
    expect(latestSlot(ny, new Date("2026-11-02T13:30:00Z")).week).toBe(before.week);
    expect(latestSlot(ny, new Date("2026-11-02T14:00:00Z")).week).toBe(after.week);
  });

  it("keeps it local in spring too (Paris, a week of 167 hours)", () => {
    const paris = { weekday: 1, hour: 9, timeZone: "Europe/Paris" };
    const a = nextSlot(paris, new Date("2027-03-22T00:00:00Z"));
    const b = nextSlot(paris, a.dueAt);
    expect([a.dueAt.toISOString(), b.dueAt.toISOString()]).toEqual(["2027-03-22T08:00:00.000Z", "2027-03-29T07:00:00.000Z"]);
  });

  it("posts an hour skipped by the clocks springing forward at the first hour after the gap, never not at all", () => {
    expect(wallHourIn("2026-03-08", 2, "America/New_York").toISOString()).toBe("2026-03-08T07:00:00.000Z"); // 03:00 EDT
    // An hour that happens twice: its first time.
    expect(wallHourIn("2026-11-01", 1, "America/New_York").toISOString()).toBe("2026-11-01T05:00:00.000Z");
    // Zones off the hour.
    expect(wallHourIn("2026-12-07", 9, "Asia/Kathmandu").toISOString()).toBe("2026-12-07T03:15:00.000Z");
  });

  it("names each slot by the ISO week of its local day, across year ends", () => {
    expect(isoWeekOf("2026-12-28")).toBe("2026-W53");
    expect(isoWeekOf("2027-01-03")).toBe("2026-W53");
    expect(isoWeekOf("2027-01-04")).toBe("2027-W01");
    expect(isoWeekOf("2024-12-30")).toBe("2025-W01");
    // Monday 00:30 in Tokyo is still Sunday in UTC: the week is the local day's.
    expect(latestSlot({ weekday: 1, hour: 0, timeZone: "Asia/Tokyo" }, new Date("2026-12-06T15:30:00Z")).week).toBe("2026-W50");
  });

  it("after downtime names only the latest slot, and the next is after now", () => {
    const now = new Date("2026-12-30T12:00:00Z");
    expect(latestSlot(ny, now).dueAt.toISOString()).toBe("2026-12-28T14:00:00.000Z");
    expect(nextSlot(ny, now).dueAt.toISOString()).toBe("2027-01-04T14:00:00.000Z");
    // Exactly at the slot it is due (latest), and the next is a week on.
    expect(latestSlot(ny, new Date("2026-12-28T14:00:00Z")).dueAt.toISOString()).toBe("2026-12-28T14:00:00.000Z");
    expect(nextSlot(ny, new Date("2026-12-28T14:00:00Z")).dueAt.toISOString()).toBe("2027-01-04T14:00:00.000Z");
  });
});
