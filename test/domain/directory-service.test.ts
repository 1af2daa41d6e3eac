// DirectoryService (issue 10 items 4 and 6): actor ids as people read them, with one query a page,
// in the reader's workspace only, deleted keys by name; list counts; who the Admins are.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/db/generated/client.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { DirectoryService } from "../../src/domain/directory-service.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("the directory on %s", (kind) => {
  let f: DomainFixture;
  let counted: DirectoryService;
  let queries = 0;
  beforeAll(async () => {
    f = await createDomainFixture(kind, { adminUserIds: ["UCONFIG1"] });
    const prisma = f.db.prisma.$extends({
      query: {
        async $allOperations({ args, query }) {
          queries++;
          return query(args);
        },
      },
    }) as unknown as PrismaClient;
    counted = new DirectoryService({ ...f.ctx, store: createPrismaStore(prisma) });
  });
  afterAll(async () => {
    await f?.close();
  });

  const newKey = (actor: Actor, name: string) => f.services.keys.create(actor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  /** A key acting over REST, as AccessService makes it: its actor id is `key:<uuid>`. */
  async function keyActor(admin: Actor, name: string): Promise<{ actor: Actor; id: string; last4: string }> {
    const { key, secret } = await f.services.keys.create(admin, { name, role: "Manager", expiresOn: "2030-01-01", timeZone: "UTC" });
    const auth = await f.services.access.actorForKey(secret);
    if (!auth.ok) throw new Error(auth.reason);
    return { actor: auth.actor, id: key.id, last4: key.last4 };
  }

  it("names a page's keys in one query, deleted ones too, and people and keyward without one", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const bots = await Promise.all(["bot-a", "bot-b", "bot-c"].map((n) => keyActor(admin, n)));
    await f.services.keys.delete(admin, bots[2]!.id);
    const before = queries;
    const names = await counted.actorNames(admin, [...bots.map((b) => b.actor.userId), bots[0]!.actor.userId, admin.userId, "keyward", "slack"]);
    expect(queries - before).toBe(1);
    expect(names.get(bots[0]!.actor.userId)).toEqual({ kind: "key", name: "bot-a", last4: bots[0]!.last4, deleted: false });
    expect(names.get(bots[2]!.actor.userId)).toEqual({ kind: "key", name: "bot-c", last4: bots[2]!.last4, deleted: true });
    expect(names.get(admin.userId)).toEqual({ kind: "person", userId: admin.userId });
    expect(names.get("keyward")).toEqual({ kind: "system", name: "keyward" });
    expect(names.get("slack")).toEqual({ kind: "system", name: "Slack" });
    // Only people and keyward: nothing to look up, no query.
    const none = queries;
    await counted.actorNames(admin, [admin.userId, "keyward"]);
    expect(queries).toBe(none);
  });

  it("names no key of another workspace, and none to a reader who may not see keys", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const bot = await keyActor(admin, "elsewhere-bot");
    const stranger = await f.actor(f.workspace(), "admin");
    expect((await f.services.directory.actorNames(stranger, [bot.actor.userId])).get(bot.actor.userId)).toEqual({
      kind: "key",
      name: null,
      last4: null,
      deleted: false,
    });
    const blind = { ...admin, permissions: new Set(["audit.view" as const]) };
    expect((await f.services.directory.actorNames(blind, [bot.actor.userId])).get(bot.actor.userId)).toMatchObject({ kind: "key", name: null });
    expect((await f.services.directory.actorNames(admin, [bot.actor.userId])).get(bot.actor.userId)).toMatchObject({ kind: "key", name: "elsewhere-bot" });
  });

  it("counts what the lists page through, in this workspace only", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    for (const name of ["one", "two", "three"]) await newKey(admin, name);
    const gone = await newKey(admin, "gone");
    await f.services.keys.delete(admin, gone.key.id);
    await newKey(await f.actor(f.workspace(), "admin"), "other-workspace");
    await f.services.integrations.add(admin, "github", { alias: "gh-one", secret: `ghp_${"1".repeat(36)}` });
    await f.services.integrations.add(admin, "pagerduty", { alias: "pd-one", secret: `pd_${"2".repeat(36)}` });
    const before = queries;
    expect(await counted.keyCount(admin)).toBe(3);
    expect(queries - before).toBe(1);
    expect(await counted.integrationCount(admin)).toBe(2);
    expect(await counted.integrationCount(admin, "github")).toBe(1);
    expect(await counted.integrationCount(admin, "Not A Slug")).toBe(0);
    const nobody = await f.actor(ws, null);
    await expect(counted.keyCount(nobody)).rejects.toMatchObject({ code: "permission_denied" });
    await expect(counted.integrationCount(nobody)).rejects.toMatchObject({ code: "permission_denied" });
  });

  it("says who the Admins are: assigned ones, then KEYWARD_ADMINS, then Slack admins seen here", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin", { userId: "UASSIGNED1" });
    await f.services.access.actorForUser(ws, "USLACKADM1", { isWorkspaceAdmin: true }, "slack");
    await f.services.access.actorForUser(ws, "UFORMER01", { isWorkspaceAdmin: true }, "slack");
    await f.services.access.slackUserChanged(ws, "UFORMER01", { isWorkspaceAdmin: true, deactivated: true });
    await f.services.access.actorForUser(f.workspace(), "UOTHERWS1", { isWorkspaceAdmin: true }, "slack");
    const nobody = await f.actor(ws, null);
    expect(await f.services.directory.admins(nobody)).toEqual([admin.userId, "UCONFIG1", "USLACKADM1"]);
  });
});
