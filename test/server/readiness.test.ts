import { describe, expect, it } from "vitest";
import { Readiness, type ReadinessOptions } from "../../src/server/readiness.ts";

/** A database the test answers for by hand: each ping waits until the test settles it. */
function fakeDatabase() {
  const pings: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  let time = 0;
  let pending: string[] = [];
  let migrationChecks = 0;
  const options: ReadinessOptions = {
    ping: () => new Promise<void>((resolve, reject) => pings.push({ resolve, reject })),
    pendingMigrations: async () => {
      migrationChecks++;
      return pending;
    },
    timeoutMs: 30,
    maxAgeMs: 1000,
    now: () => time,
  };
  return {
    readiness: new Readiness(options),
    pings,
    advance(ms: number) {
      time += ms;
    },
    setPending(names: string[]) {
      pending = names;
    },
    migrationChecks: () => migrationChecks,
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("readiness", () => {
  it("is ready when the database answers and every migration is applied", async () => {
    const db = fakeDatabase();
    const check = db.readiness.check();
    await settle();
    db.pings[0]!.resolve();
    expect(await check).toEqual({ ready: true, failed: [], checks: { database: "ok", migrations: "ok", shutdown: "ok" } });
  });

  it("pings at most once a second however often it is asked, and concurrent asks share one ping", async () => {
    const db = fakeDatabase();
    const asks = [db.readiness.check(), db.readiness.check(), db.readiness.databaseUp()];
    await settle();
    expect(db.pings).toHaveLength(1);
    db.pings[0]!.resolve();
    await Promise.all(asks);
    db.advance(999);
    await db.readiness.check();
    expect(db.pings).toHaveLength(1);
    db.advance(1);
    const later = db.readiness.check();
    await settle();
    expect(db.pings).toHaveLength(2);
    db.pings[1]!.resolve();
    expect((await later).ready).toBe(true);
  });

  it("names the failed check by code, never by the error's text", async () => {
    const db = fakeDatabase();
    const check = db.readiness.check();
    await settle();
    db.pings[0]!.reject(new Error("connect ECONNREFUSED db.internal:5432 password=sekrit"));
    const report = await check;
    expect(report).toMatchObject({ ready: false, failed: ["database", "migrations"], checks: { database: "unreachable", migrations: "unchecked" } });
    expect(JSON.stringify(report)).not.toMatch(/sekrit|ECONNREFUSED|db\.internal/);
  });

  it("gives up on a hanging ping after the timeout, and starts no second one while it hangs", async () => {
    const db = fakeDatabase();
    expect((await db.readiness.check()).checks.database).toBe("timeout");
    db.advance(1000);
    expect((await db.readiness.check()).checks.database).toBe("timeout");
    expect(db.pings).toHaveLength(1);
    db.pings[0]!.resolve(); // the stuck connection comes back
    await settle();
    db.advance(1000);
    const next = db.readiness.check();
    await settle();
    expect(db.pings).toHaveLength(2);
    db.pings[1]!.resolve();
    expect((await next).ready).toBe(true);
  });

  it("is not ready while a shipped migration is not applied, and stops asking once all are", async () => {
    const db = fakeDatabase();
    db.setPending(["20991231000000_future"]);
    const first = db.readiness.check();
    await settle();
    db.pings[0]!.resolve();
    expect(await first).toMatchObject({ ready: false, failed: ["migrations"], checks: { database: "ok", migrations: "pending" } });
    db.setPending([]);
    db.advance(1000);
    const second = db.readiness.check();
    await settle();
    db.pings[1]!.resolve();
    expect((await second).ready).toBe(true);
    db.advance(1000);
    const third = db.readiness.check();
    await settle();
    db.pings[2]!.resolve();
    await third;
    expect(db.migrationChecks()).toBe(2);
  });

  it("is not ready from the moment close() begins, and asks the database nothing more", async () => {
    const db = fakeDatabase();
    const first = db.readiness.check();
    await settle();
    db.pings[0]!.resolve();
    await first;
    db.readiness.stop();
    db.advance(5000);
    expect(await db.readiness.check()).toEqual({ ready: false, failed: ["shutdown"], checks: { database: "ok", migrations: "ok", shutdown: "stopping" } });
    expect(await db.readiness.databaseUp()).toBe(true); // the last answer: the database may be closing
    expect(db.pings).toHaveLength(1);
  });
});
