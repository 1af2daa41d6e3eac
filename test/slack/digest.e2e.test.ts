// The weekly hygiene digest end to end: `/keys digest` through the real receiver (Admins only; a
// refusal writes nothing), the digest a pass posts for a workspace with keys in every category,
// and a key's Delete on it, which asks first and deletes with the presser's own permissions.
import { describe, expect, it } from "vitest";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;
const digestChannel = "C0DIGEST1";
const secret = "ghp_DIGESTe2eSecretValue0123456789abcdef";

describe("the weekly hygiene digest", () => {
  // A Wednesday; the digest is set for Mondays at 9 in New York (the harness's default zone).
  const clock = new ManualClock(new Date("2026-11-25T15:00:00Z"));
  const [admin, viewer] = ["UDIGADMIN", "UDIGVIEW1"];
  const { app, admin: adminActor } = useSlackApp({
    clock,
    people: [
      { id: admin, isAdmin: true },
      { id: viewer, role: "Viewer" },
    ],
    channels: [
      { id: digestChannel, name: "key-hygiene", members: [admin, viewer], botIsMember: true },
      { id: "C0NOBOTDG", name: "closed", members: [admin], botIsMember: false },
    ],
  });

  async function command(userId: string, text: string): Promise<string> {
    const ack = await app.driver.command({ userId, text, channelId: digestChannel });
    const answer = await app.driver.waitForResponse(ack);
    expect(answer.violations).toEqual([]);
    return textOf(answer.body);
  }

  it("shows the setting to anyone; refuses a non-Admin's setting and writes nothing", async () => {
    // (Also the viewer's first request: what Slack says of them is recorded then, not by the refusal.)
    expect(await command(viewer, "digest")).toContain("There is no weekly digest");
    const before = await app.dump();
    expect(await command(viewer, `digest <#${digestChannel}|key-hygiene> monday 9`)).toMatch(/permission|not allowed|Admin/i);
    await app.idle();
    expect(await app.dump()).toBe(before);
  });

  it("posts once, at 9 on Monday in the Admin's zone, with counts, the most urgent keys and the Home tab", async () => {
    expect(await command(admin, `digest <#${digestChannel}|key-hygiene> monday 9`)).toContain("Mondays at 09:00 (America/New_York)");
    const audit = await app.keyward.db.prisma.auditEvent.findMany({ where: { action: "workspace.set_digest" } });
    expect(audit).toHaveLength(1);
    expect(await command(viewer, "digest")).toContain(`<#${digestChannel}> on Mondays at 09:00`);

    // Keys in every category, and one in none.
    const make = (name: string, expiresOn: string, description = "kept for the digest test") =>
      app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn, timeZone: "UTC", description });
    const soon = await make("expires-soon", "2026-12-05");
    const stale = await make("used-long-ago", "2027-06-01");
    const never = await make("never-used", "2027-06-01");
    const fresh = await make("used-today", "2027-06-01");
    const bare = await make("no-description", "2027-06-01", "");
    const prisma = app.keyward.db.prisma;
    await prisma.apiKey.update({
      where: { id: stale.key.id },
      data: { createdAt: new Date("2026-05-01T00:00:00Z"), lastUsedAt: new Date("2026-07-01T00:00:00Z") },
    });
    await prisma.apiKey.update({ where: { id: never.key.id }, data: { createdAt: new Date("2026-10-01T00:00:00Z") } });
    await prisma.apiKey.update({ where: { id: fresh.key.id }, data: { createdAt: new Date("2026-05-01T00:00:00Z"), lastUsedAt: clock.now() } });
    await app.keyward.services.policies.update(adminActor, { requireDescription: true });
    await app.keyward.services.integrations.add(adminActor, "github", { alias: "no-channel", secret, expiresOn: "2027-06-01", timeZone: "UTC" });
    await app.keyward.services.integrations.add(adminActor, "github", {
      alias: "with-channel",
      secret,
      expiresOn: "2027-06-01",
      timeZone: "UTC",
      reminderChannel: digestChannel,
    });
    const viewerActor = await app.keyward.services.access.actorForUser(app.fake.teamId, viewer, { isWorkspaceAdmin: false }, "slack");
    await app.keyward.services.keyRequests.request(
      viewerActor,
      { key: { name: "wanted", role: "Viewer", expiresOn: "2027-01-01", timeZone: "UTC", description: "for CI" }, reason: "CI needs one" },
      {},
    );

    const digests = app.keyward.services.digests;
    const since = app.fake.mark();
    clock.set("2026-11-30T13:59:00Z"); // 08:59 EST
    expect(await digests.runPass()).toMatchObject({ claimed: 0 });
    clock.set("2026-11-30T14:00:00Z");
    expect(await digests.runPass()).toMatchObject({ claimed: 1, sent: 1 });
    expect(await digests.runPass()).toMatchObject({ claimed: 0 });
    const posts = app.fake.callsSince(since, "chat.postMessage").filter((c) => c.args.channel === digestChannel);
    expect(posts).toHaveLength(1);
    const post = posts[0]!;
    expect(post.response.ok).toBe(true);
    expect(post.violations).toEqual([]);
    const blocks = post.args.blocks as Json[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    const text = textOf(post.args);
    // Counts first.
    const counts = textOf(blocks.find((b) => b.block_id === "digest_counts"));
    for (const line of [
      "1 key expiring within 30 days",
      "2 keys unused for 90 days or never used",
      "1 key out of policy",
      "1 integration configuration without a reminder channel",
      "1 pending key request",
    ]) {
      expect(counts).toContain(line);
    }
    expect(blocks.findIndex((b) => b.block_id === "digest_counts")).toBeLessThan(blocks.findIndex((b) => b.block_id === "digest_expiring_title"));
    // Then the most urgent keys, each with a Delete.
    for (const name of ["expires-soon", "used-long-ago", "never-used"]) expect(text).toContain(name);
    expect(text).not.toContain("used-today");
    const deletes = blocks.filter((b) => (b.accessory as Json | undefined)?.action_id === "keyward.digest.delete");
    expect(deletes).toHaveLength(3);
    expect(text).not.toContain(soon.key.id);
    // Then the Home tab.
    expect(textOf(blocks.at(-1))).toContain("https://slack.com/app_redirect?app=A00000001");
    expect(text).not.toContain(secret);
    expect(bare.key.id).toBeTruthy();

    // Delete on the digest: a Viewer is refused before any question and nothing changes.
    const ts = String(post.response.ts);
    const neverRow = blocks.find((b) => textOf(b).includes("never-used") && b.accessory)!;
    const value = (neverRow.accessory as Json).value as string;
    const before = await app.dump();
    const refused = await app.driver.blockAction({
      userId: viewer,
      actionId: "keyward.digest.delete",
      blockId: neverRow.block_id as string,
      value,
      channelId: digestChannel,
      messageTs: ts,
    });
    expect(textOf((await app.driver.waitForResponse(refused)).body)).toMatch(/permission|not allowed|cannot/i);
    await app.idle();
    expect(await app.dump()).toBe(before);

    // An Admin is asked first, to them alone; the question's Delete deletes.
    const pressed = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.digest.delete",
      blockId: neverRow.block_id as string,
      value,
      channelId: digestChannel,
      messageTs: ts,
    });
    const question = (await app.driver.waitForResponse(pressed)).body as Json;
    expect(question).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(textOf(question)).toContain("never-used");
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: never.key.id } })).deletedAt).toBeNull();
    const confirm = ((question.blocks as Json[]).find((b) => b.block_id === "delete_actions")!.elements as Json[])[0]!;
    const confirmed = await app.driver.blockAction({
      userId: admin,
      actionId: confirm.action_id as string,
      blockId: "delete_actions",
      value: confirm.value,
      channelId: digestChannel,
      messageTs: "1790000000.000200",
      message: { blocks: question.blocks } as never,
    });
    expect(textOf((await app.driver.waitForResponse(confirmed)).body)).toContain("Deleted never-used");
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: never.key.id } })).deletedBy).toBe(admin);
    // The digest itself is left as it was.
    expect(textOf(app.fake.getMessage(digestChannel, ts))).toContain("never-used");

    // The ledger forgets that it was sent, as if the process had died right after Slack took it:
    // the retry finds its post by the delivery id in the message's metadata and does not post again.
    await prisma.digestDelivery.updateMany({ where: { week: "2026-W49" }, data: { status: "retry", sentAt: null } });
    clock.advance(60_000);
    const retried = app.fake.mark();
    expect(await digests.runPass()).toMatchObject({ claimed: 1, sent: 1 });
    expect(app.fake.callsSince(retried, "chat.postMessage")).toHaveLength(0);
    expect(await prisma.digestDelivery.findFirst({ where: { week: "2026-W49" } })).toMatchObject({
      status: "sent",
      lastError: expect.stringContaining("earlier attempt"),
    });
  });

  it("says what came of the last digest, refused ones with Slack's reason; turns off for Admins, and then posts none", async () => {
    expect(await command(viewer, "digest")).toContain("The last one (2026-W49) was posted");
    expect(await command(admin, "digest <#C0NOBOTDG|closed> monday 9")).toContain("<#C0NOBOTDG> on Mondays at 09:00");
    clock.set("2026-12-07T14:00:00Z");
    expect(await app.keyward.services.digests.runPass()).toMatchObject({ claimed: 1, undeliverable: 1 });
    expect(await command(admin, "digest")).toContain("could not be posted: Slack said `not_in_channel`");
    // Anyone may read this: an error that is no Slack code (a database's, naming its host) is not shown.
    const week50 = { week: "2026-W50" };
    const internal = 'connect ECONNREFUSED 10.1.2.3:5432 (relation "ApiKey")';
    await app.keyward.db.prisma.digestDelivery.updateMany({ where: week50, data: { status: "retry", lastError: internal } });
    const shown = await command(viewer, "digest");
    expect(shown).toContain("is not posted yet (an internal error)");
    expect(shown).not.toContain("10.1.2.3");
    await app.keyward.db.prisma.digestDelivery.updateMany({ where: week50, data: { status: "pending", lastError: null } });
    expect(await command(viewer, "digest")).toContain("is not posted yet; the next pass tries again");
    await app.keyward.db.prisma.digestDelivery.updateMany({
      where: week50,
      data: { status: "retry", lastError: "could not check for an earlier post of this retry" },
    });
    expect(await command(viewer, "digest")).toContain("(could not check for an earlier post of this retry)");
    await app.keyward.db.prisma.digestDelivery.updateMany({ where: week50, data: { status: "undeliverable", lastError: "not_in_channel" } });
    // The Admin invites the app and sets the digest again: this week's is posted at once, not next week's only.
    app.fake.addChannel({ id: "C0NOBOTDG", name: "closed", members: [admin], botIsMember: true });
    await command(admin, "digest <#C0NOBOTDG|closed> monday 9");
    const invited = app.fake.mark();
    clock.advance(60_000);
    expect(await app.keyward.services.digests.runPass()).toMatchObject({ claimed: 1, sent: 1 });
    expect(app.fake.callsSince(invited, "chat.postMessage").map((c) => c.args.channel)).toEqual(["C0NOBOTDG"]);
    expect(await app.keyward.db.prisma.digestDelivery.findFirst({ where: { week: "2026-W50" } })).toMatchObject({ status: "sent", channel: "C0NOBOTDG" });
    expect(await app.keyward.services.digests.runPass()).toMatchObject({ claimed: 0 });
    expect(await command(admin, "digest off")).toContain("No weekly digest");
    const since = app.fake.mark();
    clock.set("2026-12-14T14:00:00Z");
    expect(await app.keyward.services.digests.runPass()).toMatchObject({ claimed: 0 });
    expect(app.fake.callsSince(since, "chat.postMessage")).toHaveLength(0);
  });
});
