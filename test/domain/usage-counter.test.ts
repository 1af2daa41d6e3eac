import { describe, expect, it } from "vitest";
import type { KeyUsageRepository, KeyUseCount } from "../../src/domain/repositories.ts";
import { dayString, UsageCounter, usageRowsPerStatement, utcDay } from "../../src/domain/usage-counter.ts";
import { ManualClock } from "../support/fixed-runtime.ts";

/** A repository that remembers what it was asked to write, and fails when told to. */
function fakeUsage() {
  const rows = new Map<string, number>();
  const calls: KeyUseCount[][] = [];
  const pruned: number[] = [];
  let failing = false;
  let pruneFailing = false;
  const repo: Pick<KeyUsageRepository, "add" | "prune"> = {
    async add(counts) {
      calls.push([...counts]);
      if (failing) throw new Error("database unreachable");
      for (const c of counts) rows.set(`${c.keyId}|${dayString(c.day)}`, (rows.get(`${c.keyId}|${dayString(c.day)}`) ?? 0) + c.count);
    },
    async prune(beforeDay) {
      pruned.push(beforeDay);
      if (pruneFailing) throw new Error("database unreachable");
      return 0;
    },
  };
  return { repo, rows, calls, pruned, fail: (on: boolean) => (failing = on), failPrune: (on: boolean) => (pruneFailing = on) };
}

describe("UsageCounter", () => {
  it("counts per key and UTC day across midnight, and writes them all in one call", async () => {
    const clock = new ManualClock(new Date("2026-12-01T23:59:59.500Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    for (let i = 0; i < 3; i++) counter.count("T1", "k1", clock.now());
    counter.count("T1", "k2", clock.now());
    clock.advance(1000); // 00:00:00.500 the next day, UTC
    for (let i = 0; i < 2; i++) counter.count("T1", "k1", clock.now());
    expect(counter.size).toBe(2);
    expect(await counter.flush()).toBe(3);
    expect(usage.calls).toHaveLength(1);
    expect(Object.fromEntries(usage.rows)).toEqual({ "k1|2026-12-01": 3, "k1|2026-12-02": 2, "k2|2026-12-01": 1 });
    expect(counter.size).toBe(0);
    // Nothing pending: no write at all.
    expect(await counter.flush()).toBe(0);
    expect(usage.calls).toHaveLength(1);
  });

  it("keeps the counts of a failed flush and writes them, with what came since, on the next", async () => {
    const clock = new ManualClock(new Date("2026-12-02T10:00:00Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    for (let i = 0; i < 5; i++) counter.count("T1", "k1", clock.now());
    usage.fail(true);
    await expect(counter.flush()).rejects.toThrow("database unreachable");
    expect(usage.rows.size).toBe(0);
    expect(counter.size).toBe(1);
    counter.count("T1", "k1", clock.now());
    usage.fail(false);
    expect(await counter.flush()).toBe(1);
    expect(usage.calls.at(-1)).toEqual([{ workspaceId: "T1", keyId: "k1", day: utcDay(clock.now()), count: 6 }]);
    expect(Object.fromEntries(usage.rows)).toEqual({ "k1|2026-12-02": 6 });
  });

  it("deletes rows past 90 days once per UTC day, and retries a failed delete on the next call", async () => {
    const clock = new ManualClock(new Date("2026-12-02T10:00:00Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    await counter.pruneIfDue();
    await counter.pruneIfDue();
    clock.set("2026-12-02T23:59:59Z");
    await counter.pruneIfDue();
    expect(usage.pruned.map(dayString)).toEqual(["2026-09-04"]); // today and the 89 days before are kept
    clock.set("2026-12-03T00:00:01Z");
    usage.failPrune(true);
    await expect(counter.pruneIfDue()).rejects.toThrow("database unreachable");
    usage.failPrune(false);
    await counter.pruneIfDue();
    await counter.pruneIfDue();
    expect(usage.pruned.map(dayString)).toEqual(["2026-09-04", "2026-09-05", "2026-09-05"]);
  });

  it("counts without allocating per use once a key is pending (a Map of Maps)", () => {
    const counter = new UsageCounter(fakeUsage().repo, new ManualClock(new Date("2026-12-02T10:00:00Z")));
    const at = new Date("2026-12-02T10:00:00Z");
    counter.count("T1", "k1", at);
    const pending = (counter as unknown as { pending: Map<string, { days: Map<number, number> }> }).pending;
    const days = pending.get("k1")!.days;
    for (let i = 0; i < 10_000; i++) counter.count("T1", "k1", at);
    expect(pending.get("k1")!.days).toBe(days);
    expect([...days]).toEqual([[utcDay(at), 10_001]]);
  });
  it("writes a large backlog in statements of usageRowsPerStatement rows, and keeps only the rows not written when one fails", async () => {
    const clock = new ManualClock(new Date("2026-12-02T10:00:00Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    const keys = usageRowsPerStatement * 2 + 500;
    for (let i = 0; i < keys; i++) counter.count("T1", `k${i}`, clock.now());
    const add = usage.repo.add;
    let calls = 0;
    usage.repo.add = async (counts) => {
      if (++calls === 2) throw new Error("connection reset");
      return add(counts);
    };
    await expect(counter.flush()).rejects.toThrow("connection reset");
    expect(usage.calls.map((c) => c.length)).toEqual([usageRowsPerStatement]);
    expect(usage.rows.size).toBe(usageRowsPerStatement);
    expect(counter.size).toBe(keys - usageRowsPerStatement); // the first statement's rows are not kept twice
    expect(await counter.flush()).toBe(keys - usageRowsPerStatement);
    expect(usage.calls.slice(1).map((c) => c.length)).toEqual([usageRowsPerStatement, 500]);
    expect(usage.rows.size).toBe(keys);
    expect([...usage.rows.values()].every((n) => n === 1)).toBe(true);
  });

  it("runs one flush at a time: a flush asked for while one is in flight (shutdown's) waits for it and then writes what came since", async () => {
    const clock = new ManualClock(new Date("2026-12-02T10:00:00Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    const add = usage.repo.add;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const events: string[] = [];
    usage.repo.add = async (counts) => {
      events.push(`start ${counts[0]!.keyId}`);
      if (counts[0]!.keyId === "k1") {
        started();
        await held;
      }
      await add(counts);
      events.push(`end ${counts[0]!.keyId}`);
    };
    counter.count("T1", "k1", clock.now());
    const timer = counter.flush();
    await firstStarted; // the timer's write is in flight
    counter.count("T1", "k2", clock.now());
    const shutdown = counter.flush();
    await Promise.resolve();
    expect(events).toEqual(["start k1"]);
    release();
    expect(await timer).toBe(1);
    expect(await shutdown).toBe(1);
    expect(events).toEqual(["start k1", "end k1", "start k2", "end k2"]);
  });

  it("runs one prune at a time: a call while one is in flight waits for it and finds the day done", async () => {
    const clock = new ManualClock(new Date("2026-12-02T10:00:00Z"));
    const usage = fakeUsage();
    const counter = new UsageCounter(usage.repo, clock);
    const prune = usage.repo.prune;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    usage.repo.prune = async (day) => {
      await held;
      return prune(day);
    };
    const first = counter.pruneIfDue();
    const second = counter.pruneIfDue();
    release();
    await Promise.all([first, second]);
    expect(usage.pruned).toHaveLength(1);
  });
});
