// OperatorService (issue 11 item 6): `npm run keys` as the domain sees it. An operator on the machine
// acts as Admin under source `cli`; its keys stay inert until activated; refused input writes nothing,
// not even the workspace; the workspace is the only one there is, or T0LOCAL on a fresh install.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localWorkspaceId } from "../../src/domain/operator-service.ts";
import { actorText } from "../../src/slack/views/format.ts";
import { createDomainFixture, fixtureStart, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("OperatorService on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const input = { name: "first", role: "Manager", expiresOn: "2027-01-31", timeZone: "Europe/Paris" };

  /** Everything a refused command could have written, in every workspace. */
  async function everything() {
    const p = f.db.prisma;
    const [workspaces, roles, keys, audit] = await Promise.all([p.workspace.count(), p.role.count(), p.apiKey.count(), p.auditEvent.count()]);
    return { workspaces, roles, keys, audit };
  }

  it("issues a service key that works only once activated, as Admin, audited with source cli and never its secret", async () => {
    const ws = f.workspace();
    const created = await f.services.operator.createKey("alice", ws, input);
    expect(created.workspaceId).toBe(ws);
    expect(created.key).toMatchObject({ name: "first", kind: "service", roleName: "Manager", createdBy: "cli:alice", last4: created.secret.slice(-4) });
    expect(created.key.expiresAt.toISOString()).toBe("2027-01-31T22:59:59.999Z");
    // Printed nowhere yet: it does not work (SPEC rule 4).
    expect(await f.services.keys.verify(created.secret)).toMatchObject({ valid: false, reason: "unknown" });
    await f.services.operator.activateKey("alice", ws, created.key.id);
    const auth = await f.services.access.actorForKey(created.secret);
    expect(auth.ok && [...auth.actor.permissions].sort()).toEqual([
      "api_keys.edit",
      "api_keys.view",
      "audit.view",
      "integrations.edit",
      "integrations.view",
      "personal_tokens.edit",
    ]);
    const events = await f.db.prisma.auditEvent.findMany({ where: { workspaceId: ws } });
    expect(events).toMatchObject([{ action: "api_key.create", actorId: "cli:alice", source: "cli", targetId: created.key.id, targetName: "first" }]);
    expect(await f.db.dump()).not.toContain(created.secret);
    expect(await f.db.dump()).not.toContain(created.secret.slice(3, 30));
    // As the audit and key list show the creator in Slack.
    const reader = await f.actor(ws, "admin");
    const names = await f.services.directory.actorNames(reader, ["cli:alice", "cli"]);
    expect(actorText(names.get("cli:alice")!)).toBe("operator alice");
    expect(actorText(names.get("cli")!)).toBe("an operator");
  });

  it("records an operator without a usable OS user name as cli", async () => {
    const ws = f.workspace();
    for (const osUser of [undefined, "", "has space", "x".repeat(33), "<!here>"]) {
      const created = await f.services.operator.createKey(osUser, ws, { ...input, name: `nameless-${osUser?.length ?? "none"}` });
      expect(created.key.createdBy).toBe("cli");
    }
  });

  it("refuses bad input before anything is written, the workspace of a fresh install included", async () => {
    const fresh = f.workspace();
    const existing = f.workspace();
    await f.services.operator.createKey("alice", existing, input);
    const refusals: Array<[string | undefined, Partial<typeof input>, string, RegExp?]> = [
      [fresh, { role: "Bogus" }, "role_not_found", /^There is no role "Bogus" in workspace T\w+; its roles: Viewer, Member, Manager, Admin\.$/],
      [existing, { role: "Owner" }, "role_not_found", /its roles: Viewer, Member, Manager, Admin\.$/],
      [fresh, { expiresOn: "2026-11-26" }, "expiry_in_past"],
      [fresh, { expiresOn: "2099-01-01" }, "validation_failed"],
      [fresh, { name: "" }, "validation_failed"],
      [fresh, { name: "tab\there" }, "validation_failed"],
      [fresh, { timeZone: "Mars/Olympus" }, "validation_failed"],
      [existing, {}, "conflict"],
      ["t0lower", {}, "validation_failed"],
      ["U0PERSON", {}, "validation_failed"],
    ];
    for (const [workspace, change, code, message] of refusals) {
      const before = await everything();
      const refused = f.services.operator.createKey("alice", workspace, { ...input, ...change });
      await expect(refused, JSON.stringify(change)).rejects.toMatchObject({ code, ...(message ? { message: expect.stringMatching(message) } : {}) });
      expect(await everything()).toEqual(before);
    }
    expect(await f.db.prisma.workspace.count({ where: { id: fresh } })).toBe(0);
  });

  it("activates and discards only the pending keys this operator created", async () => {
    const ws = f.workspace();
    const mine = await f.services.operator.createKey("alice", ws, { ...input, name: "mine" });
    const admin = await f.actor(ws, "admin");
    const slackPending = await f.services.keys.create(admin, { ...input, name: "from-slack" }, { pendingDelivery: true });
    await expect(f.services.operator.activateKey("bob", ws, mine.key.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.operator.activateKey("alice", ws, slackPending.key.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.operator.discardKey("alice", ws, slackPending.key.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.operator.activateKey("alice", f.workspace(), mine.key.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.operator.activateKey("alice", ws, "not-an-id")).rejects.toMatchObject({ code: "not_found" });
    expect(await f.services.keys.verify(slackPending.secret)).toMatchObject({ valid: false, reason: "unknown" });

    expect(await f.services.operator.discardKey("alice", ws, mine.key.id)).toBe(true);
    // Never shown, now gone: refused as a key that never existed.
    expect(await f.services.keys.verify(mine.secret)).toMatchObject({ valid: false, reason: "unknown" });
    expect((await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: mine.key.id } })).deletedAt).not.toBeNull();
    await expect(f.services.operator.activateKey("alice", ws, mine.key.id)).rejects.toMatchObject({ code: "not_found" });
    const deleted = await f.db.prisma.auditEvent.findFirstOrThrow({ where: { workspaceId: ws, action: "api_key.delete" } });
    expect(deleted).toMatchObject({ actorId: "cli:alice", source: "cli", targetId: mine.key.id, details: { reason: "delivery_failed" } });
    // An activated key is no longer pending: it cannot be discarded as undelivered.
    const shown = await f.services.operator.createKey("alice", ws, { ...input, name: "shown" });
    await f.services.operator.activateKey("alice", ws, shown.key.id);
    await expect(f.services.operator.discardKey("alice", ws, shown.key.id)).rejects.toMatchObject({ code: "not_found" });
    expect((await f.services.keys.verify(shown.secret)).valid).toBe(true);
  });

  it("confirms activating again a key of its own already on (the first answer was lost), and nobody else's", async () => {
    const ws = f.workspace();
    const mine = await f.services.operator.createKey("alice", ws, { ...input, name: "twice" });
    await f.services.operator.activateKey("alice", ws, mine.key.id);
    const audit = await f.db.prisma.auditEvent.count({ where: { workspaceId: ws } });
    await f.services.operator.activateKey("alice", ws, mine.key.id);
    // Two asks at once (the retry and a first one still on its way): both confirmed, the key on once.
    const again = await f.services.operator.createKey("alice", ws, { ...input, name: "racing" });
    await Promise.all([f.services.operator.activateKey("alice", ws, again.key.id), f.services.operator.activateKey("alice", ws, again.key.id)]);
    expect((await f.services.keys.verify(mine.secret)).valid).toBe(true);
    expect((await f.services.keys.verify(again.secret)).valid).toBe(true);
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws } })).toBe(audit + 1);
    // Another operator's, a deleted one, another workspace's: still not found.
    await expect(f.services.operator.activateKey("bob", ws, mine.key.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(f.services.operator.activateKey("alice", f.workspace(), mine.key.id)).rejects.toMatchObject({ code: "not_found" });
    await f.services.operator.deleteKey("alice", ws, mine.key.id);
    await expect(f.services.operator.activateKey("alice", ws, mine.key.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("lists a workspace's keys and deletes by id or name, refusing a name two live keys share", async () => {
    const ws = f.workspace();
    const old = await f.services.operator.createKey("alice", ws, { ...input, name: "dup", expiresOn: "2026-11-28", timeZone: "UTC" });
    await f.services.operator.activateKey("alice", ws, old.key.id);
    f.clock.advance(3 * 86_400_000);
    try {
      // The expired key keeps its name but no longer holds it: a new key may take it.
      const fresh = await f.services.operator.createKey("alice", ws, { ...input, name: "dup" });
      await f.services.operator.activateKey("alice", ws, fresh.key.id);
      const page = await f.services.operator.listKeys("alice", ws);
      expect(page.workspaceId).toBe(ws);
      expect(page.data.map((k) => k.id).sort()).toEqual([old.key.id, fresh.key.id].sort());
      await expect(f.services.operator.deleteKey("alice", ws, "dup")).rejects.toMatchObject({
        code: "ambiguous_reference",
        message: expect.stringContaining(`…${old.key.last4} (expired`),
      });
      await expect(f.services.operator.deleteKey("alice", ws, "nothing-by-that-name")).rejects.toMatchObject({ code: "not_found" });
      expect((await f.services.operator.deleteKey("bob", ws, old.key.id)).key.id).toBe(old.key.id);
      // One key of that name now: the name alone says which.
      expect((await f.services.operator.deleteKey("bob", ws, "dup")).key.id).toBe(fresh.key.id);
      expect((await f.services.operator.listKeys("alice", ws)).data).toEqual([]);
      const deletes = await f.db.prisma.auditEvent.findMany({ where: { workspaceId: ws, action: "api_key.delete" } });
      expect(deletes.map((e) => [e.actorId, e.source])).toEqual([
        ["cli:bob", "cli"],
        ["cli:bob", "cli"],
      ]);
    } finally {
      f.clock.set(fixtureStart);
    }
  });
});

describe.each(databaseKinds())("the operator's workspace on %s", (kind) => {
  it("is the only one there is, T0LOCAL on a fresh install, and never a guess among several", async () => {
    const f = await createDomainFixture(kind);
    try {
      expect(await f.services.operator.workspaceFor(undefined)).toBe(localWorkspaceId);
      // Listing creates nothing.
      expect((await f.services.operator.listKeys("alice", undefined)).data).toEqual([]);
      expect(await f.db.prisma.workspace.count()).toBe(0);
      const first = await f.services.operator.createKey("alice", undefined, { name: "first", role: "admin", expiresOn: "2027-01-31", timeZone: "UTC" });
      expect(first.workspaceId).toBe("T0LOCAL");
      expect(await f.services.operator.workspaceFor(undefined)).toBe("T0LOCAL");
      // Slack is connected later: its team has data too.
      await f.services.access.ensureWorkspace("T0SLACKTEAM");
      await expect(f.services.operator.workspaceFor(undefined)).rejects.toMatchObject({
        code: "ambiguous_reference",
        message: "Several workspaces have data (T0LOCAL, T0SLACKTEAM): say which one with --workspace.",
      });
      const before = await f.db.prisma.apiKey.count();
      await expect(
        f.services.operator.createKey("alice", undefined, { name: "second", role: "Admin", expiresOn: "2027-01-31", timeZone: "UTC" }),
      ).rejects.toMatchObject({
        code: "ambiguous_reference",
      });
      expect(await f.db.prisma.apiKey.count()).toBe(before);
      expect(await f.services.operator.workspaceFor("T0SLACKTEAM")).toBe("T0SLACKTEAM");
    } finally {
      await f.close();
    }
  });
});
