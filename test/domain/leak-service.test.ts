import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutToBytes, type LeakLocation } from "../../src/domain/leak-service.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

const where: LeakLocation = {
  kind: "slack",
  channel: "C0LEAK",
  ts: "1.000001",
  permalink: null,
  postedBy: "U0POSTER",
};

/** Issue 15's one leak response, on each database: revoke once, audit once, nothing for what is not a live key of the scope. */
describe.each(databaseKinds())("the leak response, on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  const input = { name: "leaky", description: "for the test", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };
  const leakEvents = (workspaceId: string) => f.db.prisma.auditEvent.findMany({ where: { workspaceId, action: "api_key.leak" } });

  it("revokes a key reported twice at once exactly once, with one audit event, and verify refuses it at once", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, input);
    expect((await f.services.keys.verify(secret)).valid).toBe(true);
    const reports = await Promise.all([0, 1].map(() => f.services.leaks.respond(secret, { workspaceId: ws, source: "slack" }, where)));
    expect(reports.filter(Boolean)).toHaveLength(1);
    expect(reports.find(Boolean)).toMatchObject({ workspaceId: ws, revoked: true, endedGrace: false, key: { id: key.id, name: "leaky" } });
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
    const events = await leakEvents(ws);
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("ends a rolled key's grace (its replacement keeps working)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key, secret } = await f.services.keys.create(admin, { ...input, name: "rolled" });
    const rolled = await f.services.keys.roll(admin, key.id, {});
    const report = await f.services.leaks.respond(secret, { source: "api" }, { kind: "scanner", scanner: "gitlab", location: `file ${secret}` });
    expect(report).toMatchObject({ revoked: true, endedGrace: true });
    expect(report?.location).toEqual({ kind: "scanner", scanner: "gitlab", location: "file [redacted]" });
    expect((await f.services.keys.verify(secret)).valid).toBe(false);
    expect((await f.services.keys.verify(rolled.secret)).valid).toBe(true);
  });

  it("answers another workspace's key, a deleted or expired key and a malformed string with null, writing nothing", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const live = await f.services.keys.create(admin, { ...input, name: "live" });
    const deleted = await f.services.keys.create(admin, { ...input, name: "gone" });
    await f.services.keys.delete(admin, deleted.key.id);
    const expiring = await f.services.keys.create(admin, { ...input, name: "expiring", expiresOn: "2026-11-28" });
    const before = JSON.stringify(await f.db.prisma.apiKey.findMany({ where: { workspaceId: ws } })) + (await f.db.prisma.auditEvent.count());
    f.clock.advance(3 * 86_400_000);
    expect(await f.services.leaks.respond(live.secret, { workspaceId: f.workspace(), source: "slack" }, where)).toBeNull();
    expect(await f.services.leaks.respond(deleted.secret, { workspaceId: ws, source: "slack" }, where)).toBeNull();
    expect(await f.services.leaks.respond(expiring.secret, { source: "api" }, where)).toBeNull();
    expect(await f.services.leaks.respond("kw_not-a-key", { source: "api" }, where)).toBeNull();
    expect(JSON.stringify(await f.db.prisma.apiKey.findMany({ where: { workspaceId: ws } })) + (await f.db.prisma.auditEvent.count())).toBe(before);
    f.clock.advance(-3 * 86_400_000);
  });

  it("in alert only mode reports without revoking; only policy.edit changes the mode or the channel", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const manager = await f.actor(ws, "manager");
    await expect(f.services.leaks.setLeakMode(manager, "alert_only")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.leaks.setSecurityChannel(manager, "C0SEC")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.leaks.setSecurityChannel(admin, "not a channel")).rejects.toMatchObject({ code: "validation_failed" });
    await f.services.leaks.setLeakMode(admin, "alert_only");
    await f.services.leaks.setSecurityChannel(admin, "C0SEC");
    expect(await f.services.leaks.settings(manager)).toEqual({ leakMode: "alert_only", securityChannel: "C0SEC" });
    const { secret } = await f.services.keys.create(admin, input);
    const report = await f.services.leaks.respond(secret, { workspaceId: ws, source: "slack" }, where);
    expect(report).toMatchObject({ revoked: false, securityChannel: "C0SEC" });
    // With a security channel too: the surface falls back to them when that channel refuses for good.
    expect(report?.admins).toContain(admin.userId);
    expect((await f.services.keys.verify(secret)).valid).toBe(true);
    expect((await leakEvents(ws))[0]?.details).toMatchObject({ revoked: false });
  });
});

describe("cutToBytes", () => {
  it("keeps at most the bytes asked for and never cuts inside a character", () => {
    expect(cutToBytes("abc", 3)).toBe("abc");
    expect(cutToBytes("abcd", 3)).toBe("abc");
    expect(cutToBytes("a😀", 4)).toBe("a"); // the emoji's 4 bytes do not fit after "a"
    expect(cutToBytes("a😀", 5)).toBe("a😀");
    expect(cutToBytes("文件", 5)).toBe("文");
    expect(cutToBytes("é", 1)).toBe("");
  });
});
