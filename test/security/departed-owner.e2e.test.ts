import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyResponseSchema } from "../../src/api/api-schemas.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { startTestApp } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";

const configAdmin = "UCFGADMIN1";
const later = { expiresOn: "2030-01-01", timeZone: "UTC" };

async function verifyOn(url: string, key: string) {
  const res = await fetch(`${url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
  return verifyResponseSchema.parse(await res.json());
}
async function rolesStatus(url: string, key: string) {
  return (await fetch(`${url}/api/v1/roles`, { headers: { authorization: `Bearer ${key}` } })).status;
}

const refused = { valid: false, reason: "owner_inactive", workspaceId: null, keyId: null, role: null, permissions: [], expiresAt: null };

/** Item 5: a personal key whose creator holds nothing now, or left Slack, is not "valid". */
describe("a departed person's personal key", () => {
  let url: string;
  const { app } = useSlackApp({ env: { KEYWARD_ADMINS: configAdmin } });
  beforeAll(() => {
    url = app.keyward.url;
  });

  async function adminActor() {
    const id = app.addUser({ id: `UADM${Math.random().toString(36).slice(2, 8).toUpperCase()}`, isAdmin: true });
    return app.keyward.services.access.actorForUser(app.fake.teamId, id, { isWorkspaceAdmin: true }, "slack");
  }

  it("names its workspace when valid", async () => {
    const admin = await adminActor();
    const { key, secret } = await app.keyward.services.keys.create(admin, { name: "service-one", role: "Viewer", ...later });
    expect(await verifyOn(url, secret)).toMatchObject({ valid: true, workspaceId: app.fake.teamId, keyId: key.id, role: "Viewer" });
  });

  it("a demoted creator: /verify answers valid false (owner_inactive) and REST refuses it with 401", async () => {
    const admin = await adminActor();
    const memberId = app.addUser({ id: "UDEMOTED1" });
    await app.keyward.services.roles.assign(admin, memberId, "Member");
    const member = await app.keyward.services.access.actorForUser(app.fake.teamId, memberId, { isWorkspaceAdmin: false }, "slack");
    const { key, secret } = await app.keyward.services.keys.create(member, { name: "demoted-own", role: "Member", kind: "personal", ...later });
    expect(await verifyOn(url, secret)).toMatchObject({ valid: true });
    expect(await rolesStatus(url, secret)).toBe(200);
    await app.keyward.services.roles.unassign(admin, memberId);
    expect(await verifyOn(url, secret)).toEqual(refused);
    const res = await fetch(`${url}/api/v1/roles`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthenticated" } });
    // Its usage counts the two presentations that authenticated, not the two refused ones.
    await app.keyward.services.usageCounter.flush();
    const days = await app.keyward.services.usage.daily(admin, key.id);
    expect(days.reduce((sum, d) => sum + d.count, 0)).toBe(2);
  });

  it("a creator demoted to a smaller role keeps a valid key with what they still hold", async () => {
    const admin = await adminActor();
    const userId = app.addUser({ id: "UDEMOTED2" });
    await app.keyward.services.roles.assign(admin, userId, "Manager");
    const manager = await app.keyward.services.access.actorForUser(app.fake.teamId, userId, { isWorkspaceAdmin: false }, "slack");
    const { secret } = await app.keyward.services.keys.create(manager, { name: "manager-own", role: "Manager", kind: "personal", ...later });
    await app.keyward.services.roles.assign(admin, userId, "Viewer");
    const verdict = await verifyOn(url, secret);
    expect(verdict).toMatchObject({ valid: true, role: "Manager" });
    expect(verdict.permissions).toContain("api_keys.view");
    expect(verdict.permissions).not.toContain("api_keys.edit");
  });

  it("a creator deactivated in Slack (a signed user_change through the receiver) is remembered as such, until Slack says active again", async () => {
    // A KEYWARD_ADMINS person: the configuration still grants them Admin, so only the remembered deactivation refuses the key.
    app.addUser({ id: configAdmin });
    const creator = await app.keyward.services.access.actorForUser(app.fake.teamId, configAdmin, { isWorkspaceAdmin: false }, "slack");
    const { secret } = await app.keyward.services.keys.create(creator, { name: "config-admins-own", role: "Admin", kind: "personal", ...later });
    expect(await verifyOn(url, secret)).toMatchObject({ valid: true });
    const ack = await app.driver.event({ type: "user_change", user: { id: configAdmin, team_id: app.fake.teamId, deleted: true } });
    expect(ack.status).toBe(200);
    // Bolt acks an event before its listener runs: its effect is there once the app has finished it.
    await app.idle();
    expect(await verifyOn(url, secret)).toEqual(refused);
    expect(await rolesStatus(url, secret)).toBe(401);
    const member = await app.keyward.db.prisma.member.findUniqueOrThrow({
      where: { workspaceId_userId: { workspaceId: app.fake.teamId, userId: configAdmin } },
    });
    expect(member.deactivatedAt).toBeInstanceOf(Date);

    await app.driver.event({ type: "user_change", user: { id: configAdmin, team_id: app.fake.teamId, deleted: false } });
    await app.idle();
    expect(await verifyOn(url, secret)).toMatchObject({ valid: true, workspaceId: app.fake.teamId });
    expect(await rolesStatus(url, secret)).toBe(200);
  });

  it("a deactivated member (role taken away, audited) is refused too", async () => {
    const admin = await adminActor();
    const memberId = app.addUser({ id: "UGOODBYE2" });
    await app.keyward.services.roles.assign(admin, memberId, "Member");
    const member = await app.keyward.services.access.actorForUser(app.fake.teamId, memberId, { isWorkspaceAdmin: false }, "slack");
    const { secret } = await app.keyward.services.keys.create(member, { name: "leavers-own", role: "Member", kind: "personal", ...later });
    await app.driver.event({ type: "user_change", user: { id: memberId, team_id: app.fake.teamId, deleted: true } });
    await app.idle();
    expect(await verifyOn(url, secret)).toEqual(refused);
    expect(await rolesStatus(url, secret)).toBe(401);
  });

  it("users.info saying deleted is remembered as a deactivation", async () => {
    const userId = "UCFGADMIN2";
    const app2 = await startTestApp({ env: { KEYWARD_ADMINS: userId } });
    try {
      app2.addUser({ id: userId });
      const creator = await app2.keyward.services.access.actorForUser(app2.fake.teamId, userId, { isWorkspaceAdmin: false }, "slack");
      const { secret } = await app2.keyward.services.keys.create(creator, { name: "seen-deleted", role: "Admin", kind: "personal", ...later });
      expect(await verifyOn(app2.keyward.url, secret)).toMatchObject({ valid: true });
      app2.fake.addUser({ id: userId, deleted: true, tz: "UTC" });
      await app2.driver.command({ userId, text: "help" });
      await app2.idle();
      expect(await verifyOn(app2.keyward.url, secret)).toEqual(refused);
      expect(await rolesStatus(app2.keyward.url, secret)).toBe(401);
    } finally {
      await app2.close();
    }
  });
});

describe("a creator removed from KEYWARD_ADMINS", () => {
  let dataDir: string;
  let app: Keyward | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "kw-departed-"));
  });
  afterAll(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const start = (admins: string) =>
    startKeyward({ config: loadConfig({ PORT: "0", DATA_DIR: dataDir, KEYWARD_ADMINS: admins }), logger: createLogger("silent"), reminderScheduler: false });

  it("holds nothing after a restart with other configuration: /verify owner_inactive, REST 401", async () => {
    app = await start(configAdmin);
    const creator = await app.services.access.actorForUser("TRESTART1", configAdmin, { isWorkspaceAdmin: false }, "slack");
    const { secret } = await app.services.keys.create(creator, { name: "was-config-admin", role: "Admin", kind: "personal", ...later });
    expect(await verifyOn(app.url, secret)).toMatchObject({ valid: true });
    await app.close();
    app = await start("UOTHERADM1");
    expect(await verifyOn(app.url, secret)).toEqual(refused);
    expect(await rolesStatus(app.url, secret)).toBe(401);
  });
});
