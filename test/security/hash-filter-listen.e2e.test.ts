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
 * Issue 9 item 4 across two instances on the PostgreSQL server: instance B answers never-seen forged
 * keys from memory, yet accepts every key instance A created once A returned and its NOTIFY was
 * handled, including keys created while B's LISTEN connection was down.
 */
describe.runIf(databaseKinds().includes("postgres"))("verify's hash filter across instances on PostgreSQL", () => {
  let db: TestDatabase;
  let other: Database;
  const pepper = randomBytes(32);
  const clock = new ManualClock(new Date("2026-12-01T12:00:00Z"));
  const handled = new Map<string, number>();
  const states: boolean[] = [];
  let reloaded: Promise<void> = Promise.resolve();
  const waiters = new Set<() => void>();
  let a: DomainServices;
  let bStore: ReturnType<typeof instrumentedStore>;
  let b: KeyService;
  let admin: Actor;

  const contextOver = (database: Database, seed: string) => instanceContext(database, { clock, pepper, seed });
  const input = { role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };
  const wakeAll = () => {
    for (const wake of waiters) wake();
  };
  const until = async (done: () => boolean) => {
    while (!done()) {
      await new Promise<void>((r) => {
        const wake = () => {
          waiters.delete(wake);
          r();
        };
        waiters.add(wake);
      });
    }
  };
  /** Resolves once B handled `count` notices for the key (its creation is the first), look-up included. */
  const notified = (keyId: string, count: number) => until(() => (handled.get(keyId) ?? 0) >= count);

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    other = await openDatabase({ databaseUrl: db.url! });
    a = createDomainServices(contextOver(db, `a-${randomUUID()}`));
    const ctxB = contextOver(other, `b-${randomUUID()}`);
    bStore = instrumentedStore(ctxB.store);
    b = new KeyService({ ...ctxB, store: bStore.store }, new LastUsedTracker(ctxB.store.apiKeys));
    // What src/server/keyward.ts does, with ways to wait for each step.
    await other.listen(
      keyChangedChannel,
      (keyId) =>
        void b.forget(keyId).then(() => {
          handled.set(keyId, (handled.get(keyId) ?? 0) + 1);
          wakeAll();
        }),
      {
        onListening: (listening) => {
          reloaded = b.notificationsHeard(listening);
          states.push(listening);
          wakeAll();
        },
      },
    );
    await b.loadHashFilter();
    admin = await a.access.actorForUser("TFILTER", "UFILTERADMIN", { isWorkspaceAdmin: true }, "slack");
  });
  afterAll(async () => {
    await other?.close();
    await db?.close();
  });

  const floodReads = async (count: number) => {
    const forger = seededRandom(`flood-${randomUUID()}`);
    const before = bStore.hooks.lookups;
    for (let i = 0; i < count; i++) expect(await b.verify(generateKey(forger))).toEqual({ valid: false, reason: "unknown" });
    return bStore.hooks.lookups - before;
  };

  it("every key created on A verifies on B once A returned and the NOTIFY was handled, while 1,000 forged keys read nothing", async () => {
    for (let round = 0; round < 20; round++) {
      const { key, secret } = await a.keys.create(admin, { ...input, name: `made-on-a-${round}` });
      await notified(key.id, 1);
      expect((await b.verify(secret)).valid).toBe(true);
    }
    const rolled = await a.keys.roll(admin, (await a.keys.create(admin, { ...input, name: "rolled-on-a" })).key.id, { graceHours: 1 });
    await notified(rolled.key.id, 1);
    expect((await b.verify(rolled.secret)).valid).toBe(true);
    expect(await floodReads(1000)).toBe(0);
  });

  it("a key deleted on A still answers deleted on B", async () => {
    const { key, secret } = await a.keys.create(admin, { ...input, name: "deleted-on-a" });
    await notified(key.id, 1);
    await a.keys.delete(admin, key.id);
    await notified(key.id, 2);
    expect(await b.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("keys created on A while B's LISTEN connection was down verify on B, before and after it is back", async () => {
    const [listener] = await db.sql.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
    );
    expect(listener).toBeDefined();
    const seen = states.length;
    await db.sql.query(`SELECT pg_terminate_backend($1)`, [listener!.pid]);
    await until(() => states.length > seen); // B knows it may miss notices
    expect(states.at(-1)).toBe(false);
    // Their NOTIFYs reach no one on B.
    const during = await a.keys.create(admin, { ...input, name: "created-while-deaf" });
    const unseen = await a.keys.create(admin, { ...input, name: "created-while-deaf-unseen" });
    expect((await b.verify(during.secret)).valid).toBe(true); // the filter is not trusted: B read the row
    await until(() => states.length > seen + 1 && states.at(-1) === true);
    await reloaded;
    clock.advance(2001); // past the verify cache: the filter alone decides whether B reads
    expect((await b.verify(unseen.secret)).valid).toBe(true);
    expect((await b.verify(during.secret)).valid).toBe(true);
    const after = await a.keys.create(admin, { ...input, name: "created-after-reconnect" });
    await notified(after.key.id, 1);
    expect((await b.verify(after.secret)).valid).toBe(true);
    expect(await floodReads(1000)).toBe(0); // trusted again after the reload
  });
});
