import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("roles and access on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind, { adminUserIds: ["UBOSS"] });
  });
  afterAll(async () => {
    await f?.close();
  });

  async function rowsOf(workspaceId: string) {
    const [roles, assignments, audit] = await Promise.all([
      f.db.prisma.role.count({ where: { workspaceId } }),
      f.db.prisma.roleAssignment.count({ where: { workspaceId } }),
      f.db.prisma.auditEvent.count({ where: { workspaceId } }),
    ]);
    return { roles, assignments, audit };
  }

  it("seeds the four built-in roles with the spec's permissions", async () => {
    const ws = f.workspace();
    const viewer = await f.actor(ws, "viewer");
    const roles = await f.services.roles.list(viewer);
    const byName = Object.fromEntries(roles.map((r) => [r.name, [...r.permissions].sort()]));
    expect(byName).toEqual({
      Viewer: ["api_keys.view", "integrations.view"],
      Member: ["api_keys.view", "audit.view", "integrations.view", "personal_tokens.edit"],
      Manager: ["api_keys.edit", "api_keys.view", "audit.view", "integrations.edit", "integrations.view", "personal_tokens.edit"],
      Admin: [
        "api_keys.edit",
        "api_keys.view",
        "audit.view",
        "integrations.edit",
        "integrations.secrets.read",
        "integrations.view",
        "personal_tokens.edit",
        "policy.edit",
        "roles.edit",
      ],
    });
  });

  it("makes Slack admins and KEYWARD_ADMINS Admin, and others nothing until assigned", async () => {
    const ws = f.workspace();
    const slackAdmin = await f.services.access.actorForUser(ws, "USLACKADM", { isWorkspaceAdmin: true }, "slack");
    expect(slackAdmin.roleName).toBe("Admin");
    const listed = await f.services.access.actorForUser(ws, "UBOSS", { isWorkspaceAdmin: false }, "slack");
    expect(listed.roleName).toBe("Admin");
    const stranger = await f.services.access.actorForUser(ws, "USTRANGER", { isWorkspaceAdmin: false }, "slack");
    expect(stranger.roleName).toBeNull();
    expect(stranger.permissions.size).toBe(0);
    await expect(f.services.roles.list(stranger)).rejects.toMatchObject({ code: "permission_denied" });
    await f.services.roles.assign(listed, "USTRANGER", "member");
    const now = await f.services.access.actorForUser(ws, "USTRANGER", { isWorkspaceAdmin: false }, "slack");
    expect(now.roleName).toBe("Member");
  });

  it("creates a custom role only from permissions the creator holds", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const role = await f.services.roles.create(admin, { name: "Key rotator", permissions: ["api_keys.view", "api_keys.edit"] });
    expect(role).toMatchObject({ name: "Key rotator", builtIn: null });
    const custom = await f.actor(ws, null);
    await f.services.roles.assign(admin, custom.userId, "key rotator");
    const rotator = await f.services.access.actorForUser(ws, custom.userId, { isWorkspaceAdmin: false }, "slack");
    expect([...rotator.permissions].sort()).toEqual(["api_keys.edit", "api_keys.view"]);

    // A role editor who is not Admin cannot mint a role with more than they hold.
    const limited = await f.services.roles.create(admin, { name: "Role clerk", permissions: ["roles.edit", "api_keys.view"] });
    const clerkUser = await f.actor(ws, null);
    await f.services.roles.assign(admin, clerkUser.userId, limited.id);
    const clerk = await f.services.access.actorForUser(ws, clerkUser.userId, { isWorkspaceAdmin: false }, "slack");
    const before = await rowsOf(ws);
    await expect(f.services.roles.create(clerk, { name: "Escalate", permissions: ["roles.edit", "integrations.secrets.read"] })).rejects.toMatchObject({
      code: "role_exceeds_actor",
    });
    await expect(f.services.roles.assign(clerk, clerk.userId, "Admin")).rejects.toMatchObject({ code: "role_exceeds_actor" });
    // Within their own permissions the clerk may assign.
    const reader = await f.services.roles.create(admin, { name: "Reader", permissions: ["api_keys.view"] });
    await expect(f.services.roles.assign(clerk, "UREADER1", reader.name)).resolves.toMatchObject({ id: reader.id });
    expect((await rowsOf(ws)).roles).toBe(before.roles + 1); // only Reader, made by the Admin
    // Demoting someone whose assigned role is above the clerk's is refused.
    const manager = await f.actor(ws, "manager");
    await expect(f.services.roles.assign(clerk, manager.userId, "Viewer")).rejects.toMatchObject({ code: "role_exceeds_actor" });
  });

  it.each([
    [{ name: "", permissions: ["audit.view"] }, "name"],
    [{ name: "r".repeat(41), permissions: ["audit.view"] }, "name"],
    [{ name: "Empty", permissions: [] }, "permissions"],
    [{ name: "Bogus", permissions: ["keys.everything"] }, "permissions.0"],
    [{ name: "admin", permissions: ["audit.view"] }, "name"],
  ])("refuses role input %j, writing nothing", async (input, field) => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const before = await rowsOf(ws);
    const error = await f.services.roles.create(admin, input as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ details: { fields: { [field]: expect.any(String) } } });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("refuses role changes without roles.edit and unknown roles", async () => {
    const ws = f.workspace();
    const manager = await f.actor(ws, "manager");
    const admin = await f.actor(ws, "admin");
    const before = await rowsOf(ws);
    await expect(f.services.roles.create(manager, { name: "Mine", permissions: ["api_keys.view"] })).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.roles.assign(manager, manager.userId, "Admin")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.roles.assign(admin, "UNEW", "Superuser")).rejects.toMatchObject({ code: "role_not_found" });
    await expect(f.services.roles.assign(admin, "not-a-user", "Viewer")).rejects.toMatchObject({ code: "validation_failed" });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("deletes an unused custom role, refuses one in use and built-ins", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.roles.create(admin, { name: "Temp", permissions: ["api_keys.view"] });
    await f.services.roles.create(admin, { name: "Held", permissions: ["api_keys.view"] });
    await f.services.roles.assign(admin, "UHOLDER", "Held");
    await expect(f.services.roles.delete(admin, "Held")).rejects.toMatchObject({ code: "role_in_use" });
    await expect(f.services.roles.delete(admin, "Viewer")).rejects.toMatchObject({ code: "conflict" });
    await f.services.roles.delete(admin, "temp");
    expect((await f.services.roles.list(admin)).map((r) => r.name)).not.toContain("Temp");
    const actions = (await f.services.audit.latest(admin, 10)).map((e) => e.action);
    expect(actions).toEqual(["role.delete", "role.assign", "role.create", "role.create"]);
  });

  it("keeps roles per workspace", async () => {
    const wsA = f.workspace();
    const wsB = f.workspace();
    const adminA = await f.actor(wsA, "admin");
    const adminB = await f.actor(wsB, "admin");
    const role = await f.services.roles.create(adminA, { name: "Only in A", permissions: ["api_keys.view"] });
    await expect(f.services.roles.assign(adminB, "UX1", role.id)).rejects.toMatchObject({ code: "role_not_found" });
    await expect(f.services.keys.create(adminB, { name: "k", role: role.id, expiresOn: "2027-01-01", timeZone: "UTC" })).rejects.toMatchObject({
      code: "role_not_found",
    });
  });

  it("limits and guards the audit log", async () => {
    const ws = f.workspace();
    const viewer = await f.actor(ws, "viewer");
    await expect(f.services.audit.latest(viewer)).rejects.toMatchObject({ code: "permission_denied" });
    const member = await f.actor(ws, "member");
    await expect(f.services.audit.latest(member, 5000)).resolves.toEqual([]);
  });
});
