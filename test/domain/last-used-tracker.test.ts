import { describe, expect, it } from "vitest";
import { LastUsedTracker } from "../../src/domain/last-used-tracker.ts";

describe("LastUsedTracker", () => {
  it("runs one flush at a time: shutdown's flush waits for the timer's in flight, then writes what came since", async () => {
    const written: Array<Map<string, Date>> = [];
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const tracker = new LastUsedTracker({
      async recordLastUsed(batch) {
        const first = [...batch.keys()][0]!;
        events.push(`start ${first}`);
        if (first === "k1") {
          started();
          await held;
        }
        written.push(new Map(batch));
        events.push(`end ${first}`);
      },
    });
    tracker.touch("k1", new Date("2026-12-02T10:00:00Z"));
    const timer = tracker.flush();
    await firstStarted; // the timer's write is in flight
    tracker.touch("k2", new Date("2026-12-02T10:00:01Z"));
    const shutdown = tracker.flush();
    await Promise.resolve();
    expect(events).toEqual(["start k1"]);
    release();
    expect(await timer).toBe(1);
    expect(await shutdown).toBe(1);
    expect(events).toEqual(["start k1", "end k1", "start k2", "end k2"]);
    expect(written.map((m) => [...m.keys()])).toEqual([["k1"], ["k2"]]);
  });

  it("keeps the times of a failed flush for the next one", async () => {
    let failing = true;
    const written: Array<[string, Date]> = [];
    const tracker = new LastUsedTracker({
      async recordLastUsed(batch) {
        if (failing) throw new Error("database unreachable");
        written.push(...batch);
      },
    });
    const at = new Date("2026-12-02T10:00:00Z");
    tracker.touch("k1", at);
    await expect(tracker.flush()).rejects.toThrow("database unreachable");
    failing = false;
    expect(await tracker.flush()).toBe(1);
    expect(written).toEqual([["k1", at]]);
  });
});
