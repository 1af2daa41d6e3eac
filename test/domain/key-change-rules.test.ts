import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

/**
 * The rules that decide the loser of two conflicting changes of one key (issue 9 item 6), one
 * change after the other. test/security/key-races.e2e.test.ts sends them at the same moment.
 */
describe.each(databaseKinds())("rules for changing a key on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const input = { description: "first", role: "Viewer", expiresOn: "2027-01-31", timeZone: "UTC" };

  /** Every key and audit row of the workspace, to show a refusal wrote nothing. */
  async function rowsOf(workspaceId: string) {
    const [keys, audit] = await Promise.all([
      f.db.prisma.apiKey.findMany({ where: { workspaceId }, orderBy: { id: "asc" } }),
      f.db.prisma.auditEvent.count({ where: { workspaceId } }),
    ]);
    return { keys, audit };
  }

  async function expectRefused(workspaceId: string, attempt: () => Promise<unknown>, expected: Record<string, unknown>) {
    const before = await rowsOf(workspaceId);
    await expect(attempt()).rejects.toMatchObject(expected);
    expect(await rowsOf(workspaceId)).toEqual(before);
  }

  it("refuses to rename or re-describe a rolled key: its name is its replacement's", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...input, name: "rolled-rename" });
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 });
    await expectRefused(ws, () => f.services.keys.update(admin, key.id, { name: "elsewhere" }), { code: "conflict", details: { replacedBy: rolled.key.id } });
    await expectRefused(ws, () => f.services.keys.update(admin, key.id, { description: "changed" }), { code: "conflict" });
    expect((await f.services.keys.update(admin, rolled.key.id, { name: "elsewhere" })).name).toBe("elsewhere");
  });

  it("refuses to delete a rolled key while its replacement works, naming the replacement; once that is gone it may go", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...input, name: "rolled-delete" });
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 });
    await expectRefused(ws, () => f.services.keys.delete(admin, key.id), {
      code: "conflict",
      message: expect.stringContaining(rolled.key.id),
      details: { replacedBy: rolled.key.id },
    });
    await f.services.keys.delete(admin, rolled.key.id);
    await f.services.keys.delete(admin, key.id);
    expect(await f.db.prisma.apiKey.count({ where: { workspaceId: ws, deletedAt: null } })).toBe(0);
  });

  it("stops a rolled key before its grace ends when asked to (endGrace): the replacement keeps working", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret: oldSecret } = await f.services.keys.create(admin, { ...input, name: "rolled-leaked" });
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 24 * 7 });
    expect((await f.services.keys.verify(oldSecret)).valid).toBe(true);
    await f.services.keys.delete(admin, key.id, { endGrace: true });
    expect(await f.services.keys.verify(oldSecret)).toMatchObject({ valid: false, reason: "deleted" });
    expect((await f.services.keys.verify(rolled.secret)).valid).toBe(true);
    const audit = await f.db.prisma.auditEvent.findFirst({ where: { workspaceId: ws, targetId: key.id, action: "api_key.delete" } });
    expect(audit?.details).toMatchObject({ endedGrace: true, replacedBy: rolled.key.id });
  });

  it("refuses to delete a rolled key whose replacement is still being delivered", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...input, name: "rolled-pending" });
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 }, { pendingDelivery: true });
    await expectRefused(ws, () => f.services.keys.delete(admin, key.id), { code: "conflict", details: { replacedBy: rolled.key.id } });
  });

  it("a key waiting for its delivery holds its name: a second create of that name is refused", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.keys.create(admin, { ...input, name: "twin" }, { pendingDelivery: true });
    await expectRefused(ws, () => f.services.keys.create(admin, { ...input, name: "twin" }, { pendingDelivery: true }), { code: "conflict" });
    const { key: other } = await f.services.keys.create(admin, { ...input, name: "other" });
    await expectRefused(ws, () => f.services.keys.update(admin, other.id, { name: "twin" }), { code: "conflict" });
  });

  it("a rolled key's name stays taken by its replacement, and frees up when the replacement is deleted", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { ...input, name: "lineage" });
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 });
    await expectRefused(ws, () => f.services.keys.create(admin, { ...input, name: "lineage" }), { code: "conflict" });
    await f.services.keys.delete(admin, rolled.key.id);
    expect((await f.services.keys.create(admin, { ...input, name: "lineage" })).key.name).toBe("lineage");
  });
});
