import { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import type { ReminderMessageChange } from "../../src/domain/reminder-messages.ts";
import { createLogger } from "../../src/logger.ts";
import { createMessageLock } from "../../src/reminders/reminder-message-parts.ts";
import { createSlackReminderMessages } from "../../src/reminders/slack-reminder-messages.ts";
import { blocksTextLength, maxMessageTextChars } from "../../src/slack/views/reminder-message.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

const owner = "UOWNER001";
const secret = (i: number) => `ghp_BATCH${String(i).padStart(4, "0")}e2eSecretValue0123456789ab`;
const perMessage = 12;

/**
 * Many integration reminders due in one channel, through the real app against a fake Slack that
 * takes one post per second per channel (and answers 429 otherwise): they go out as combined
 * messages, paced, each threshold once, and each configuration's buttons keep acting on it alone.
 */
describe("reminders due together in one channel", () => {
  const clock = new ManualClock(new Date("2026-11-27T15:00:00Z"));
  const { app, admin } = useSlackApp({
    clock,
    // Slack's undocumented total for a message's blocks, modelled below the refusals reported (11,341; ~13,200) and above our budget (10,000): 12 of these configurations (~10,600) are refused.
    fake: { channelPostIntervalMs: 1_000, maxBlocksTextChars: 10_500 },
    people: [{ id: owner, isAdmin: true }],
    channels: ["C0BATCH01", "C0BATCH02", "C0BATCH03", "C0BATCH04", "C0BATCH05", "C0BATCH06"].map((id) => ({ id, members: [owner], botIsMember: true })),
  });

  /** The alias of each configuration this file added, by id. */
  const aliases = new Map<string, string>();
  const aliasOf = (id: string): string => aliases.get(id)!;

  async function addConfigs(prefix: string, count: number, channel: string, expiresOn: string) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const alias = `${prefix}-${String(i).padStart(2, "0")}`;
      const config = await app.keyward.services.integrations.add(admin, "github", {
        alias,
        secret: secret(i),
        expiresOn,
        timeZone: "UTC",
        reminderChannel: channel,
      });
      ids.push(config.id);
      aliases.set(config.id, alias);
    }
    return ids;
  }

  const postsTo = (channel: string, since: number) => app.fake.callsSince(since, "chat.postMessage").filter((c) => c.args.channel === channel);
  const deliveryIds = (call: RecordedCall): string[] => {
    const raw = call.args.metadata;
    const metadata = (typeof raw === "string" ? JSON.parse(raw) : raw) as { event_payload?: { delivery_id?: string; delivery_ids?: string } } | undefined;
    const payload = metadata?.event_payload;
    return payload?.delivery_ids?.split(",") ?? (payload?.delivery_id ? [payload.delivery_id] : []);
  };
  const rowsOf = (ids: string[]) => app.keyward.db.prisma.reminderDelivery.findMany({ where: { subjectId: { in: ids } } });
  const blocksOf = (message: Json | undefined) => (message?.blocks ?? []) as Json[];
  const partOf = (message: Json | undefined, configId: string) => blocksOf(message).filter((b) => String(b.block_id).endsWith(`.${configId}`));
  const withoutPart = (message: Json | undefined, configId: string) => blocksOf(message).filter((b) => !String(b.block_id).endsWith(`.${configId}`));

  it("posts 60 configurations due in one channel as paced messages sized to fit Slack's total, each threshold once, no 429", async () => {
    const channel = "C0BATCH01";
    const ids = await addConfigs("sixty", 60, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z"); // the 7-day threshold of all 60
    const since = app.fake.mark();
    const started = performance.now();
    const report = await app.keyward.reminders!.runPass();
    const wallMs = performance.now() - started;
    expect(report).toMatchObject({ claimed: 60, sent: 60, retryLater: 0, undeliverable: 0 });
    const posts = postsTo(channel, since);
    // By size, not a fixed 12: each message within the text budget and 50 blocks, and none could take the next one's first.
    const sizes = posts.map((c) => blocksTextLength(c.args.blocks as unknown[]));
    for (const [i, post] of posts.entries()) {
      expect(sizes[i]).toBeLessThanOrEqual(maxMessageTextChars);
      expect((post.args.blocks as unknown[]).length).toBeLessThanOrEqual(50);
      expect(deliveryIds(post).length).toBeLessThanOrEqual(perMessage);
    }
    const partSize = (sizes[0]! - blocksTextLength([(posts[0]!.args.blocks as unknown[])[0]])) / deliveryIds(posts[0]!).length;
    for (const size of sizes.slice(0, -1)) expect(size + partSize).toBeGreaterThan(maxMessageTextChars);
    expect(posts.length).toBeGreaterThanOrEqual(Math.ceil(60 / perMessage));
    expect(posts.every((c) => c.status === 200 && c.response.ok)).toBe(true);
    expect(app.fake.callsSince(since).filter((c) => c.status === 429)).toEqual([]);
    expect(posts.flatMap((c) => c.violations)).toEqual([]);
    // Paced: Slack received the posts to the channel at least a second apart.
    for (let i = 1; i < posts.length; i++) expect(posts[i]!.time - posts[i - 1]!.time).toBeGreaterThanOrEqual(1_000);
    // Each threshold once: one ledger row each, sent, in one of the posted messages, whose metadata names it.
    const rows = await rowsOf(ids);
    expect(rows).toHaveLength(60);
    expect(rows.every((r) => r.status === "sent" && r.threshold === 7)).toBe(true);
    // Kept as a combined message's ts, which releases before this one do not rewrite whole (a rollback wipes no part).
    expect(rows.every((r) => r.messageTs === null && r.combinedTs !== null && posts.some((p) => p.response.ts === r.combinedTs))).toBe(true);
    const inMetadata = posts.flatMap(deliveryIds);
    expect(inMetadata.sort()).toEqual(rows.map((r) => r.id).sort());
    // Each message's text names every configuration in it (a notification shows the text alone).
    for (const post of posts) {
      const n = deliveryIds(post).length;
      expect(String(post.args.text)).toMatch(new RegExp(`^${n} integration keys to rotate`));
      expect(String(post.args.text).match(/github\/sixty-\d\d expires in 7 days/g)).toHaveLength(n);
    }
    expect(textOf(posts.map((p) => p.args))).not.toContain(secret(0));
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ claimed: 0 });
    console.info(
      `[measure] 60 configurations, one channel: 1 pass, ${posts.length} posts (${posts.map((p) => deliveryIds(p).length).join("+")}; text ${sizes.join(", ")} chars), ${Math.round(wallMs)} ms`,
    );
  }, 60_000);

  it("a configuration's Snooze in the third message rewrites its part alone; two changes at once keep each other's", async () => {
    const channel = "C0BATCH02";
    clock.set("2026-11-27T15:00:00Z");
    const ids = await addConfigs("third", 36, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z");
    const since = app.fake.mark();
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 36 });
    const third = postsTo(channel, since)[2]!;
    const ts = String(third.response.ts);
    const inThird = (await app.keyward.db.prisma.reminderDelivery.findMany({ where: { id: { in: deliveryIds(third) } } })).map((r) => r.subjectId);
    expect(inThird.length).toBeGreaterThan(7); // as many as fit by size (11 of these)
    expect(inThird.every((id) => ids.includes(id))).toBe(true);
    const [target, neighbour, other] = [inThird[3]!, inThird[4]!, inThird[7]!];
    const before = app.fake.getMessage(channel, ts)!;

    const updates = app.fake.mark();
    const pressed = await app.driver.blockAction({
      userId: owner,
      actionId: "keyward.reminder.snooze",
      blockId: `reminder_actions.${target}`,
      value: target,
      channelId: channel,
      messageTs: ts,
    });
    expect(pressed.status).toBe(200);
    const update = await app.fake.waitForCall("chat.update", (c) => c.args.ts === ts, { since: updates });
    expect(update.response.ok).toBe(true);
    expect(update.violations).toEqual([]);
    const snoozed = app.fake.getMessage(channel, ts)!;
    expect(textOf(partOf(snoozed, target))).toContain("*Snoozed* by <@UOWNER001>");
    expect(withoutPart(snoozed, target)).toEqual(withoutPart(before, target));
    expect(snoozed.text).toBe(before.text);
    expect(snoozed.metadata).toEqual(before.metadata);
    // The other messages were left alone.
    expect(app.fake.callsSince(updates, "chat.update").every((c) => c.args.ts === ts)).toBe(true);

    // Two configurations of the same message deleted at the same moment: both parts settled, the rest as it was.
    const both = app.fake.mark();
    await Promise.all([neighbour, other].map((id) => app.keyward.services.integrations.delete(admin, "github", aliasOf(id!))));
    await app.fake.waitForCall(
      "chat.update",
      (c) => c.args.ts === ts && textOf(c.args).includes(`reminder_was.${neighbour}`) && textOf(c.args).includes(`reminder_was.${other}`),
      {
        since: both,
      },
    );
    const after = app.fake.getMessage(channel, ts)!;
    for (const id of [neighbour, other]) expect(textOf(partOf(after, id))).toContain("*Deleted* by");
    expect(textOf(partOf(after, target))).toContain("*Snoozed* by");
    const untouched = (m: Json) => blocksOf(m).filter((b) => ![target, neighbour, other].some((id) => String(b.block_id).endsWith(`.${id}`)));
    expect(untouched(after)).toEqual(untouched(before));
    expect(untouched(after).length).toBeGreaterThan(1);
  }, 60_000);

  it("after a 429 mid-channel, the next pass posts the rest, each threshold once", async () => {
    const channel = "C0BATCH03";
    clock.set("2026-11-27T15:00:00Z");
    const ids = await addConfigs("limited", 30, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z");
    const since = app.fake.mark();
    app.fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 }); // the channel's first post
    const first = await app.keyward.reminders!.runPass();
    expect(first).toMatchObject({ sent: 0, retryLater: 30, undeliverable: 0 });
    expect((await rowsOf(ids)).every((r) => r.status === "retry" && r.firstFailedAt === null)).toBe(true);
    clock.advance(60_000);
    const second = await app.keyward.reminders!.runPass();
    expect(second).toMatchObject({ sent: 30, retryLater: 0 });
    const accepted = postsTo(channel, since).filter((c) => c.response.ok);
    expect(accepted).toHaveLength(Math.ceil(30 / perMessage));
    const rows = await rowsOf(ids);
    expect(rows.every((r) => r.status === "sent")).toBe(true);
    expect(accepted.flatMap(deliveryIds).sort()).toEqual(rows.map((r) => r.id).sort());
  }, 60_000);

  it("posts the combined message's configurations one by one when Slack refuses it for what it holds", async () => {
    const channel = "C0BATCH04";
    clock.set("2026-11-27T15:00:00Z");
    const ids = await addConfigs("refused", 3, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z");
    const since = app.fake.mark();
    app.fake.failNext("chat.postMessage", { error: "invalid_blocks" });
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 3, undeliverable: 0 });
    const posts = postsTo(channel, since);
    expect(posts.map((c) => (c.response.ok ? deliveryIds(c).length : c.response.error))).toEqual(["invalid_blocks", 1, 1, 1]);
    expect((await rowsOf(ids)).every((r) => r.status === "sent")).toBe(true);
    for (let i = 2; i < posts.length; i++) expect(posts[i]!.time - posts[i - 1]!.time).toBeGreaterThanOrEqual(1_000);
  }, 60_000);

  it("a retry finds its earlier combined post by any of its delivery ids, and does not post when it cannot look", async () => {
    const channel = "C0BATCH05";
    clock.set("2026-11-27T15:00:00Z");
    const ids = await addConfigs("retried", 4, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z");
    const since = app.fake.mark();
    app.fake.failNext("chat.postMessage", { status: 503 });
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ retryLater: 4 });
    // The retry's check for an earlier post fails: it waits for the next pass instead of maybe posting twice.
    clock.advance(60_000);
    app.fake.failNext("conversations.history", { status: 500 });
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 0, retryLater: 4 });
    expect(postsTo(channel, since)).toHaveLength(1);
    clock.advance(60_000);
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 4 });
    expect(postsTo(channel, since).filter((c) => c.response.ok)).toHaveLength(1);
    // The ledger forgets the post, as if the process had died right after Slack took it: every id is found in its metadata.
    await app.keyward.db.prisma.reminderDelivery.updateMany({ where: { subjectId: { in: ids } }, data: { status: "retry", sentAt: null } });
    clock.advance(60_000);
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 4 });
    expect(postsTo(channel, since).filter((c) => c.response.ok)).toHaveLength(1);
    const rows = await rowsOf(ids);
    expect(rows.every((r) => r.status === "sent" && r.lastError?.includes("earlier attempt"))).toBe(true);
  }, 60_000);

  it("two instances rewriting two parts of one combined message at once keep each other's change", async () => {
    const channel = "C0BATCH06";
    clock.set("2026-11-27T15:00:00Z");
    const ids = await addConfigs("twice", 3, channel, "2026-12-31");
    clock.set("2026-12-24T09:00:00Z");
    const since = app.fake.mark();
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 3 });
    const [post] = postsTo(channel, since);
    const ts = String(post!.response.ts);
    // A second instance on the same database: its own Slack client, ledger and lock (nothing shared in memory).
    const store = createPrismaStore(app.keyward.db.prisma);
    const client = new WebClient(app.fake.token, { slackApiUrl: app.fake.url, retryConfig: { retries: 0 } });
    const second = createSlackReminderMessages(client, store.reminders, createLogger("silent"), { lock: createMessageLock(store.reminders) });
    const config = await app.keyward.db.prisma.integrationConfig.findUniqueOrThrow({ where: { id: ids[2]! } });
    const change: ReminderMessageChange = {
      what: "snoozed",
      until: new Date("2026-12-25T09:00:00Z"),
      workspaceId: config.workspaceId,
      subjectType: "integration",
      subjectId: config.id,
      subject: { ...config, isDefault: config.isDefault === true, expiresAt: config.expiresAt! },
      at: clock.now(),
      by: { userId: owner, source: "slack" },
    };
    const updates = app.fake.mark();
    // This instance snoozes the first configuration while the second instance rewrites the third's part.
    await Promise.all([app.keyward.services.integrations.snooze(admin, ids[0]!, 24), second.refresh(change)]);
    const message = () => app.fake.getMessage(channel, ts);
    const snoozedParts = () => [ids[0]!, ids[2]!].filter((id) => textOf(partOf(message(), id)).includes("*Snoozed* by"));
    // Both updates land, one after the other, the later one keeping the earlier one's part.
    await app.fake.waitForCall("chat.update", () => snoozedParts().length === 2, { since: updates });
    expect(textOf(partOf(message(), ids[1]!))).not.toContain("*Snoozed*");
    // Each lease was given back once its update was done.
    await app.waitForLogs((l) => l.includes(ids[0]!) && l.includes("reminder messages updated after a change"));
    expect(await app.keyward.db.prisma.$queryRawUnsafe<unknown[]>(`SELECT * FROM "ReminderMessageLock"`)).toEqual([]);
  }, 60_000);
});
