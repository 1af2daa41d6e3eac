import { describe, expect, it } from "vitest";
import { oneAtATime } from "../../src/domain/one-at-a-time.ts";

describe("oneAtATime", () => {
  it("runs a call only after the one before it settled, failed ones included", async () => {
    const events: string[] = [];
    let call = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const run = oneAtATime(async () => {
      const n = ++call;
      events.push(`start ${n}`);
      if (n === 1) {
        await held;
        throw new Error("first failed");
      }
      events.push(`end ${n}`);
      return n;
    });
    const first = run();
    const second = run();
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(["start 1"]);
    release();
    await expect(first).rejects.toThrow("first failed");
    expect(await second).toBe(2);
    expect(events).toEqual(["start 1", "start 2", "end 2"]);
  });

  it("waits at most maxWaitMs for a call that hangs, then runs the next one beside it", async () => {
    let call = 0;
    const run = oneAtATime(async () => {
      if (++call === 1) await new Promise(() => {}); // never settles: a statement on a dead connection
      return call;
    }, 20);
    void run();
    expect(await run()).toBe(2);
    expect(await run()).toBe(3); // and the one after that is not held by the hung one either
  });
});
