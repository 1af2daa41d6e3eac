import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

/** The domain decides: a person Slack places outside the served workspace holds no role at all. */
describe.each(databaseKinds())("people of another organisation on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind, { adminUserIds: ["UCONFIGADM", "UCONFIGFOR"] });
  });
  afterAll(async () => {
    await f?.close();
  });

  it("an admin of their own workspace is nobody here, and leaves no record", async () => {
    const ws = f.workspace();
    const actor = await f.services.access.actorForUser(ws, "UFOREIGNAD", { isWorkspaceAdmin: true, foreign: true }, "slack");
    expect(actor.roleName).toBeNull();
    expect(actor.permissions.size).toBe(0);
    expect(await f.db.prisma.member.count({ where: { userId: "UFOREIGNAD" } })).toBe(0);
  });

  it("an assigned role does not follow a person who now belongs elsewhere", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.roles.assign(admin, "UMOVEDOUT1", "manager");
    expect((await f.services.access.actorForUser(ws, "UMOVEDOUT1", { isWorkspaceAdmin: false }, "slack")).roleName).toBe("Manager");
    expect((await f.services.access.actorForUser(ws, "UMOVEDOUT1", { isWorkspaceAdmin: false, foreign: true }, "slack")).roleName).toBeNull();
  });

  it("KEYWARD_ADMINS: Admin once Slack places the id here; not when foreign, nor when Slack could not be asked", async () => {
    const ws = f.workspace();
    expect((await f.services.access.actorForUser(ws, "UCONFIGADM", { isWorkspaceAdmin: false }, "slack")).roleName).toBe("Admin");
    expect((await f.services.access.actorForUser(ws, "UCONFIGFOR", { isWorkspaceAdmin: false, foreign: true }, "slack")).roleName).toBeNull();
    expect((await f.services.access.actorForUser(ws, "UCONFIGADM", { isWorkspaceAdmin: false, verified: false }, "slack")).roleName).toBeNull();
  });

  it("while Slack cannot be asked, an assignment counts only for someone Slack once vouched for here", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    // A Slack Connect guest picked in a shared channel and given a role: users.info says foreign.
    await f.services.roles.assign(admin, "UGUESTROLE", "manager");
    expect((await f.services.access.actorForUser(ws, "UGUESTROLE", { isWorkspaceAdmin: false, foreign: true }, "slack")).roleName).toBeNull();
    // users.info fails (a guess): still nothing, and nothing recorded.
    expect((await f.services.access.actorForUser(ws, "UGUESTROLE", { isWorkspaceAdmin: false, verified: false }, "slack")).roleName).toBeNull();
    expect(await f.db.prisma.member.count({ where: { workspaceId: ws, userId: "UGUESTROLE" } })).toBe(0);
    // A colleague Slack has vouched for keeps their role through an outage.
    await f.services.roles.assign(admin, "UCOLLEAGUE", "manager");
    expect((await f.services.access.actorForUser(ws, "UCOLLEAGUE", { isWorkspaceAdmin: false }, "slack")).roleName).toBe("Manager");
    expect((await f.services.access.actorForUser(ws, "UCOLLEAGUE", { isWorkspaceAdmin: false, verified: false }, "slack")).roleName).toBe("Manager");
  });

  it("a Slack admin who turns out foreign: the remembered admin status goes, so their personal key is refused", async () => {
    const ws = f.workspace();
    const admin = await f.services.access.actorForUser(ws, "UWASADMIN1", { isWorkspaceAdmin: true }, "slack");
    const { secret } = await f.services.keys.create(admin, { name: "was-admin", role: "Admin", kind: "personal", expiresOn: "2030-01-01", timeZone: "UTC" });
    await f.services.access.actorForUser(ws, "UWASADMIN1", { isWorkspaceAdmin: true, foreign: true }, "slack");
    expect(await f.db.prisma.member.findUnique({ where: { workspaceId_userId: { workspaceId: ws, userId: "UWASADMIN1" } } })).toMatchObject({
      isWorkspaceAdmin: false,
    });
    // Their key holds nothing now: refused outright (item 5), not valid with no permissions.
    expect(await f.services.access.actorForKey(secret)).toEqual({ ok: false, reason: "owner_inactive" });
  });
});

/** What one instance remembers of a person must not hide, for long, a change another instance wrote. */
describe.each(databaseKinds())("remembered Slack facts on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  it("writes nothing for an unchanged fact, and writes again once the memo is old even if it matches", async () => {
    const ws = f.workspace();
    const row = () => f.db.prisma.member.findUnique({ where: { workspaceId_userId: { workspaceId: ws, userId: "UMEMO00001" } } });
    await f.services.access.actorForUser(ws, "UMEMO00001", { isWorkspaceAdmin: false, deactivated: false }, "slack");
    const first = await row();
    // Another instance saw a deactivation (its user_change), then the reactivation event was lost.
    await f.db.prisma.member.update({ where: { workspaceId_userId: { workspaceId: ws, userId: "UMEMO00001" } }, data: { deactivatedAt: f.clock.now() } });
    await f.services.access.actorForUser(ws, "UMEMO00001", { isWorkspaceAdmin: false, deactivated: false }, "slack");
    expect((await row())?.deactivatedAt).not.toBeNull(); // still within this instance's memo
    f.clock.advance(5 * 60_000 + 1);
    await f.services.access.actorForUser(ws, "UMEMO00001", { isWorkspaceAdmin: false, deactivated: false }, "slack");
    expect((await row())?.deactivatedAt).toBeNull();
    // Unchanged facts again, past the memo: the row is not rewritten.
    const settled = await row();
    f.clock.advance(5 * 60_000 + 1);
    await f.services.access.actorForUser(ws, "UMEMO00001", { isWorkspaceAdmin: false, deactivated: false }, "slack");
    expect((await row())?.updatedAt).toEqual(settled?.updatedAt);
    expect(first?.isWorkspaceAdmin).toBe(false);
  });
});
