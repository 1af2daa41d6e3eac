import { describe, expect, it } from "vitest";
import { createMessageLock } from "../../src/reminders/reminder-message-parts.ts";

const message = { workspaceId: "T1", channel: "C1", ts: "1.000001" };

/** A ledger lease as the database keeps it, on a clock the lock's sleeps move (no real waiting). */
function fakeLedger() {
  const state = { holder: null as string | null, until: 0, at: 0 };
  return {
    state,
    sleep: async (ms: number) => {
      state.at += ms;
    },
    ledger: {
      lockMessage: async (_m: typeof message, holder: string, leaseMs: number) => {
        if (state.holder && state.until > state.at) return false;
        Object.assign(state, { holder, until: state.at + leaseMs });
        return true;
      },
      unlockMessage: async (_m: typeof message, holder: string) => {
        if (state.holder === holder) state.holder = null;
      },
    },
  };
}

describe("the lock on rewriting a combined reminder message", () => {
  it("waits for another instance's lease, then runs, and gives the lease back", async () => {
    const f = fakeLedger();
    Object.assign(f.state, { holder: "other-instance", until: 250 });
    const lock = createMessageLock(f.ledger, { sleep: f.sleep, pollMs: 100, waitMs: 1_000 });
    const ran: number[] = [];
    await lock.run(message, async () => void ran.push(f.state.at));
    expect(ran).toEqual([300]);
    expect(f.state.holder).toBeNull();
  });

  it("fails with message_busy (a passing error: the update is deferred) while the lease stays taken past waitMs", async () => {
    const f = fakeLedger();
    Object.assign(f.state, { holder: "other-instance", until: 60_000 });
    const lock = createMessageLock(f.ledger, { sleep: f.sleep, pollMs: 100, waitMs: 500 });
    let ran = false;
    const work = async () => {
      ran = true;
    };
    await expect(lock.run(message, work)).rejects.toMatchObject({ data: { error: "message_busy" } });
    expect(ran).toBe(false);
    expect(f.state.holder).toBe("other-instance");
  });

  it("runs one process's rewrites of a message one after the other, and a failed one does not block the next", async () => {
    const f = fakeLedger();
    const lock = createMessageLock(f.ledger, { sleep: f.sleep });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => {
      started = r;
    });
    const first = lock.run(message, async () => {
      started();
      await gate;
      order.push("first");
    });
    const failing = lock.run(message, async () => {
      order.push("failing");
      throw new Error("boom");
    });
    const third = lock.run(message, async () => void order.push("third"));
    await firstStarted;
    expect(order).toEqual([]);
    release();
    await first;
    await expect(failing).rejects.toThrow("boom");
    await third;
    expect(order).toEqual(["first", "failing", "third"]);
    expect(f.state.holder).toBeNull();
  });
});
