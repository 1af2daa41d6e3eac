import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainServices } from "../../src/domain/index.ts";
import type { KeyService } from "../../src/domain/key-service.ts";
import type { ApiKeyRepository, Store } from "../../src/domain/repositories.ts";
import { createDomainFixture, fixtureStart, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

/**
 * Issue 9 item 11: a slow delivery can activate a key between the sweep's read of stale pending
 * keys and its delete. The sweep must then leave the key (its creator was just shown it) and the
 * roll it completes alone.
 */
describe.each(databaseKinds())("the undelivered-key sweep on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const input = { description: "", role: "Viewer", expiresOn: "2027-01-31", timeZone: "UTC" };

  /** The fixture's KeyService, except that its sweep runs `meanwhile` between reading the stale keys and removing them. */
  function sweeperPausingAfterRead(meanwhile: () => Promise<void>): KeyService {
    const real = f.ctx.store.apiKeys;
    const apiKeys = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== "findPendingBefore") return Reflect.get(target, prop, receiver);
        const gated: ApiKeyRepository["findPendingBefore"] = async (cutoff, limit) => {
          const stale = await real.findPendingBefore(cutoff, limit);
          await meanwhile();
          return stale;
        };
        return gated;
      },
    });
    const store: Store = { ...f.ctx.store, apiKeys };
    return createDomainServices({ ...f.ctx, store }).keys;
  }

  const auditOf = async (workspaceId: string) =>
    (await f.db.prisma.auditEvent.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" } })).map((e) => e.action);

  it("keeps a key activated between the sweep's read and its delete, and writes nothing", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, { ...input, name: "slow-delivery" }, { pendingDelivery: true });
    f.clock.advance(11 * 60_000);
    try {
      let activated = false;
      const sweeper = sweeperPausingAfterRead(async () => {
        await f.services.keys.activate(admin, key.id);
        activated = true;
      });
      expect(await sweeper.sweepUndelivered()).toBe(0);
      expect(activated).toBe(true);
      expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ deletedAt: null, deletedBy: null, pendingSince: null });
      expect(await f.services.keys.verify(secret)).toMatchObject({ valid: true, key: { id: key.id } });
      expect(await auditOf(ws)).toEqual(["api_key.create"]);
    } finally {
      f.clock.set(fixtureStart);
    }
  });

  it("keeps a roll whose replacement was activated meanwhile: the replacement works, the old key is not restored", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key: old } = await f.services.keys.create(admin, { ...input, name: "slow-roll" });
    const rolled = await f.services.keys.roll(admin, old.id, { graceHours: 1 }, { pendingDelivery: true });
    f.clock.advance(11 * 60_000);
    try {
      const sweeper = sweeperPausingAfterRead(() => f.services.keys.activate(admin, rolled.key.id));
      expect(await sweeper.sweepUndelivered()).toBe(0);
      expect(await f.services.keys.verify(rolled.secret)).toMatchObject({ valid: true, key: { id: rolled.key.id } });
      expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: old.id } })).toMatchObject({
        deletedAt: null,
        replacedBy: rolled.key.id,
        expiresAt: rolled.previous.expiresAt,
      });
      expect(await auditOf(ws)).toEqual(["api_key.create", "api_key.roll", "api_key.create"]);
    } finally {
      f.clock.set(fixtureStart);
    }
  });

  it("still removes a key that stayed pending, and restores the key it would have replaced", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key: old, secret: oldSecret } = await f.services.keys.create(admin, { ...input, name: "lost-roll" });
    const rolled = await f.services.keys.roll(admin, old.id, { graceHours: 0 }, { pendingDelivery: true });
    f.clock.advance(11 * 60_000);
    try {
      const sweeper = sweeperPausingAfterRead(async () => {});
      expect(await sweeper.sweepUndelivered()).toBe(1);
      expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: rolled.key.id } })).toMatchObject({ deletedAt: expect.any(Date), deletedBy: "keyward" });
      expect(await f.services.keys.verify(oldSecret)).toMatchObject({ valid: true, key: { id: old.id, replacedBy: null } });
    } finally {
      f.clock.set(fixtureStart);
    }
  });
});
