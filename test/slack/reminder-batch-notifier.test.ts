import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PaceFn, ReminderClaim, ReminderNotifier } from "../../src/domain/reminder-types.ts";
import { createLogger } from "../../src/logger.ts";
import { encodeChange, decodeChange } from "../../src/domain/reminder-messages.ts";
import { supersededChange } from "../../src/domain/reminder-service.ts";
import { createSlackReminderMessages } from "../../src/reminders/slack-reminder-messages.ts";
import { createMessageLock, updateReminderPart } from "../../src/reminders/reminder-message-parts.ts";
import { createSlackReminderNotifier } from "../../src/reminders/slack-reminder-notifier.ts";
import { perWorkspaceNotifier } from "../../src/reminders/reminder-wiring.ts";
import { blocksTextLength, maxMessageTextChars } from "../../src/slack/views/reminder-message.ts";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.ts";
import { textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;
const token = "xoxb-batch-notifier";
const noPace: PaceFn = (post) => post();

/** The notifiers a server runs (one bot token; OAuth installs: the workspace's own client), built on one client. */
const notifiers = {
  "one bot token": (client: WebClient) => createSlackReminderNotifier(client, createLogger("silent")),
  "per workspace (OAuth installs)": (client: WebClient) => perWorkspaceNotifier(async () => client, createLogger("silent"), createMessageLock()),
};

/** The notifier's combined posts and their follow-ups against a fake Slack, without the app around them: every case on both notifiers. */
describe.each(Object.entries(notifiers))("the Slack notifier's combined reminders (%s)", (_kind, makeNotifier) => {
  let fake: FakeSlack;
  let notifier: ReminderNotifier;
  let n = 0;
  let web: WebClient;
  beforeAll(async () => {
    fake = await startFakeSlack({ token });
    fake.addUser({ id: "UOWNER001" });
    fake.addChannel({ id: "C0NOTIFY1", members: ["UOWNER001"], botIsMember: true });
    fake.addChannel({ id: "C0GONE001", members: ["UOWNER001"], botIsMember: false });
    const client = new WebClient(token, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    web = client;
    notifier = makeNotifier(client);
  });
  afterAll(async () => {
    await fake?.close();
  });

  const claim = (channel: string): ReminderClaim => {
    const i = ++n;
    return {
      deliveryId: `d-${i}`,
      threshold: 7,
      attempts: 0,
      firstFailedAt: null,
      daysLeft: 7,
      subject: {
        type: "integration",
        id: `cfg-${i}`,
        workspaceId: fake.teamId,
        expiresAt: new Date("2026-12-31T23:59:59.999Z"),
        expiryTimeZone: "UTC",
        integration: "github",
        alias: `alias-${i}`,
        name: `github/alias-${i}`,
        last4: "abcd",
        isDefault: false,
        channel,
        ownerId: "UOWNER001",
      },
    };
  };
  const blocksOf = (message: Json | undefined) => (message?.blocks ?? []) as Json[];
  const partOf = (message: Json | undefined, id: string) => blocksOf(message).filter((b) => String(b.block_id).endsWith(`.${id}`));

  it("withdraws one configuration's part of a combined message (rotated while it was posted), keeping the others", async () => {
    const claims = [claim("C0NOTIFY1"), claim("C0NOTIFY1"), claim("C0NOTIFY1")];
    const outcomes = await notifier.deliverMany!(claims, noPace);
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent", "sent"]);
    const [first] = outcomes;
    if (first?.status !== "sent") throw new Error("not sent");
    expect(first.shared).toBe(true);
    expect(new Set(outcomes.map((o) => (o as { ts: string }).ts)).size).toBe(1);
    const before = fake.getMessage("C0NOTIFY1", first.ts)!;
    const target = claims[1]!;
    await notifier.withdraw!(
      target,
      { channel: "C0NOTIFY1", ts: first.ts, shared: true },
      { last4: "wxyz", expiresAt: new Date("2027-06-30T23:59:59.999Z"), expiryTimeZone: "UTC" },
      new Date("2026-12-24T09:00:00Z"),
    );
    const after = fake.getMessage("C0NOTIFY1", first.ts)!;
    expect(textOf(partOf(after, target.subject.id))).toContain("*Rotated* while this reminder was being posted");
    expect(partOf(after, target.subject.id).some((b) => b.type === "actions")).toBe(false);
    for (const other of [claims[0]!, claims[2]!]) expect(partOf(after, other.subject.id)).toEqual(partOf(before, other.subject.id));
    expect(after.metadata).toEqual(before.metadata);
    expect(fake.callsTo("chat.update").at(-1)!.violations).toEqual([]);
  });

  it("tells each owner by DM when the channel refuses the combined reminder for good", async () => {
    const claims = [claim("C0GONE001"), claim("C0GONE001")];
    const since = fake.mark();
    const outcomes = await notifier.deliverMany!(claims, noPace);
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    const posts = fake.callsSince(since, "chat.postMessage");
    expect(posts.map((c) => [String(c.args.channel).slice(0, 1), c.response.ok ? "ok" : c.response.error])).toEqual([
      ["C", "not_in_channel"],
      ["D", "ok"],
      ["D", "ok"],
    ]);
    expect(textOf(posts[1]!.args)).toContain("I could not post this reminder in <#C0GONE001> (not_in_channel)");
  });

  it("marks a 429 on the combined post as rate-limited for all its claims, posting none", async () => {
    const claims = [claim("C0NOTIFY1"), claim("C0NOTIFY1")];
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 1 });
    const outcomes = await notifier.deliverMany!(claims, noPace);
    expect(outcomes).toEqual([
      { status: "retry", error: "slack_webapi_rate_limited_error", rateLimited: true },
      { status: "retry", error: "slack_webapi_rate_limited_error", rateLimited: true },
    ]);
  });

  it("after a combined refusal, asks beforePost before each one-by-one post and each owner DM, and posts none it refuses", async () => {
    const claims = [claim("C0NOTIFY1"), claim("C0NOTIFY1"), claim("C0NOTIFY1")];
    fake.failNext("chat.postMessage", { error: "invalid_blocks" });
    const asked: string[] = [];
    const since = fake.mark();
    const outcomes = await notifier.deliverMany!(claims, noPace, async (c) => {
      asked.push(c.deliveryId);
      return c !== claims[1];
    });
    expect(asked).toEqual(claims.map((c) => c.deliveryId));
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "retry", "sent"]);
    expect(fake.callsSince(since, "chat.postMessage").map((c) => (JSON.parse(String(c.args.metadata)) as Json).event_payload)).toEqual([
      { delivery_id: claims[0]!.deliveryId, delivery_ids: claims.map((c) => c.deliveryId).join(",") },
      { delivery_id: claims[0]!.deliveryId },
      { delivery_id: claims[2]!.deliveryId },
    ]);
    // The channel refusing for good: the owner DMs are asked about too.
    const gone = [claim("C0GONE001"), claim("C0GONE001")];
    const dmsSince = fake.mark();
    const told = await notifier.deliverMany!(gone, noPace, async (c) => c === gone[1]);
    expect(told.map((o) => o.status)).toEqual(["retry", "sent"]);
    expect(fake.callsSince(dmsSince, "chat.postMessage").map((c) => String(c.args.channel).slice(0, 1))).toEqual(["C", "D"]);
  });

  it('a withdraw Slack refuses for a passing reason answers "later", and the change the pass keeps for it rewrites that part on retryDeferred', async () => {
    const claims = [claim("C0NOTIFY1"), claim("C0NOTIFY1")];
    const outcomes = await notifier.deliverMany!(claims, noPace);
    const ts = (outcomes[0] as { ts: string }).ts;
    const before = fake.getMessage("C0NOTIFY1", ts)!;
    const target = claims[0]!;
    const now = { last4: "wxyz", expiresAt: new Date("2027-06-30T23:59:59.999Z"), expiryTimeZone: "UTC" };
    const at = new Date("2026-12-24T09:00:00Z");
    fake.failNext("chat.update", { status: 503, error: "service_unavailable" });
    expect(await notifier.withdraw!(target, { channel: "C0NOTIFY1", ts, shared: true }, now, at)).toBe("later");
    expect(fake.getMessage("C0NOTIFY1", ts)).toEqual(before);
    // As the ledger gives it back (JSON round trip), to the reminder messages port of the next pass.
    const kept = decodeChange(JSON.parse(encodeChange(supersededChange(target, now, at))));
    const message = { deliveryId: target.deliveryId, channel: "C0NOTIFY1", ts, expiresAt: target.subject.expiresAt, threshold: 7, shared: true };
    const deferred = [{ message, change: kept }];
    const ledger = {
      postedMessages: async () => [],
      settleMessages: async () => [],
      deferUpdate: async () => undefined,
      takeDeferredUpdates: async () => deferred.splice(0),
    };
    await createSlackReminderMessages(web, ledger, createLogger("silent")).retryDeferred!();
    const after = fake.getMessage("C0NOTIFY1", ts)!;
    expect(textOf(partOf(after, target.subject.id))).toContain("*Rotated* while this reminder was being posted");
    expect(partOf(after, target.subject.id).some((b) => b.type === "actions")).toBe(false);
    expect(partOf(after, claims[1]!.subject.id)).toEqual(partOf(before, claims[1]!.subject.id));
    expect(fake.callsTo("chat.update").at(-1)!.violations).toEqual([]);
    // Refused for good: nothing to retry.
    fake.failNext("chat.update", { error: "message_not_found" });
    expect(await notifier.withdraw!(claims[1]!, { channel: "C0NOTIFY1", ts, shared: true }, null, at)).toBeUndefined();
  });

  it("msg_blocks_too_long on a combined message is a refusal of what it holds: its reminders go one by one", async () => {
    const claims = [claim("C0NOTIFY1"), claim("C0NOTIFY1")];
    fake.failNext("chat.postMessage", { error: "msg_blocks_too_long" });
    const since = fake.mark();
    const outcomes = await notifier.deliverMany!(claims, noPace);
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    expect(fake.callsSince(since, "chat.postMessage").map((c) => (c.response.ok ? "ok" : c.response.error))).toEqual(["msg_blocks_too_long", "ok", "ok"]);
  });

  it("groups a channel's reminders by measured size: every group within the text budget and 50 blocks, at most 12", () => {
    const long = (c: ReminderClaim): ReminderClaim => ({ ...c, subject: { ...c.subject, alias: `a${"x".repeat(60)}-${c.subject.id}` } });
    const claims = Array.from({ length: 30 }, () => long(claim("C0NOTIFY1")));
    const groups = notifier.groups!(claims);
    expect(groups.flat()).toEqual(claims);
    expect(groups.every((g) => g.length <= 12)).toBe(true);
    expect(groups.length).toBeGreaterThan(Math.ceil(30 / 12));
  });

  it("a part rewrite that would take the message past the text budget goes in shorter (no context line), and still lands", async () => {
    // As many parts as fit, then one part rewritten with a context line long enough to pass the budget.
    const claims = notifier.groups!(Array.from({ length: 12 }, () => claim("C0NOTIFY1")))[0]!;
    const outcomes = await notifier.deliverMany!(claims, noPace);
    const ts = (outcomes[0] as { ts: string }).ts;
    const before = fake.getMessage("C0NOTIFY1", ts)!;
    const room = maxMessageTextChars - blocksTextLength(blocksOf(before) as unknown[]);
    const id = claims[0]!.subject.id;
    const part = [
      { type: "section", block_id: `reminder_facts.${id}`, text: { type: "mrkdwn", text: "*github/x was rotated*" } },
      { type: "context", block_id: `reminder_was.${id}`, elements: [{ type: "mrkdwn", text: "w".repeat(Math.min(2900, room + 1500)) }] },
      { type: "divider", block_id: `reminder_divider.${id}` },
    ] as Parameters<typeof updateReminderPart>[4];
    expect(await updateReminderPart(web, createMessageLock(), { workspaceId: fake.teamId, channel: "C0NOTIFY1", ts }, id, part)).toBe("updated");
    const after = fake.getMessage("C0NOTIFY1", ts)!;
    expect(partOf(after, id).map((b) => b.type)).toEqual(["section", "divider"]);
    expect(textOf(partOf(after, id))).toContain("was rotated");
    expect(blocksTextLength(blocksOf(after) as unknown[])).toBeLessThanOrEqual(maxMessageTextChars);
  });
});
