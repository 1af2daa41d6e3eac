import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/domain/key-format.ts";
import { legacyKey } from "../support/fixed-runtime.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { KeyService } from "../../src/domain/key-service.ts";
import { LastUsedTracker } from "../../src/domain/last-used-tracker.ts";
import type { Store } from "../../src/domain/repositories.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("KeyService on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const base = { name: "ci-deploy", description: "deploys from CI", role: "Viewer", expiresOn: "2027-01-31", timeZone: "Europe/Paris" };

  /** Rows of a workspace, to show that a refusal wrote nothing. */
  async function rowsOf(workspaceId: string) {
    const [keys, audit] = await Promise.all([f.db.prisma.apiKey.count({ where: { workspaceId } }), f.db.prisma.auditEvent.count({ where: { workspaceId } })]);
    return { keys, audit };
  }

  async function expectRefused(workspaceId: string, attempt: () => Promise<unknown>, code: string) {
    const before = await rowsOf(workspaceId);
    await expect(attempt()).rejects.toMatchObject({ code });
    expect(await rowsOf(workspaceId)).toEqual(before);
  }

  it("creates a key, returns the secret once and stores only its hash and last 4", async () => {
    const ws = f.workspace();
    const manager = await f.actor(ws, "manager");
    const { key, secret } = await f.services.keys.create(manager, base);
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{40}$/);
    expect(key).toMatchObject({ name: "ci-deploy", kind: "service", roleName: "Viewer", last4: secret.slice(-4), createdBy: manager.userId });
    expect(key.expiresAt.toISOString()).toBe("2027-01-31T22:59:59.999Z");
    const row = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row.hash).toBe(f.ctx.hasher.hash(secret));
    expect(row.hash).not.toContain(secret.slice(3, 20));
    const events = await f.db.prisma.auditEvent.findMany({ where: { workspaceId: ws } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "api_key.create", actorId: manager.userId, targetId: key.id, source: "slack" });
  });

  it("leaves no secret anywhere in the database", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const secrets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { key, secret } = await f.services.keys.create(admin, { ...base, name: `key-${i}`, role: "Admin" });
      secrets.push(secret);
      if (i % 2 === 0) await f.services.keys.update(admin, key.id, { name: `renamed-${i}` });
      if (i === 4) await f.services.keys.delete(admin, key.id);
      await f.services.keys.verify(secret);
    }
    await f.services.lastUsed.flush();
    const dump = await f.db.dump();
    expect(dump).toContain("renamed-0"); // the dump does hold the data
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(3, 33)); // nor the random part without prefix and checksum
    }
  });

  it("refuses a key from someone without api_keys.edit", async () => {
    const ws = f.workspace();
    const member = await f.actor(ws, "member");
    await expectRefused(ws, () => f.services.keys.create(member, base), "permission_denied");
    const nobody = await f.actor(ws, null);
    await expectRefused(ws, () => f.services.keys.create(nobody, base), "permission_denied");
  });

  it("lets a member create and delete their own personal key, but not others'", async () => {
    const ws = f.workspace();
    const member = await f.actor(ws, "member");
    const other = await f.actor(ws, "member");
    const { key } = await f.services.keys.create(member, { ...base, kind: "personal" });
    expect(key.kind).toBe("personal");
    await expectRefused(ws, () => f.services.keys.delete(other, key.id), "permission_denied");
    await expectRefused(ws, () => f.services.keys.update(other, key.id, { name: "mine" }), "permission_denied");
    await f.services.keys.update(member, key.id, { description: "laptop" });
    await f.services.keys.delete(member, key.id);
    await expect(f.services.keys.get(member, key.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a role above the creator's own", async () => {
    const ws = f.workspace();
    const manager = await f.actor(ws, "manager");
    await expectRefused(ws, () => f.services.keys.create(manager, { ...base, role: "Admin" }), "role_exceeds_actor");
    const member = await f.actor(ws, "member");
    await expectRefused(ws, () => f.services.keys.create(member, { ...base, kind: "personal", role: "Manager" }), "role_exceeds_actor");
  });

  it("refuses a custom role that grants something the creator lacks", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.roles.create(admin, { name: "Auditor", permissions: ["audit.view", "roles.edit"] });
    const manager = await f.actor(ws, "manager");
    await expectRefused(ws, () => f.services.keys.create(manager, { ...base, role: "auditor" }), "role_exceeds_actor");
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "   " }, "name"],
    [{ name: "x".repeat(65) }, "name"],
    [{ name: "bad\u0007bell" }, "name"],
    [{ description: "d".repeat(501) }, "description"],
    [{ expiresOn: "2027-02-30" }, "expiresOn"],
    [{ timeZone: "Moon/Base" }, "timeZone"],
    [{ kind: "robot" }, "kind"],
    [{ secret: "kw_chosen" }, "secret"],
  ])("refuses bad input %j with a field error on %s", async (patch, field) => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const before = await rowsOf(ws);
    const error = await f.services.keys.create(admin, { ...base, ...patch } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "validation_failed", details: { fields: { [field]: expect.any(String) } } });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("accepts a name of exactly 64 characters", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...base, name: "n".repeat(64) });
    expect(key.name).toHaveLength(64);
  });

  it("refuses a past day and an unknown role", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    // The fixture's clock says 2026-11-27 15:00 UTC: already the 28th in Kiritimati.
    await expectRefused(ws, () => f.services.keys.create(admin, { ...base, expiresOn: "2026-11-26" }), "expiry_in_past");
    await expectRefused(ws, () => f.services.keys.create(admin, { ...base, expiresOn: "2026-11-27", timeZone: "Pacific/Kiritimati" }), "expiry_in_past");
    await expectRefused(
      ws,
      () => f.services.keys.create(admin, { ...base, expiresAt: "2026-11-27T14:00:00Z", expiresOn: undefined, timeZone: undefined }),
      "expiry_in_past",
    );
    await expectRefused(ws, () => f.services.keys.create(admin, { ...base, role: "Superuser" }), "role_not_found");
    const { key } = await f.services.keys.create(admin, { ...base, expiresOn: "2026-11-27", timeZone: "America/New_York" });
    expect(key.expiresAt.toISOString()).toBe("2026-11-28T04:59:59.999Z");
  });

  it("refuses a second live key with the same name", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, base);
    await expectRefused(ws, () => f.services.keys.create(admin, base), "conflict");
    await f.services.keys.delete(admin, key.id);
    await f.services.keys.create(admin, base); // the name is free again once deleted
  });

  it("changes only name and description", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, base);
    const updated = await f.services.keys.update(admin, key.id, { name: "renamed", description: "new text" });
    expect(updated).toMatchObject({ name: "renamed", description: "new text", roleId: key.roleId, expiresAt: key.expiresAt });
    for (const forbidden of [{ role: "Admin" }, { expiresAt: "2030-01-01" }, { kind: "personal" }, {}]) {
      await expect(f.services.keys.update(admin, key.id, forbidden as never)).rejects.toMatchObject({ code: "validation_failed" });
    }
    const row = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row).toMatchObject({ name: "renamed", roleId: key.roleId, kind: "service" });
  });

  it("does not find another workspace's key", async () => {
    const wsA = f.workspace();
    const wsB = f.workspace();
    const adminA = await f.actor(wsA, "admin");
    const adminB = await f.actor(wsB, "admin");
    const { key } = await f.services.keys.create(adminA, base);
    await expect(f.services.keys.get(adminB, key.id)).rejects.toMatchObject({ code: "not_found" });
    await expectRefused(wsA, () => f.services.keys.delete(adminB, key.id), "not_found");
    await expect(f.services.keys.update(adminB, key.id, { name: "stolen" })).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.keys.find(adminB, "ci-deploy")).rejects.toMatchObject({ code: "not_found" });
    expect((await f.services.keys.list(adminB)).data).toEqual([]);
    expect((await f.services.keys.get(adminA, key.id)).name).toBe("ci-deploy");
  });

  it("finds a key by name or id", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, base);
    expect((await f.services.keys.find(admin, " ci-deploy ")).id).toBe(key.id);
    expect((await f.services.keys.find(admin, key.id)).id).toBe(key.id);
    await expect(f.services.keys.find(admin, "nope")).rejects.toMatchObject({ code: "not_found" });
  });

  it("verifies valid, malformed, mistyped, unknown, expired and deleted keys", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, { ...base, role: "Manager", expiresOn: "2026-12-01", timeZone: "UTC" });
    const ok = await f.services.keys.verify(secret);
    expect(ok).toMatchObject({ valid: true, key: { id: key.id, workspaceId: ws } });
    expect(ok.valid && ok.permissions).toEqual(expect.arrayContaining(["api_keys.edit", "integrations.edit"]));
    expect(await f.services.keys.verify("kw_short")).toEqual({ valid: false, reason: "malformed" });
    const typo = secret.slice(0, 10) + (secret[10] === "a" ? "b" : "a") + secret.slice(11);
    expect(await f.services.keys.verify(typo)).toEqual({ valid: false, reason: "malformed" });
    const { secret: other } = await f.services.keys.create(admin, { ...base, name: "other" });
    await f.services.keys.delete(admin, (await f.services.keys.find(admin, "other")).id);
    expect(await f.services.keys.verify(other)).toMatchObject({ valid: false, reason: "deleted" });
    expect(await f.services.keys.verify(generateKey(cryptoRandom))).toEqual({ valid: false, reason: "unknown" });
    f.clock.set("2026-12-01T23:59:59.998Z");
    expect((await f.services.keys.verify(secret)).valid).toBe(true);
    f.clock.set("2026-12-01T23:59:59.999Z");
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "expired" });
    f.clock.set("2026-11-27T15:00:00Z");
  });

  it("still verifies a key issued in the old format (30 random characters)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...base, name: "issued-long-ago" });
    const legacy = legacyKey("0123456789abcdefghijABCDEFGHIJ");
    // As such a key was stored: its hash and its last 4 (then too checksum digits).
    await f.db.prisma.apiKey.update({ where: { id: key.id }, data: { hash: f.ctx.hasher.hash(legacy), last4: legacy.slice(-4) } });
    expect(await f.services.keys.verify(legacy)).toMatchObject({ valid: true, key: { id: key.id, last4: legacy.slice(-4) } });
  });

  it("refuses a mistyped key without touching the database", async () => {
    let lookups = 0;
    const store = new Proxy(f.ctx.store, {
      get(target, prop) {
        if (prop === "apiKeys") {
          return {
            ...target.apiKeys,
            findByHash: async (h: string) => {
              lookups++;
              return target.apiKeys.findByHash(h);
            },
          };
        }
        return Reflect.get(target, prop);
      },
    }) as Store;
    const service = new KeyService({ ...f.ctx, store }, new LastUsedTracker(store.apiKeys));
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { secret } = await f.services.keys.create(admin, base);
    const typo = secret.slice(0, -1) + (secret.endsWith("a") ? "b" : "a");
    expect((await service.verify(typo)).valid).toBe(false);
    expect(lookups).toBe(0);
    expect((await service.verify(secret)).valid).toBe(true);
    expect(lookups).toBe(1);
  });

  it("records last use in one batched write, never moving it back", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, base);
    await f.services.lastUsed.flush();
    for (let i = 0; i < 50; i++) {
      f.clock.advance(1000);
      await f.services.keys.verify(secret);
    }
    expect((await f.services.keys.get(admin, key.id)).lastUsedAt).toBeNull(); // nothing written per request
    expect(f.services.lastUsed.size).toBe(1);
    await f.services.lastUsed.flush();
    const used = (await f.services.keys.get(admin, key.id)).lastUsedAt;
    expect(used?.toISOString()).toBe(f.clock.now().toISOString());
    f.services.lastUsed.touch(key.id, new Date("2026-01-01T00:00:00Z"));
    await f.services.lastUsed.flush();
    expect((await f.services.keys.get(admin, key.id)).lastUsedAt?.toISOString()).toBe(used?.toISOString());
    f.clock.set("2026-11-27T15:00:00Z");
  });

  it("pages by key: every key exactly once, stable under deletion between pages", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) {
      f.clock.advance(1);
      ids.push((await f.services.keys.create(admin, { ...base, name: `k${i}` })).key.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await f.services.keys.list(admin, { cursor, limit: 10 });
      seen.push(...page.data.map((k) => k.id));
      if (pages === 0) await f.services.keys.delete(admin, page.data[0]!.id); // a change while paging
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(5);
    await expect(f.services.keys.list(admin, { cursor: "garbage!" })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(f.services.keys.list(admin, { limit: 0 })).rejects.toMatchObject({ code: "validation_failed" });
    f.clock.set("2026-11-27T15:00:00Z");
  });

  it("writes the audit event in the same transaction as the change", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const failingStore: Store = {
      ...f.ctx.store,
      transaction: (work) =>
        f.ctx.store.transaction((tx) => work({ ...tx, audit: { ...tx.audit, append: async () => Promise.reject(new Error("audit storage down")) } })),
    };
    const service = new KeyService({ ...f.ctx, store: failingStore }, new LastUsedTracker(failingStore.apiKeys));
    await expect(service.create(admin, base)).rejects.toThrow("audit storage down");
    expect(await rowsOf(ws)).toEqual({ keys: 0, audit: 0 });
    const { key } = await f.services.keys.create(admin, base);
    await expect(service.delete(admin, key.id)).rejects.toThrow("audit storage down");
    expect((await f.services.keys.get(admin, key.id)).id).toBe(key.id);
  });

  it("never writes secret material into audit events", async () => {
    const ws = f.workspace();
    const admin: Actor = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, base);
    await f.services.keys.update(admin, key.id, { name: "n2", description: "d2" });
    await f.services.keys.delete(admin, key.id);
    const events = await f.services.audit.latest(admin, 10);
    expect(events.map((e) => e.action)).toEqual(["api_key.delete", "api_key.update", "api_key.create"]);
    expect(JSON.stringify(events)).not.toContain(secret.slice(3, 33));
    expect(JSON.stringify(events)).not.toContain(f.ctx.hasher.hash(secret));
  });
});

describe.each(databaseKinds())("keys awaiting delivery on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });
  const input = { name: "pending", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };

  it("does not work, list or count until activated", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, input, { pendingDelivery: true });
    expect(await f.services.keys.verify(secret)).toEqual({ valid: false, reason: "unknown" });
    expect((await f.services.keys.list(admin)).data).toEqual([]);
    await f.services.keys.activate(admin, key.id);
    expect((await f.services.keys.verify(secret)).valid).toBe(true);
    await expect(f.services.keys.activate(admin, key.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("sweeps keys whose delivery never finished (the process died), restoring a rolled key", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key: lost } = await f.services.keys.create(admin, { ...input, name: "lost" }, { pendingDelivery: true });
    const { key: old, secret: oldSecret } = await f.services.keys.create(admin, { ...input, name: "rolled" });
    const rolled = await f.services.keys.roll(admin, old.id, { graceHours: 0 }, { pendingDelivery: true });
    expect(await f.services.keys.verify(oldSecret)).toMatchObject({ valid: false, reason: "expired" });
    expect(await f.services.keys.verify(rolled.secret)).toMatchObject({ valid: false, reason: "unknown" });
    expect(await f.services.keys.sweepUndelivered()).toBe(0); // too young
    f.clock.advance(11 * 60_000);
    expect(await f.services.keys.sweepUndelivered()).toBeGreaterThanOrEqual(2);
    expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: lost.id } })).toMatchObject({ deletedAt: expect.any(Date), deletedBy: "keyward" });
    expect(await f.services.keys.verify(oldSecret)).toMatchObject({ valid: true, key: { id: old.id, replacedBy: null } });
    expect((await f.services.keys.verify(oldSecret)).key!.expiresAt.toISOString()).toBe(old.expiresAt.toISOString());
    const actions = (await f.services.audit.latest(admin, 10)).map((e) => `${e.action}:${(e.details as { reason?: string } | null)?.reason ?? ""}`);
    expect(actions).toContain("api_key.delete:delivery_unconfirmed");
    expect(actions).toContain("api_key.roll_reverted:delivery_unconfirmed");
    f.clock.set("2026-11-27T15:00:00Z");
  });
});
