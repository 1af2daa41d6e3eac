import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlreadyDecided } from "../../src/domain/key-request-service.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

/** Who may decide a key request, and what a refusal leaves behind (nothing), on the domain alone. */
describe.each(databaseKinds())("key requests on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind, { adminUserIds: ["UBOSSREQ"] });
  });
  afterAll(async () => {
    await f?.close();
  });

  const ask = (actor: Actor, role: string, name: string, kindOfKey: "service" | "personal" = "service") =>
    f.services.keyRequests.request(actor, { key: { name, role, kind: kindOfKey, expiresOn: "2027-03-01", timeZone: "Europe/Paris" }, reason: "needed" }, {});

  async function rowsOf(workspaceId: string) {
    const [keys, requests, audit] = await Promise.all([
      f.db.prisma.apiKey.count({ where: { workspaceId } }),
      f.db.prisma.keyRequest.findMany({ where: { workspaceId }, orderBy: { id: "asc" } }),
      f.db.prisma.auditEvent.count({ where: { workspaceId } }),
    ]);
    return { keys, requests, audit };
  }

  it("keeps the expiry day in the requester's zone and audits the request", async () => {
    const ws = f.workspace();
    const nobody = await f.actor(ws, null);
    const request = await ask(nobody, "Viewer", "zone-bot");
    expect(request).toMatchObject({ status: "pending", requestedBy: nobody.userId, roleName: "Viewer", expiryTimeZone: "Europe/Paris" });
    expect(request.expiresAt.toISOString()).toBe("2027-03-01T22:59:59.999Z");
    expect(request.lapsesAt.getTime() - request.createdAt.getTime()).toBe(7 * 86_400_000);
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "key_request.create" } })).toBe(1);
  });

  it("refuses a reasonless request, a role that grants nothing, a taken name and a personal key beyond the requester, writing nothing", async () => {
    const ws = f.workspace();
    const member = await f.actor(ws, "member");
    const manager = await f.actor(ws, "manager");
    await f.services.keys.create(manager, { name: "taken", role: "Viewer", expiresOn: "2027-03-01", timeZone: "UTC" });
    const before = await rowsOf(ws);
    await expect(
      f.services.keyRequests.request(member, { key: { name: "x", role: "Viewer", expiresOn: "2027-03-01", timeZone: "UTC" }, reason: " " }, {}),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: { reason: expect.any(String) } },
    });
    await expect(ask(member, "Viewer", "taken")).rejects.toMatchObject({ code: "conflict", details: { fields: { name: expect.any(String) } } });
    await expect(ask(member, "Manager", "mine", "personal")).rejects.toMatchObject({
      code: "role_exceeds_actor",
      details: { fields: { kind: expect.any(String) } },
    });
    await expect(ask(member, "No Such Role", "ghost")).rejects.toMatchObject({ code: "role_not_found" });
    const outsider = { ...member, userId: "USTRANGER", outsider: true };
    await expect(ask(outsider, "Viewer", "strange")).rejects.toMatchObject({ code: "permission_denied" });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("lets only someone who could create the key decide: a personal key for another person needs api_keys.edit", async () => {
    const ws = f.workspace();
    const requester = await f.actor(ws, "member");
    const otherMember = await f.actor(ws, "member");
    const viewer = await f.actor(ws, "viewer");
    const manager = await f.actor(ws, "manager");
    const request = await ask(requester, "Member", "laptop", "personal");
    const before = await rowsOf(ws);
    // personal_tokens.edit is for one's own personal keys: not someone else's.
    await expect(f.services.keyRequests.approve(otherMember, request.id)).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.keyRequests.deny(viewer, request.id, "no")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.keyRequests.approve(requester, request.id)).rejects.toMatchObject({ code: "permission_denied" });
    expect(await rowsOf(ws)).toEqual(before);
    const { created } = await f.services.keyRequests.approve(manager, request.id);
    expect(created.key).toMatchObject({ kind: "personal", createdBy: requester.userId, roleName: "Member" });
    // Pending until delivered (rule 4): it does not work yet.
    expect(await f.services.keys.verify(created.secret)).toMatchObject({ valid: false, reason: "unknown" });
    await f.services.keys.activate(manager, created.key.id);
    expect(await f.services.keys.verify(created.secret)).toMatchObject({ valid: true });
    await expect(f.services.keyRequests.deny(manager, request.id, "too late")).rejects.toBeInstanceOf(AlreadyDecided);
  });

  it("two approvals at once: one key, the other told who decided", async () => {
    const ws = f.workspace();
    const requester = await f.actor(ws, null);
    const [a, b] = [await f.actor(ws, "manager"), await f.actor(ws, "manager")];
    const request = await ask(requester, "Viewer", "twice");
    const results = await Promise.allSettled([f.services.keyRequests.approve(a, request.id), f.services.keyRequests.approve(b, request.id)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(AlreadyDecided);
    expect((lost.reason as AlreadyDecided).request.decidedBy).toBe((await f.db.prisma.keyRequest.findUniqueOrThrow({ where: { id: request.id } })).decidedBy);
    expect(await f.db.prisma.apiKey.count({ where: { workspaceId: ws } })).toBe(1);
  });

  it("expires week-old requests once, whatever the number of passes, and refuses a decision after", async () => {
    const ws = f.workspace();
    const requester = await f.actor(ws, null);
    const admin = await f.actor(ws, "admin");
    const request = await ask(requester, "Viewer", "late");
    f.clock.advance(7 * 86_400_000 + 1);
    await expect(f.services.keyRequests.approve(admin, request.id)).rejects.toMatchObject({ request: { status: "expired" } });
    const [first, second] = await Promise.all([f.services.keyRequests.expireLapsed(), f.services.keyRequests.expireLapsed()]);
    expect([...first, ...second].filter((r) => r.id === request.id)).toHaveLength(1);
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "key_request.expire" } })).toBe(1);
  });

  const dayAhead = (days: number) => new Date(f.clock.now().getTime() + days * 86_400_000).toISOString().slice(0, 10);

  it("holds a request to the policy when it is made and again at the approval, writing nothing when refused", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const manager = await f.actor(ws, "manager");
    const requester = await f.actor(ws, null);
    const askFor = (days: number, name: string) =>
      f.services.keyRequests.request(requester, { key: { name, role: "Viewer", expiresOn: dayAhead(days), timeZone: "UTC" }, reason: "needed" }, {});
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 30 } });
    const before = await rowsOf(ws);
    await expect(askFor(60, "too-long")).rejects.toMatchObject({ code: "policy_violation", details: { fields: { expiresOn: expect.any(String) } } });
    expect(await rowsOf(ws)).toEqual(before);
    // Within the policy when asked; the maximum is lowered before anyone decides.
    const request = await askFor(20, "lowered");
    await f.services.policies.update(admin, { maxLifetimeDays: { service: 10 } });
    const pending = await rowsOf(ws);
    await expect(f.services.keyRequests.approve(manager, request.id)).rejects.toMatchObject({ code: "policy_violation" });
    expect(await rowsOf(ws)).toEqual(pending);
    expect((await f.db.prisma.keyRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe("pending");
  });

  it("four eyes: a role that needs an approval is refused to a direct create, and made through a request another approver decides", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const otherAdmin = await f.actor(ws, "admin");
    await f.services.policies.update(admin, { approvalRoles: ["Admin"] });
    const before = await rowsOf(ws);
    await expect(f.services.keys.create(admin, { name: "root", role: "Admin", expiresOn: dayAhead(10), timeZone: "UTC" })).rejects.toMatchObject({
      code: "approval_required",
      details: { fields: { role: expect.stringContaining("/keys request") } },
    });
    expect(await rowsOf(ws)).toEqual(before);
    const request = await f.services.keyRequests.request(
      admin,
      { key: { name: "root", role: "Admin", expiresOn: dayAhead(10), timeZone: "UTC" }, reason: "break-glass" },
      {},
    );
    await expect(f.services.keyRequests.approve(admin, request.id)).rejects.toMatchObject({ code: "permission_denied" });
    const { created } = await f.services.keyRequests.approve(otherAdmin, request.id);
    expect(created.key).toMatchObject({ roleName: "Admin", createdBy: admin.userId });
  });

  it("rule 4 / a crash mid-delivery: the sweep removes the approved key and the request says undelivered (audited, messages stale, notice claimed once)", async () => {
    const ws = f.workspace();
    const manager = await f.actor(ws, "manager");
    const requester = await f.actor(ws, null);
    const request = await ask(requester, "Viewer", "crash-bot");
    const { created } = await f.services.keyRequests.approve(manager, request.id);
    // The process dies here: no delivery, no activate. Later the sweep runs.
    f.clock.set(new Date(f.clock.now().getTime() + 11 * 60_000).toISOString());
    expect(await f.services.keys.sweepUndelivered()).toBeGreaterThanOrEqual(1);
    const key = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: created.key.id } });
    expect(key.deletedAt).not.toBeNull();
    const row = await f.db.prisma.keyRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(row).toMatchObject({ status: "undelivered", messagesStale: true, undeliveredNotice: true });
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "key_request.undelivered", targetId: request.id } })).toBe(1);
    const claimed = await Promise.all([f.services.keyRequests.takeUndeliveredNotices(), f.services.keyRequests.takeUndeliveredNotices()]);
    expect(claimed.flat().filter((r) => r.id === request.id)).toHaveLength(1);
    expect(await f.services.keyRequests.takeUndeliveredNotices()).toEqual([]);
  });

  it("a request whose custom role was deleted can still be denied (by a holder of api_keys.edit, not the requester), not approved", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const member = await f.actor(ws, "member");
    const requester = await f.actor(ws, null);
    await f.services.roles.create(admin, { name: "Exporter", permissions: ["api_keys.view"] });
    const request = await ask(requester, "Exporter", "export-bot");
    await f.services.roles.delete(admin, "Exporter");
    await expect(f.services.keyRequests.approve(admin, request.id)).rejects.toMatchObject({ code: "role_not_found" });
    await expect(f.services.keyRequests.deny(member, request.id, "role is gone")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.keyRequests.deny(requester, request.id, "never mind")).rejects.toMatchObject({ code: "permission_denied" });
    expect(await f.services.keyRequests.checkDecider(admin, request.id)).toMatchObject({ id: request.id });
    expect(await f.services.keyRequests.deny(admin, request.id, "role is gone")).toMatchObject({ status: "denied", denyReason: "role is gone" });
  });

  it("at most 5 pending requests per person, counted under a lock (six at once: five made), refused with nothing written", async () => {
    const ws = f.workspace();
    const requester = await f.actor(ws, null);
    const other = await f.actor(ws, null);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => ask(requester, "Viewer", `burst-${i}`)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    const before = await rowsOf(ws);
    await expect(ask(requester, "Viewer", "one-more")).rejects.toMatchObject({
      code: "conflict",
      details: { fields: { reason: expect.stringContaining("5 requests waiting") } },
    });
    expect(await rowsOf(ws)).toEqual(before);
    // Someone else is not held to another person's count; a decided request frees a place.
    await ask(other, "Viewer", "other-1");
    const admin = await f.actor(ws, "admin");
    await f.services.keyRequests.deny(admin, before.requests[0]!.id, "no");
    await ask(requester, "Viewer", "after-deny");
  });

  it("the stale-message retry skips paused (uninstalled) workspaces in its query, so their rows never fill its batch", async () => {
    const paused = f.workspace();
    const live = f.workspace();
    const stale = [];
    for (const ws of [paused, live]) {
      const request = await ask(await f.actor(ws, null), "Viewer", "stale-bot");
      await f.services.keyRequests.deny(await f.actor(ws, "admin"), request.id, "no");
      await f.services.keyRequests.messagesStale(request, true);
      stale.push(request.id);
    }
    await f.db.prisma.workspace.update({ where: { id: paused }, data: { slackPausedAt: f.clock.now() } });
    const ids = (await f.services.keyRequests.staleMessages(1000)).map((r) => r.id);
    expect(ids).toContain(stale[1]);
    expect(ids).not.toContain(stale[0]);
  });

  it("sets the approvals channel for Admins only, and lists requests by cursor for those who may see keys", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const manager = await f.actor(ws, "manager");
    const nobody = await f.actor(ws, null);
    await expect(f.services.keyRequests.setApprovalsChannel(manager, "C0CHAN")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.keyRequests.setApprovalsChannel(admin, "D0DM")).rejects.toMatchObject({ code: "validation_failed" });
    await f.services.keyRequests.setApprovalsChannel(admin, "C0CHAN");
    expect(await f.services.keyRequests.approvalRoute({ workspaceId: ws, requestedBy: nobody.userId })).toEqual({ channel: "C0CHAN" });
    await f.services.keyRequests.setApprovalsChannel(admin, null);
    const route = await f.services.keyRequests.approvalRoute({ workspaceId: ws, requestedBy: nobody.userId });
    expect(route).toEqual({ admins: expect.arrayContaining(["UBOSSREQ", admin.userId]) });
    for (let i = 0; i < 3; i++) await ask(nobody, "Viewer", `paged-${i}`);
    await expect(f.services.keyRequests.list(nobody)).rejects.toMatchObject({ code: "permission_denied" });
    const first = await f.services.keyRequests.list(manager, { limit: 2 });
    const second = await f.services.keyRequests.list(manager, { limit: 2, cursor: first.nextCursor! });
    expect([...first.data, ...second.data].map((r) => r.name)).toEqual(["paged-0", "paged-1", "paged-2"]);
    expect(second.nextCursor).toBeNull();
  });
});
