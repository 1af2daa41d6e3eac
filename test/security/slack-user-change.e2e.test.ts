import { describe, expect, it } from "vitest";
import { useSlackApp } from "../support/slack-e2e.ts";

/** A personal key never acts with more than its creator holds now, as Slack last told us. */
describe("Slack user changes reach personal keys at once", () => {
  const { app } = useSlackApp();

  async function roles(key: string) {
    return (await fetch(`${app.keyward.url}/api/v1/roles`, { headers: { authorization: `Bearer ${key}` } })).status;
  }
  async function createWith(key: string, name: string) {
    const res = await fetch(`${app.keyward.url}/api/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" }),
    });
    return res.status;
  }

  it("a Slack admin unmade admin: their personal key loses the admin's rights", async () => {
    const userId = app.addUser({ id: "UADMINCHG", isAdmin: true });
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, userId, { isWorkspaceAdmin: true }, "slack");
    const { secret } = await app.keyward.services.keys.create(admin, {
      name: "admins-own",
      role: "Admin",
      kind: "personal",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
    expect(await createWith(secret, "while-admin")).toBe(201);
    const ack = await app.driver.event({
      type: "user_change",
      user: { id: userId, team_id: app.fake.teamId, is_admin: false, is_owner: false, deleted: false },
    } as never);
    expect(ack.status).toBe(200);
    // Bolt acks an event before its listener runs: the change is recorded once the app has finished it.
    await app.idle();
    const status = await createWith(secret, `after-${Date.now()}`);
    expect(status).toBe(401); // they hold nothing now: the key is refused outright (owner_inactive)
  });

  it("a deactivated person loses their keyward role (audited) and their personal keys are refused", async () => {
    const adminId = app.addUser({ id: "UADMINOK1", isAdmin: true });
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, adminId, { isWorkspaceAdmin: true }, "slack");
    const memberId = app.addUser({ id: "UGOODBYE1" });
    await app.keyward.services.roles.assign(admin, memberId, "Member");
    const member = await app.keyward.services.access.actorForUser(app.fake.teamId, memberId, { isWorkspaceAdmin: false }, "slack");
    const { secret } = await app.keyward.services.keys.create(member, {
      name: "members-own",
      role: "Member",
      kind: "personal",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
    expect(await roles(secret)).toBe(200);
    await app.driver.event({ type: "user_change", user: { id: memberId, team_id: app.fake.teamId, deleted: true } } as never);
    await app.idle();
    const status = await roles(secret);
    expect(status).toBe(401);
    const audit = await app.keyward.db.prisma.auditEvent.findFirst({ where: { action: "role.unassign", targetId: memberId } });
    expect(audit?.details).toMatchObject({ reason: "deactivated in Slack", previous: "Member" });
  });
});
