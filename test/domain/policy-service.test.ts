import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { isDomainError } from "../../src/domain/errors.ts";
import { endOfDayIn } from "../../src/domain/expiry.ts";
import { ChannelPacer } from "../../src/domain/channel-pacer.ts";
import { ReminderService } from "../../src/domain/reminder-service.ts";
import type { ReminderClaim, ReminderNotifier, ReminderOutcome } from "../../src/domain/reminder-types.ts";
import { createDomainFixture, fixtureStart, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

async function codeOf(work: Promise<unknown>): Promise<{ code: string; fields: Record<string, string> } | "ok"> {
  try {
    await work;
    return "ok";
  } catch (error) {
    if (isDomainError(error)) return { code: error.code, fields: error.details?.fields ?? {} };
    throw error;
  }
}

const fakePacer = () => {
  let at = 0;
  return new ChannelPacer(1_000, {
    now: () => at,
    sleep: async (ms: number) => {
      at += ms;
    },
  });
};

describe.each(databaseKinds())("workspace policies on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(() => f.clock.set(fixtureStart));

  const day = (on: string) => ({ expiresOn: on, timeZone: "Europe/Paris" });

  it("only Admins (policy.edit) change it; custom roles cannot carry policy.edit; a role the policy names is not deleted", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const manager = await f.actor(ws, "manager");
    expect(await codeOf(f.services.policies.update(manager, { requireDescription: true }))).toMatchObject({ code: "permission_denied" });
    expect(f.services.roles.grantablePermissions(admin)).not.toContain("policy.edit");
    expect(await codeOf(f.services.roles.create(admin, { name: "Policy", permissions: ["policy.edit"] }))).toMatchObject({
      code: "validation_failed",
      fields: { permissions: expect.any(String) },
    });
    await f.services.roles.create(admin, { name: "Deployer", permissions: ["api_keys.view"] });
    await f.services.policies.update(admin, { approvalRoles: ["deployer"] });
    expect(await codeOf(f.services.roles.delete(admin, "Deployer"))).toMatchObject({ code: "role_in_use" });
  });

  it("create: the approval path passes four eyes but no other rule", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.policies.update(admin, { approvalRoles: ["Manager"], requireDescription: true, maxLifetimeDays: { service: 30 } });
    const input = { name: "four-eyes", role: "Manager", description: "deploys", ...day("2026-12-20") };
    expect(await codeOf(f.services.keys.create(admin, input))).toMatchObject({
      code: "approval_required",
      fields: { role: expect.stringContaining("/keys request") },
    });
    expect(await codeOf(f.services.keys.create(admin, { ...input, description: "" }, { approved: true }))).toMatchObject({
      code: "policy_violation",
      fields: { description: expect.any(String) },
    });
    expect(await codeOf(f.services.keys.create(admin, { ...input, ...day("2027-01-30") }, { approved: true }))).toMatchObject({
      code: "policy_violation",
      fields: { expiresOn: "At most 30 days for service keys: by 2026-12-27." },
    });
    expect(await codeOf(f.services.keys.create(admin, input, { approved: true }))).toBe("ok");
    expect(await f.db.prisma.apiKey.count({ where: { workspaceId: ws } })).toBe(1);
  });

  it("the operator's npm run keys is held to the same policy, writing nothing when refused", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 30 } });
    const before = await f.db.dump();
    expect(await codeOf(f.services.operator.createKey("alice", ws, { name: "ops", role: "Viewer", ...day("2027-06-01") }))).toMatchObject({
      code: "policy_violation",
      fields: { expiresOn: expect.any(String) },
    });
    expect(await f.db.dump()).toBe(before);
  });

  it("roll: the default expiry is clamped to the maximum, a chosen one beyond it refused; the personal bound holds", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const old = await f.services.keys.create(admin, { name: "svc", role: "Viewer", ...day("2027-06-01") });
    const personal = await f.services.keys.create(admin, { name: "mine", role: "Manager", kind: "personal", ...day("2027-01-01") });
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 30 }, personalMaxRole: "Member" });
    expect(await codeOf(f.services.keys.roll(admin, old.key.id, { graceHours: 1, ...day("2027-01-30") }))).toMatchObject({
      code: "policy_violation",
      fields: { expiresOn: "At most 30 days for service keys: by 2026-12-27." },
    });
    const rolled = await f.services.keys.roll(admin, old.key.id, { graceHours: 1 });
    // 27 November + 30 days, the end of that day in the old key's zone (Paris).
    expect(rolled.key.expiresAt.toISOString()).toBe(endOfDayIn("2026-12-27", "Europe/Paris").toISOString());
    expect(await codeOf(f.services.keys.roll(admin, personal.key.id, { graceHours: 1 }))).toMatchObject({
      code: "policy_violation",
      fields: { role: expect.stringContaining("Member") },
    });
  });

  it("four eyes: a roll does not let one Admin mint a fresh key of an approval role alone; nothing is written", async () => {
    const ws = f.workspace();
    const adminA = await f.actor(ws, "admin");
    const adminB = await f.actor(ws, "admin");
    const requester = await f.actor(ws, null);
    await f.services.policies.update(adminA, { approvalRoles: ["Admin"] });
    // Direct create is refused: four eyes.
    expect(await codeOf(f.services.keys.create(adminA, { name: "solo", role: "Admin", ...day("2027-01-10") }))).toMatchObject({ code: "approval_required" });
    // An Admin key made properly, through a request approved by B for someone else.
    const request = await f.services.keyRequests.request(requester, { key: { name: "ops-admin", role: "Admin", ...day("2027-01-10") }, reason: "ops" }, {});
    const { created } = await f.services.keyRequests.approve(adminB, request.id);
    await f.services.keys.activate(adminB, created.key.id);
    // A, alone, would receive a brand-new Admin secret nobody approved for A: refused, for B as well.
    const before = await f.db.dump();
    for (const roller of [adminA, adminB]) {
      expect(await codeOf(f.services.keys.roll(roller, created.key.id, { graceHours: 1 }))).toMatchObject({
        code: "approval_required",
        fields: { role: expect.stringContaining("/keys request") },
      });
    }
    expect(await f.db.dump()).toBe(before);
  });

  it("required description: a key without one is not rolled (add one first with /keys edit); with one it is", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const old = await f.services.keys.create(admin, { name: "bare", role: "Viewer", ...day("2027-01-10") });
    await f.services.policies.update(admin, { requireDescription: true });
    const before = await f.db.dump();
    expect(await codeOf(f.services.keys.roll(admin, old.key.id, { graceHours: 1 }))).toMatchObject({
      code: "policy_violation",
      fields: { description: expect.stringContaining("/keys edit bare") },
    });
    expect(await f.db.dump()).toBe(before);
    await f.services.keys.update(admin, old.key.id, { description: "exports nightly" });
    expect(await codeOf(f.services.keys.roll(admin, old.key.id, { graceHours: 1 }))).toBe("ok");
  });

  it("applying a maximum shortens live keys to creation + maximum (end of that day in their zone, an instant + N days), audited with counts", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const zoned = await f.services.keys.create(admin, { name: "zoned", role: "Viewer", ...day("2027-06-01") });
    const instant = await f.services.keys.create(admin, { name: "instant", role: "Viewer", expiresAt: "2027-06-01T00:00:00Z" });
    const short = await f.services.keys.create(admin, { name: "short", role: "Viewer", ...day("2026-12-01") });
    f.clock.set("2026-12-03T12:00:00Z");
    const saved = await f.services.policies.update(admin, { maxLifetimeDays: { service: 10 } });
    expect(saved).toMatchObject({ applied: false, stricterKinds: ["service"], beyondMaximum: { shortened: 2, stoppedNow: 0 } });
    expect(await f.services.policies.previewMaxLifetime(admin)).toEqual({ shortened: 2, stoppedNow: 0 });
    expect(await f.services.policies.applyMaxLifetime(admin)).toEqual({ shortened: 2, stoppedNow: 0 });
    const rows = new Map((await f.db.prisma.apiKey.findMany({ where: { workspaceId: ws } })).map((r) => [r.name, r]));
    expect(rows.get("zoned")!.expiresAt.toISOString()).toBe(endOfDayIn("2026-12-07", "Europe/Paris").toISOString());
    expect(rows.get("instant")!.expiresAt.toISOString()).toBe(new Date(instant.key.createdAt.getTime() + 10 * 86_400_000).toISOString());
    expect(rows.get("short")!.expiresAt.toISOString()).toBe(short.key.expiresAt.toISOString());
    // Reminders follow: the zoned key's next one is planned from its new expiry (its 0-day one, 7 December, is ahead).
    expect(rows.get("zoned")!.nextReminderAt!.getTime()).toBeLessThanOrEqual(rows.get("zoned")!.expiresAt.getTime());
    const event = await f.db.prisma.auditEvent.findFirstOrThrow({ where: { workspaceId: ws, action: "policy.apply_max_lifetime" } });
    expect(event.details).toMatchObject({ shortened: 2, stoppedNow: 0, keyIds: expect.arrayContaining([zoned.key.id, instant.key.id]) });
    // A key still on its way to its creator (made under the old policy) is held to it too.
    await f.services.policies.update(admin, { maxLifetimeDays: { service: null } });
    const pending = await f.services.keys.create(admin, { name: "pending", role: "Viewer", ...day("2027-06-01") }, { pendingDelivery: true });
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 10 } });
    expect(await f.services.policies.applyMaxLifetime(admin)).toEqual({ shortened: 1, stoppedNow: 0 });
    const pendingRow = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: pending.key.id } });
    expect(pendingRow.expiresAt.toISOString()).toBe(endOfDayIn("2026-12-13", "Europe/Paris").toISOString());
    // Twice changes nothing more.
    expect(await f.services.policies.applyMaxLifetime(admin)).toEqual({ shortened: 0, stoppedNow: 0 });
  });

  it("per-workspace reminder thresholds: a workspace with [10] is reminded at 10 days, another keeps the default; a change re-plans existing rows", async () => {
    const delivered: Array<{ ws: string; threshold: number; at: string }> = [];
    const notifier: ReminderNotifier = {
      async deliver(claim: ReminderClaim): Promise<ReminderOutcome> {
        delivered.push({ ws: claim.subject.workspaceId, threshold: claim.threshold, at: f.clock.now().toISOString().slice(0, 10) });
        return { status: "sent", channel: "C0POLICY", ts: String(delivered.length) };
      },
    };
    const reminders = new ReminderService({ ...f.ctx, reminderNotifier: notifier, reminderPacer: fakePacer() });
    const add = async (ws: string) => {
      const admin = await f.actor(ws, "admin");
      await f.services.integrations.add(admin, "github", {
        alias: "gh",
        secret: `ghp_${"z".repeat(36)}`,
        expiresOn: "2027-01-16",
        timeZone: "UTC",
        reminderChannel: "C0POLICY",
      });
      return admin;
    };
    const [a, b, c] = [f.workspace(), f.workspace(), f.workspace()];
    const adminA = await add(a);
    await add(b);
    await f.services.policies.update(adminA, { reminderDays: [10] });
    // C: 50 days ahead, planned with the default (next: the 30-day one), then thresholds [45]: re-planned, so posted at 45 days, not late at 30.
    const adminC = await f.actor(c, "admin");
    await f.services.integrations.add(adminC, "github", {
      alias: "gh",
      secret: `ghp_${"w".repeat(36)}`,
      expiresOn: "2027-01-16",
      timeZone: "UTC",
      reminderChannel: "C0POLICY",
    });
    await f.services.policies.update(adminC, { reminderDays: [45] });
    const row = await f.db.prisma.integrationConfig.findFirstOrThrow({ where: { workspaceId: c } });
    expect(row.nextReminderAt!.toISOString()).toBe(fixtureStart.toISOString());
    for (let t = fixtureStart.getTime(); t <= Date.parse("2027-01-18T00:00:00Z"); t += 12 * 3600_000) {
      f.clock.set(new Date(t));
      await reminders.runPass();
    }
    const of = (ws: string) => delivered.filter((d) => d.ws === ws).map((d) => `${d.threshold}@${d.at}`);
    expect(of(a)).toEqual(["10@2027-01-06", "-1@2027-01-17"]);
    expect(of(b).map((x) => x.split("@")[0])).toEqual(["30", "14", "7", "3", "1", "0", "-1"]);
    expect(of(c)).toEqual(["45@2026-12-02", "-1@2027-01-17"]);
  });

  it("an undone roll (the replacement reached nobody) gives the old key back at most creation + maximum", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const old = await f.services.keys.create(admin, { name: "to-roll", role: "Viewer", ...day("2027-06-01") });
    const rolled = await f.services.keys.roll(admin, old.key.id, { graceHours: 1, ...day("2027-06-02") }, { pendingDelivery: true });
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 10 } });
    const discarded = await f.services.keys.discardUndelivered(admin, rolled.key, "delivery_failed");
    expect(discarded).toMatchObject({ discarded: true, revertedRoll: { revived: true } });
    const row = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: old.key.id } });
    expect(row.expiresAt.toISOString()).toBe(endOfDayIn("2026-12-07", "Europe/Paris").toISOString());
  });

  /** Waits until some transaction is blocked on an advisory lock (an event in the database, not a stopwatch); false if none came. */
  async function blockedOnAdvisoryLock(): Promise<boolean> {
    for (let i = 0; i < 500; i++) {
      const [row] = await f.db.prisma.$queryRawUnsafe<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      if (row!.n > 0) return true;
      await new Promise((r) => setImmediate(r));
    }
    return false;
  }

  it.runIf(kind === "postgres")(
    "an undone roll racing a policy change that lowers the maximum: it waits and gives the old key back at most creation + the new maximum",
    async () => {
      const ws = f.workspace();
      const admin = await f.actor(ws, "admin");
      const old = await f.services.keys.create(admin, { name: "revert-racer", role: "Viewer", ...day("2027-06-01") });
      const rolled = await f.services.keys.roll(admin, old.key.id, { graceHours: 1, ...day("2027-06-02") }, { pendingDelivery: true });
      const store = createPrismaStore(f.db.prisma);
      let discard: Promise<unknown> | undefined;
      await store.transaction(async (tx) => {
        await tx.policies.lockForEdit(ws);
        discard = f.services.keys.discardUndelivered(admin, rolled.key, "delivery_failed");
        expect(await blockedOnAdvisoryLock()).toBe(true);
        await tx.policies.save(
          ws,
          { maxLifetimeDays: { service: 10, personal: null }, requireDescription: false, personalMaxRoleId: null, approvalRoleIds: [], reminderDays: null },
          admin.userId,
          f.clock.now(),
        );
      });
      expect(await discard).toMatchObject({ discarded: true, revertedRoll: { revived: true } });
      const row = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: old.key.id } });
      expect(row.expiresAt.toISOString()).toBe(endOfDayIn("2026-12-07", "Europe/Paris").toISOString());
    },
  );

  it.runIf(kind === "postgres")("a role delete racing a policy change naming that role: it waits and is refused (the policy keeps its limit)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const role = await f.services.roles.create(admin, { name: "Bounded", permissions: ["api_keys.view"] });
    const store = createPrismaStore(f.db.prisma);
    let deletion: Promise<unknown> | undefined;
    await store.transaction(async (tx) => {
      // A policy change in flight, its roles resolved under the exclusive lock.
      await tx.policies.lockForEdit(ws);
      deletion = codeOf(f.services.roles.delete(admin, "Bounded"));
      expect(await blockedOnAdvisoryLock()).toBe(true);
      await tx.policies.save(
        ws,
        { maxLifetimeDays: { service: null, personal: null }, requireDescription: false, personalMaxRoleId: role.id, approvalRoleIds: [], reminderDays: null },
        admin.userId,
        f.clock.now(),
      );
    });
    expect(await deletion).toMatchObject({ code: "role_in_use" });
    expect((await f.services.policies.get(admin)).personalMaxRole).toMatchObject({ id: role.id, name: "Bounded" });
  });

  it.runIf(kind === "postgres")(
    "a create racing a policy change that lowers the maximum: it waits for the change and sees it (no key beyond the committed policy)",
    async () => {
      const ws = f.workspace();
      const admin = await f.actor(ws, "admin");
      const store = createPrismaStore(f.db.prisma);
      let create: Promise<unknown> | undefined;
      await store.transaction(async (tx) => {
        // A policy change in flight: it holds the policy's exclusive lock.
        await tx.policies.lockForEdit(ws);
        create = codeOf(f.services.keys.create(admin, { name: "racer", role: "Viewer", kind: "personal", ...day("2027-01-30") }));
        // Wait until the create is blocked on the policy lock (an event in the database, not a stopwatch).
        for (let i = 0; i < 500; i++) {
          const [row] = await f.db.prisma.$queryRawUnsafe<Array<{ n: number }>>(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
          );
          if (row!.n > 0) break;
          await new Promise((r) => setImmediate(r));
        }
        await tx.policies.save(
          ws,
          { maxLifetimeDays: { service: null, personal: 30 }, requireDescription: false, personalMaxRoleId: null, approvalRoleIds: [], reminderDays: null },
          admin.userId,
          f.clock.now(),
        );
      });
      expect(await create).toMatchObject({ code: "policy_violation", fields: { expiresOn: expect.any(String) } });
      expect(await f.db.prisma.apiKey.count({ where: { workspaceId: ws } })).toBe(0);
    },
  );
});
