import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { keyChangedChannel } from "../../src/db/prisma-api-key-repository.ts";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import { generateKey } from "../../src/domain/key-format.ts";
import { KeyService } from "../../src/domain/key-service.ts";
import { LastUsedTracker } from "../../src/domain/last-used-tracker.ts";
import type { Actor } from "../../src/domain/types.ts";
import { ManualClock, seededRandom } from "../support/fixed-runtime.ts";
import { instrumentedStore } from "../support/instrumented-store.ts";
import { instanceContext } from "../support/instance-context.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

/**
 * Rule 7 against a verify in flight, on the PostgreSQL server: a request that starts after a delete
 * (or roll) returned refuses the old key on that instance, and on another instance as soon as the
 * change's NOTIFY arrived, even when a verify that read the row earlier finishes later.
 */
describe.runIf(databaseKinds().includes("postgres"))("verify races on PostgreSQL", () => {
  let db: TestDatabase;
  let other: Database;
  const pepper = randomBytes(32);
  const clock = new ManualClock(new Date("2026-12-01T12:00:00Z"));
  /** How many notifications instance B heard per key id, and who waits for more. */
  const heard = new Map<string, number>();
  const waiters = new Set<() => void>();
  let a: DomainServices;
  let bStore: ReturnType<typeof instrumentedStore>;
  let b: KeyService;
  let admin: Actor;

  const contextOver = (database: Database, seed: string) => instanceContext(database, { clock, pepper, seed });
  const input = { role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    other = await openDatabase({ databaseUrl: db.url! });
    const seedA = `a-${randomUUID()}`;
    a = createDomainServices(contextOver(db, seedA));
    const ctxB = contextOver(other, `b-${randomUUID()}`);
    bStore = instrumentedStore(ctxB.store);
    b = new KeyService({ ...ctxB, store: bStore.store }, new LastUsedTracker(ctxB.store.apiKeys));
    // What src/server/keyward.ts does, with a way to wait for a given key's notification.
    await other.listen(keyChangedChannel, (keyId) => {
      void b.forget(keyId);
      heard.set(keyId, (heard.get(keyId) ?? 0) + 1);
      for (const wake of waiters) wake();
    });
    admin = await a.access.actorForUser("TRACE", "URACEADMIN", { isWorkspaceAdmin: true }, "slack");
  });
  afterAll(async () => {
    await other?.close();
    await db?.close();
  });

  /** Resolves once B heard `count` notifications for the key (its creation is the first). */
  const notified = async (keyId: string, count: number) => {
    while ((heard.get(keyId) ?? 0) < count) {
      await new Promise<void>((r) => {
        const wake = () => {
          waiters.delete(wake);
          r();
        };
        waiters.add(wake);
      });
    }
  };

  it("B refuses a key deleted on A once the NOTIFY arrived, though B's earlier read of it finished later", async () => {
    const { key, secret } = await a.keys.create(admin, { ...input, name: "raced-delete" });
    await notified(key.id, 1);
    const held = bStore.holdNextRead();
    const inFlight = b.verify(secret);
    await held.read; // B holds the live row
    await a.keys.delete(admin, key.id);
    await notified(key.id, 2);
    held.release();
    await inFlight;
    expect(await b.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("B refuses a key rolled on A once the NOTIFY arrived, though B's earlier read finished later", async () => {
    const { key, secret } = await a.keys.create(admin, { ...input, name: "raced-roll" });
    await notified(key.id, 1);
    const held = bStore.holdNextRead();
    const inFlight = b.verify(secret);
    await held.read;
    await a.keys.roll(admin, key.id, { graceHours: 0 });
    await notified(key.id, 2);
    held.release();
    await inFlight;
    expect(await b.verify(secret)).toMatchObject({ valid: false, reason: "expired" });
  });

  it("B accepts a key created on A whose hash B had remembered as unknown, once the NOTIFY arrived", async () => {
    const seed = `predicted-${randomUUID()}`;
    const predicted = generateKey(seededRandom(seed)); // what a service with this seed issues first
    expect(await b.verify(predicted)).toEqual({ valid: false, reason: "unknown" });
    const { key, secret } = await createDomainServices(contextOver(db, seed)).keys.create(admin, { ...input, name: "predicted" });
    expect(secret).toBe(predicted);
    await notified(key.id, 1);
    expect((await b.verify(secret)).valid).toBe(true);
  });

  it("a miss B read before a creation committed is not remembered once the creation's NOTIFY arrived", async () => {
    const seed = `predicted-${randomUUID()}`;
    const predicted = generateKey(seededRandom(seed));
    const held = bStore.holdNextRead();
    const inFlight = b.verify(predicted);
    await held.read; // B found no row
    const { key } = await createDomainServices(contextOver(db, seed)).keys.create(admin, { ...input, name: "predicted-in-flight" });
    await notified(key.id, 1);
    held.release();
    expect((await inFlight).valid).toBe(false); // it started before the key existed
    expect((await b.verify(predicted)).valid).toBe(true);
  });

  it("under real concurrency, no verify that starts after a delete returned (and its NOTIFY arrived) accepts the key", async () => {
    const rounds = 30;
    let stale = 0;
    for (let round = 0; round < rounds; round++) {
      const { key, secret } = await a.keys.create(admin, { ...input, name: `pumped-${round}` });
      await notified(key.id, 1);
      let stop = false;
      // Each pump's verify misses the cache (its entry has aged out), so reads are in flight while the delete commits.
      const pump = async () => {
        while (!stop) {
          clock.advance(2001);
          await b.verify(secret);
        }
      };
      const pumps = Array.from({ length: 6 }, pump);
      await new Promise((r) => setTimeout(r, 3 + (round % 5)));
      await a.keys.delete(admin, key.id);
      await notified(key.id, 2);
      stop = true;
      await Promise.all(pumps); // the reads that straddled the delete have finished, and cached what they may
      if ((await b.verify(secret)).valid) stale++; // a request started after the delete returned and was heard
    }
    expect(stale).toBe(0);
  });
});
