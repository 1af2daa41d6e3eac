import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { createDomainServices } from "../../src/domain/index.ts";
import { IntegrationService } from "../../src/domain/integration-service.ts";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import { reencryptSecrets, upgradeSecretBindings } from "../../src/domain/rekey-service.ts";
import { createSecretCipher } from "../../src/domain/secret-cipher.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { ManualClock, seededRandom } from "../support/fixed-runtime.ts";
import { sealLegacy } from "../support/legacy-cipher.ts";
import { createTestDatabase, databaseKinds } from "../support/test-database.ts";
import { openDatabase } from "../../src/db/database.ts";

const ghToken = (n = 0) => `ghp_${"A1b2C3d4".repeat(4)}${String(n).padStart(4, "0")}`;

describe.each(databaseKinds())("integration configurations on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const count = (workspaceId: string) => f.db.prisma.integrationConfig.count({ where: { workspaceId } });

  it("adds a configuration under an alias, encrypted, and resolves an unknown alias to the default", async () => {
    const ws = f.workspace();
    const manager = await f.actor(ws, "manager");
    const first = await f.services.integrations.add(manager, "github", {
      alias: "cortex-github",
      secret: ghToken(1),
      expiresOn: "2027-03-01",
      timeZone: "Europe/Paris",
      reminderChannel: "C0PLATFORM",
    });
    expect(first).toMatchObject({ integration: "github", alias: "cortex-github", last4: "0001", isDefault: true, reminderChannel: "C0PLATFORM" });
    await f.services.integrations.add(manager, "github", { alias: "backup-github", secret: ghToken(2) });
    expect(await f.services.integrations.resolve(manager, "github", "cortex-github")).toMatchObject({ alias: "cortex-github", resolvedBy: "alias" });
    expect(await f.services.integrations.resolve(manager, "github", "backup-github")).toMatchObject({ alias: "backup-github", resolvedBy: "alias" });
    expect(await f.services.integrations.resolve(manager, "github", "no-such-alias")).toMatchObject({ alias: "cortex-github", resolvedBy: "default" });
    await expect(f.services.integrations.resolve(manager, "pagerduty", "x")).rejects.toMatchObject({ code: "not_found" });
    const dump = await f.db.dump();
    expect(dump).toContain("cortex-github");
    expect(dump).not.toContain(ghToken(1));
    expect(dump).not.toContain(ghToken(1).slice(4, 24));
  });

  it("keeps at most one default per integration, moving it on request", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    for (const alias of ["a", "b", "c"]) await f.services.integrations.add(admin, "datadog", { alias, secret: ghToken(), isDefault: true });
    const defaults = await f.db.prisma.integrationConfig.findMany({ where: { workspaceId: ws, isDefault: true } });
    expect(defaults.map((d) => d.alias)).toEqual(["c"]);
    await f.services.integrations.update(admin, "datadog", "a", { isDefault: true });
    expect((await f.services.integrations.resolve(admin, "datadog", "zzz")).alias).toBe("a");
    // The database itself refuses a second default, whatever the code does.
    await expect(f.db.prisma.integrationConfig.updateMany({ where: { workspaceId: ws, alias: "b" }, data: { isDefault: true } })).rejects.toThrow();
  });

  it("keeps one default when many requests set it at once", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const aliases = Array.from({ length: 8 }, (_, i) => `svc-${i}`);
    for (const alias of aliases) await f.services.integrations.add(admin, "pagerduty", { alias, secret: ghToken() });
    const results = await Promise.allSettled(aliases.map((alias) => f.services.integrations.update(admin, "pagerduty", alias, { isDefault: true })));
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "conflict" });
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    expect(await f.db.prisma.integrationConfig.count({ where: { workspaceId: ws, isDefault: true } })).toBe(1);
  });

  it("rotates in place: new secret and expiry, same alias and default status, audited", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const before = await f.services.integrations.add(admin, "github", { alias: "cortex-github", secret: ghToken(5), expiresOn: "2027-01-01", timeZone: "UTC" });
    const rotated = await f.services.integrations.update(admin, "github", "cortex-github", { secret: ghToken(6), expiresOn: "2027-06-01", timeZone: "UTC" });
    expect(rotated).toMatchObject({ id: before.id, alias: "cortex-github", isDefault: true, last4: "0006", rotatedBy: admin.userId });
    expect(rotated.expiresAt?.toISOString()).toBe("2027-06-01T23:59:59.999Z");
    expect((await f.services.integrations.reveal(admin, "github", "cortex-github")).secret).toBe(ghToken(6));
    const actions = (await f.services.audit.latest(admin, 10)).map((e) => e.action);
    expect(actions).toEqual(["integration.reveal", "integration.rotate", "integration.add"]);
    expect(JSON.stringify(await f.services.audit.latest(admin, 10))).not.toContain(ghToken(6));
  });

  it("reads a secret back only with integrations.secrets.read", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.integrations.add(admin, "github", { alias: "x", secret: ghToken(7) });
    const manager = await f.actor(ws, "manager");
    const auditBefore = await f.db.prisma.auditEvent.count({ where: { workspaceId: ws } });
    await expect(f.services.integrations.reveal(manager, "github", "x")).rejects.toMatchObject({ code: "permission_denied" });
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws } })).toBe(auditBefore);
  });

  it("refuses bad input and missing permission, writing nothing", async () => {
    const ws = f.workspace();
    const viewer = await f.actor(ws, "viewer");
    const admin = await f.actor(ws, "admin");
    await expect(f.services.integrations.add(viewer, "github", { alias: "a", secret: ghToken() })).rejects.toMatchObject({ code: "permission_denied" });
    for (const [integration, input, field] of [
      ["GitHub!", { alias: "a", secret: ghToken() }, "integration"],
      ["github", { alias: "Has Space", secret: ghToken() }, "alias"],
      ["github", { alias: "a", secret: "has space" }, "secret"],
      ["github", { alias: "a", secret: "x" }, "secret"],
      ["github", { alias: "a", secret: ghToken(), reminderChannel: "#general" }, "reminderChannel"],
      ["github", { alias: "a", secret: ghToken(), expiresOn: "2020-01-01", timeZone: "UTC" }, "expiresOn"],
    ] as const) {
      await expect(f.services.integrations.add(admin, integration, input as never)).rejects.toMatchObject({
        details: { fields: { [field]: expect.any(String) } },
      });
    }
    await f.services.integrations.add(admin, "github", { alias: "a", secret: ghToken() });
    await expect(f.services.integrations.add(admin, "github", { alias: "a", secret: ghToken() })).rejects.toMatchObject({ code: "conflict" });
    expect(await count(ws)).toBe(1);
    await expect(f.services.integrations.update(admin, "github", "a", { expiresOn: "2030-01-01", timeZone: "UTC" })).rejects.toMatchObject({
      code: "validation_failed",
    });
    await expect(f.services.integrations.update(admin, "github", "a", { isDefault: false } as never)).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("does not find another workspace's configuration", async () => {
    const wsA = f.workspace();
    const wsB = f.workspace();
    const adminA = await f.actor(wsA, "admin");
    const adminB = await f.actor(wsB, "admin");
    const config = await f.services.integrations.add(adminA, "github", { alias: "mine", secret: ghToken() });
    await expect(f.services.integrations.get(adminB, "github", "mine")).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.integrations.resolve(adminB, "github", "mine")).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.integrations.reveal(adminB, "github", "mine")).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.integrations.snooze(adminB, config.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.integrations.delete(adminB, "github", "mine")).rejects.toMatchObject({ code: "not_found" });
    expect(await count(wsA)).toBe(1);
  });

  it("deletes a configuration (the guided rotation's step 2)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.integrations.add(admin, "github", { alias: "old", secret: ghToken(1) });
    await f.services.integrations.delete(admin, "github", "old");
    await f.services.integrations.add(admin, "github", { alias: "old", secret: ghToken(2), isDefault: true });
    expect((await f.services.integrations.reveal(admin, "github", "old")).secret).toBe(ghToken(2));
  });
});

describe("key ring rotation", () => {
  it("re-encrypts every secret under the new master key; the old key can then be retired", async () => {
    const db = await createTestDatabase("pglite");
    try {
      const k1 = randomBytes(32);
      const k2 = randomBytes(32);
      const store = createPrismaStore(db.prisma);
      const base = {
        store,
        clock: new ManualClock(new Date("2026-11-27T12:00:00Z")),
        random: seededRandom("rekey"),
        hasher: createKeyHasher(randomBytes(32)),
        adminUserIds: new Set<string>(),
        reminderDays: [7],
      };
      const v1 = new IntegrationService({ ...base, cipher: createSecretCipher({ current: 1, keys: new Map([[1, k1]]) }) });
      const services = createDomainServices({ ...base, cipher: createSecretCipher({ current: 1, keys: new Map([[1, k1]]) }) });
      const admin = await services.access.actorForUser("TREKEY", "UREKEY", { isWorkspaceAdmin: true }, "slack");
      for (let i = 0; i < 30; i++) await v1.add(admin, "github", { alias: `a${i}`, secret: ghToken(i) });
      const ring2 = createSecretCipher({
        current: 2,
        keys: new Map([
          [1, k1],
          [2, k2],
        ]),
      });
      expect(await reencryptSecrets({ store, cipher: ring2 }, 7)).toEqual({ reencrypted: 30, skipped: 0, failed: [] });
      expect(await db.prisma.integrationConfig.count({ where: { keyVersion: 1 } })).toBe(0);
      expect(await reencryptSecrets({ store, cipher: ring2 })).toEqual({ reencrypted: 0, skipped: 0, failed: [] });
      const onlyV2 = new IntegrationService({ ...base, cipher: createSecretCipher({ current: 2, keys: new Map([[2, k2]]) }) });
      for (let i = 0; i < 30; i++) expect((await onlyV2.reveal(admin, "github", `a${i}`)).secret).toBe(ghToken(i));
      // A ciphertext moved onto another row does not decrypt (bound to its row).
      const [a, b] = await db.prisma.integrationConfig.findMany({ take: 2, orderBy: { id: "asc" } });
      await db.prisma.integrationConfig.update({ where: { id: b!.id }, data: { ciphertext: a!.ciphertext } });
      await expect(onlyV2.reveal(admin, "github", b!.alias)).rejects.toMatchObject({ code: "unavailable" });
    } finally {
      await db.close();
    }
  });
});

describe.each(databaseKinds())("ciphertexts bound to where they belong, on %s", (kind) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  let services: ReturnType<typeof createDomainServices>;
  let base: Omit<Parameters<typeof createDomainServices>[0], "cipher">;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    base = {
      store: createPrismaStore(db.prisma),
      clock: new ManualClock(new Date("2026-11-27T12:00:00Z")),
      random: seededRandom(`binding-${kind}`),
      hasher: createKeyHasher(randomBytes(32)),
      adminUserIds: new Set<string>(),
      reminderDays: [7],
    };
    services = createDomainServices({ ...base, cipher: createSecretCipher({ current: 1, keys: new Map([[1, k1]]) }) });
  });
  afterAll(async () => {
    await db?.close();
  });

  const workspace = () => `T${randomBytes(5).toString("hex").toUpperCase()}`;
  const adminOf = (ws: string) => services.access.actorForUser(ws, "UBINDADMIN", { isWorkspaceAdmin: true }, "slack");
  const row = (id: string) => db.prisma.integrationConfig.findUniqueOrThrow({ where: { id } });
  const reveals = (ws: string) => db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "integration.reveal" } });

  /** Reveal refused as unreadable, with nothing written (no audit event of a read). */
  async function expectUnreadable(ws: string, integration: string, alias: string) {
    const before = await reveals(ws);
    await expect(services.integrations.reveal(await adminOf(ws), integration, alias)).rejects.toMatchObject({
      code: "unavailable",
      message: "A stored secret failed its integrity check and cannot be read.",
    });
    expect(await reveals(ws)).toBe(before);
  }

  it("does not decrypt a ciphertext copied onto another row, and reads the row's own", async () => {
    const ws = workspace();
    const admin = await adminOf(ws);
    const a = await services.integrations.add(admin, "github", { alias: "first", secret: ghToken(1) });
    const b = await services.integrations.add(admin, "github", { alias: "second", secret: ghToken(2) });
    const { ciphertext, keyVersion, binding } = await row(a.id);
    expect(binding).toBe(2);
    await db.prisma.integrationConfig.update({ where: { id: b.id }, data: { ciphertext, keyVersion, binding } });
    await expectUnreadable(ws, "github", "second");
    expect((await services.integrations.reveal(admin, "github", "first")).secret).toBe(ghToken(1));
  });

  it("does not decrypt a row moved into another workspace, under another alias or another integration", async () => {
    const ws = workspace();
    const other = workspace();
    await services.access.ensureWorkspace(other);
    const admin = await adminOf(ws);
    const moved = await services.integrations.add(admin, "github", { alias: "moved", secret: ghToken(3) });
    await db.prisma.integrationConfig.update({ where: { id: moved.id }, data: { workspaceId: other } });
    await expectUnreadable(other, "github", "moved");
    const renamed = await services.integrations.add(admin, "github", { alias: "renamed", secret: ghToken(4) });
    await db.prisma.integrationConfig.update({ where: { id: renamed.id }, data: { alias: "impostor" } });
    await expectUnreadable(ws, "github", "impostor");
    const reassigned = await services.integrations.add(admin, "github", { alias: "reassigned", secret: ghToken(5) });
    await db.prisma.integrationConfig.update({ where: { id: reassigned.id }, data: { integration: "pagerduty" } });
    await expectUnreadable(ws, "pagerduty", "reassigned");
    // Claiming the old binding does not help: the ciphertext itself was sealed with the full one.
    const downgraded = await services.integrations.add(admin, "github", { alias: "downgraded", secret: ghToken(6) });
    await db.prisma.integrationConfig.update({ where: { id: downgraded.id }, data: { binding: 1 } });
    await expectUnreadable(ws, "github", "downgraded");
  });

  it("reads a row sealed with the old binding (row id only), and upgrades it in place under the same key version", async () => {
    const ws = workspace();
    const admin = await adminOf(ws);
    const config = await services.integrations.add(admin, "github", { alias: "from-before", secret: ghToken(7) });
    await db.prisma.integrationConfig.update({ where: { id: config.id }, data: { ciphertext: sealLegacy(k1, ghToken(7), config.id), binding: 1 } });
    expect((await services.integrations.reveal(admin, "github", "from-before")).secret).toBe(ghToken(7));
    const ring2 = createSecretCipher({
      current: 2,
      keys: new Map([
        [1, k1],
        [2, k2],
      ]),
    });
    const upgraded = await upgradeSecretBindings({ store: base.store, cipher: ring2 });
    expect(upgraded.reencrypted).toBeGreaterThanOrEqual(1);
    expect(await row(config.id)).toMatchObject({ binding: 2, keyVersion: 1 });
    expect((await services.integrations.reveal(admin, "github", "from-before")).secret).toBe(ghToken(7));
    expect(await upgradeSecretBindings({ store: base.store, cipher: ring2 })).toMatchObject({ reencrypted: 0, skipped: 0 });
    // Once upgraded, the row no longer opens anywhere else.
    await db.prisma.integrationConfig.update({ where: { id: config.id }, data: { alias: "elsewhere" } });
    await expectUnreadable(ws, "github", "elsewhere");
  });

  it.runIf(kind === "postgres")("upgrades each old row exactly once when two instances start together", async () => {
    const ws = workspace();
    const admin = await adminOf(ws);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const config = await services.integrations.add(admin, "opsgenie", { alias: `together-${i}`, secret: ghToken(100 + i) });
      await db.prisma.integrationConfig.update({ where: { id: config.id }, data: { ciphertext: sealLegacy(k1, ghToken(100 + i), config.id), binding: 1 } });
      ids.push(config.id);
    }
    const second = await openDatabase({ databaseUrl: db.url! });
    try {
      const ring = () => createSecretCipher({ current: 1, keys: new Map([[1, k1]]) });
      const [a, b] = await Promise.all([
        upgradeSecretBindings({ store: base.store, cipher: ring() }, 5),
        upgradeSecretBindings({ store: createPrismaStore(second.prisma), cipher: ring() }, 5),
      ]);
      // Other tests' tampered rows fail in both; each of these 40 is re-sealed by exactly one instance.
      const mine = (r: typeof a) => r.failed.filter((id) => ids.includes(id));
      expect(mine(a)).toEqual([]);
      expect(mine(b)).toEqual([]);
      expect(await db.prisma.integrationConfig.count({ where: { id: { in: ids }, binding: 2 } })).toBe(40);
      expect(a.reencrypted + b.reencrypted).toBe(40);
      for (let i = 0; i < 40; i++) expect((await services.integrations.reveal(admin, "opsgenie", `together-${i}`)).secret).toBe(ghToken(100 + i));
    } finally {
      await second.close();
    }
  });

  it("rekey upgrades old bindings too, and reports a row that does not decrypt instead of stopping", async () => {
    const ws = workspace();
    const admin = await adminOf(ws);
    const good = await services.integrations.add(admin, "pagerduty", { alias: "good", secret: ghToken(8) });
    const broken = await services.integrations.add(admin, "pagerduty", { alias: "broken", secret: ghToken(9) });
    await db.prisma.integrationConfig.update({ where: { id: good.id }, data: { ciphertext: sealLegacy(k1, ghToken(8), good.id), binding: 1 } });
    await db.prisma.integrationConfig.update({ where: { id: broken.id }, data: { ciphertext: sealLegacy(k1, ghToken(9), good.id), binding: 1 } });
    const ring2 = createSecretCipher({
      current: 2,
      keys: new Map([
        [1, k1],
        [2, k2],
      ]),
    });
    const result = await reencryptSecrets({ store: base.store, cipher: ring2 });
    expect(result.failed).toContain(broken.id);
    expect(result.failed).not.toContain(good.id);
    expect(await row(good.id)).toMatchObject({ binding: 2, keyVersion: 2 });
    expect(await row(broken.id)).toMatchObject({ binding: 1, keyVersion: 1 });
    const onlyV2 = createDomainServices({ ...base, cipher: createSecretCipher({ current: 2, keys: new Map([[2, k2]]) }) });
    expect((await onlyV2.integrations.reveal(admin, "pagerduty", "good")).secret).toBe(ghToken(8));
  });
});
