import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { Mark } from "../support/waits.ts";
import { answerTo, modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

const channel = "C0REMIND01";
const ghToken = () => `ghp_${randomBytes(18).toString("hex")}`;

/**
 * A reminder posted by a real reminder pass, then changed from Slack or REST: the message already
 * in the channel is rewritten in place (chat.update), so nobody acts on a stale reminder.
 */
describe("reminder messages follow what happens to their configuration", () => {
  const owner = "UOWNER001";
  let restKey: string;
  const now = new Date("2026-12-24T09:00:00Z");
  const clock = new ManualClock(now);
  const { app, admin } = useSlackApp({
    clock,
    people: [{ id: owner, isAdmin: true }],
    channels: [{ id: channel, name: "platform", members: [owner], botIsMember: true }],
  });

  beforeAll(async () => {
    restKey = (await app.keyward.services.keys.create(admin, { name: "rotation-bot", role: "Manager", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
  });

  /** Adds a configuration expiring in 7 days and runs a reminder pass: the reminder's message in the channel. */
  async function remind(integration: string, alias: string): Promise<{ id: string; ts: string }> {
    const config = await app.keyward.services.integrations.add(admin, integration, {
      alias,
      secret: ghToken(),
      expiresOn: "2026-12-31",
      timeZone: "UTC",
      reminderChannel: channel,
    });
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ sent: 1 });
    const row = await app.keyward.db.prisma.reminderDelivery.findFirstOrThrow({ where: { subjectId: config.id, status: "sent" } });
    expect(row.channel).toBe(channel);
    const message = app.fake.getMessage(channel, row.messageTs!)!;
    expect(message.text).toContain(`${integration}/${alias} expires in 7 days, on Dec 31, 2026`);
    expect(textOf(message.blocks)).toContain("keyward.reminder.rotate");
    return { id: config.id, ts: row.messageTs! };
  }

  /** The chat.update of that message (since the mark), once it has been made. */
  function updateOf(ts: string, since: Mark): Promise<RecordedCall> {
    return app.fake.waitForCall("chat.update", (c) => c.args.ts === ts, { since });
  }

  /** Every line the app logged about this configuration with this message, once there are `count`. */
  async function logged(configId: string, msg: string, count = 1): Promise<Json[]> {
    const lines = await app.waitForLogs((l) => l.includes(configId) && l.includes(msg), count);
    return lines.map((l) => JSON.parse(l) as Json);
  }

  const blocksOf = (message: Json | undefined) => (message?.blocks ?? []) as Json[];
  const block = (message: Json | undefined, id: string) => blocksOf(message).find((b) => b.block_id === id);
  const dateOf = (at: Date) => `<!date^${Math.floor(at.getTime() / 1000)}^`;

  async function rest(method: string, path: string, body?: unknown) {
    const res = await fetch(`${app.keyward.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${restKey}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.text().then((t) => (t ? JSON.parse(t) : undefined))) as Json };
  }

  it("after Rotate now from the reminder: says who rotated it and when, and loses its buttons", async () => {
    const { id, ts } = await remind("github", "cortex-github");
    const updates = app.fake.mark();
    const pressed = await app.driver.blockAction({
      userId: owner,
      actionId: "keyward.reminder.rotate",
      blockId: "reminder_actions",
      value: id,
      channelId: channel,
      messageTs: ts,
    });
    const view = await modalFor(app, pressed);
    expect(view.callback_id).toBe("keyward.integration.rotate");
    const secret = ghToken();
    const submitted = await app.driver.viewSubmission({ userId: owner, view, answers: { secret: { value: secret }, expires_on: { value: "2027-06-30" } } });
    expect(submitted.json).toMatchObject({ response_action: "update" });

    const update = await updateOf(ts, updates);
    expect(update.response.ok).toBe(true);
    expect(update.violations).toEqual([]);
    expect(update.args.channel).toBe(channel);
    const message = app.fake.getMessage(channel, ts)!;
    expect(message.text).toBe(
      `github/cortex-github was rotated by <@${owner}> on 2026-12-24 09:00 UTC: the new secret …${secret.slice(-4)} expires on Jun 30, 2027. Nothing to do.`,
    );
    const outcome = textOf(block(message, "reminder_outcome"));
    expect(outcome).toContain(`*Rotated* by <@${owner}> ${dateOf(now)}`);
    expect(block(message, "reminder_actions")).toBeUndefined();
    expect(textOf(message)).not.toContain(secret);
    // Settled: a later change leaves what it says alone.
    expect((await app.keyward.db.prisma.reminderDelivery.findFirstOrThrow({ where: { subjectId: id, status: "sent" } })).settledAt).not.toBeNull();
    expect((await rest("PATCH", "/integrations/github/configurations/cortex-github", { secret: ghToken() })).status).toBe(200);
    await app.keyward.services.integrations.delete(admin, "github", "cortex-github");
    expect(await logged(id, "no reminder messages to update", 2)).toMatchObject([{ change: "rotated" }, { change: "deleted" }]);
    expect(app.fake.callsTo("chat.update").filter((c) => c.args.ts === ts)).toHaveLength(1);
  });

  it("after Snooze: says until when, and Rotate now stays", async () => {
    const { id, ts } = await remind("sentry", "errors");
    const updates = app.fake.mark();
    const snoozed = app.driver.blockAction({
      userId: owner,
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value: id,
      channelId: channel,
      messageTs: ts,
    });
    expect(textOf((await answerTo(app, snoozed)).body)).toContain("Snoozed");

    const update = await updateOf(ts, updates);
    expect(update.response.ok).toBe(true);
    expect(update.violations).toEqual([]);
    const message = app.fake.getMessage(channel, ts)!;
    const until = new Date(now.getTime() + 24 * 3600_000);
    expect(message.text).toBe(
      `sentry/errors expires on Dec 31, 2026: snoozed by <@${owner}> until 2026-12-25 09:00 UTC; rotate it with Rotate now (in place, no gap).`,
    );
    expect(textOf(block(message, "reminder_outcome"))).toContain(`*Snoozed* by <@${owner}> ${dateOf(now)}`);
    expect(textOf(block(message, "reminder_outcome"))).toContain(`no sooner than ${dateOf(until)}`);
    const buttons = (block(message, "reminder_actions")!.elements as Json[]).map((e) => [e.action_id, e.value]);
    expect(buttons).toEqual([
      ["keyward.reminder.rotate", id],
      ["keyward.reminder.snooze", id],
    ]);

    // Still live: the rotation that follows (here over REST) settles it.
    const later = app.fake.mark();
    expect((await rest("PATCH", "/integrations/sentry/configurations/errors", { secret: ghToken() })).status).toBe(200);
    await updateOf(ts, later);
    expect(block(app.fake.getMessage(channel, ts), "reminder_actions")).toBeUndefined();
  });

  it("after a rotation over REST: names the program's key, never its id", async () => {
    const { ts } = await remind("pagerduty", "oncall");
    const updates = app.fake.mark();
    const secret = ghToken();
    const rotated = await rest("PATCH", "/integrations/pagerduty/configurations/oncall", { secret, expiresOn: "2027-12-31", timeZone: "Europe/Paris" });
    expect(rotated.status).toBe(200);

    const update = await updateOf(ts, updates);
    expect(update.response.ok).toBe(true);
    expect(update.violations).toEqual([]);
    const message = app.fake.getMessage(channel, ts)!;
    const key = (await app.keyward.db.prisma.apiKey.findFirstOrThrow({ where: { name: "rotation-bot" } })).last4;
    expect(message.text).toBe(
      `pagerduty/oncall was rotated by API key rotation-bot …${key} on 2026-12-24 09:00 UTC: the new secret …${secret.slice(-4)} expires on Dec 31, 2027. Nothing to do.`,
    );
    expect(textOf(block(message, "reminder_outcome"))).toContain(`*Rotated* by API key *rotation-bot …${key}* over the REST API ${dateOf(now)}`);
    expect(block(message, "reminder_actions")).toBeUndefined();
    expect(textOf(app.fake.callsTo("chat.update"))).not.toMatch(/key:[0-9a-f]{8}-/);
  });

  it("after a deletion, from Slack or over REST: says so, with no buttons", async () => {
    const fromSlack = await remind("datadog", "metrics");
    const overRest = await remind("opsgenie", "pager");
    const updates = app.fake.mark();
    const question = (await answerTo(app, app.driver.command({ userId: owner, text: "integrations delete datadog metrics", channelId: channel }))).body as Json;
    const confirm = (question.blocks as Json[]).find((b) => textOf(b).includes("keyward.integration.delete"))!;
    await app.driver.blockAction({
      userId: owner,
      actionId: "keyward.integration.delete",
      blockId: String(confirm.block_id),
      value: fromSlack.id,
      channelId: channel,
      messageTs: "1790000000.000100",
      message: { blocks: question.blocks } as never,
    });
    expect((await rest("DELETE", "/integrations/opsgenie/configurations/pager")).status).toBe(204);

    for (const [ts, text, by] of [
      [fromSlack.ts, "datadog/metrics was deleted by", `<@${owner}>`],
      [overRest.ts, "opsgenie/pager was deleted by", "API key *rotation-bot"],
    ] as const) {
      const update = await updateOf(ts, updates);
      expect(update.response.ok).toBe(true);
      expect(update.violations).toEqual([]);
      const message = app.fake.getMessage(channel, ts)!;
      expect(message.text).toContain(text);
      expect(textOf(block(message, "reminder_outcome"))).toContain(`*Deleted* by ${by}`);
      expect(block(message, "reminder_actions")).toBeUndefined();
    }
    expect(await app.keyward.db.prisma.integrationConfig.count({ where: { alias: { in: ["metrics", "pager"] } } })).toBe(0);
  });

  it("still rotates when Slack refuses the update, and logs Slack's error", async () => {
    const { id, ts } = await remind("linear", "issues");
    app.fake.failNext("chat.update", { error: "message_not_found" });
    const updates = app.fake.mark();
    const secret = ghToken();
    const rotated = await rest("PATCH", "/integrations/linear/configurations/issues", { secret });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ last4: secret.slice(-4) });
    expect((await app.keyward.db.prisma.integrationConfig.findUniqueOrThrow({ where: { id } })).last4).toBe(secret.slice(-4));

    const refused = await updateOf(ts, updates);
    expect(refused.response.error).toBe("message_not_found");
    expect(await logged(id, "could not update a reminder message")).toMatchObject([
      { slackError: "message_not_found", configId: id, channel, ts, change: "rotated" },
    ]);
    // Not retried: once the refresh has finished, the one refused call is all there was.
    expect(await logged(id, "reminder messages updated after a change")).toMatchObject([{ updated: 0, of: 1 }]);
    expect(app.fake.callsTo("chat.update").filter((c) => c.args.ts === ts)).toHaveLength(1);
    expect(app.fake.getMessage(channel, ts)!.text).toContain("linear/issues expires in 7 days");
  });

  it("re-applies on the next reminder pass an update Slack refused for a passing reason (429), once", async () => {
    const { id, ts } = await remind("vercel", "deploys");
    app.fake.failNext("chat.update", { retryAfter: 30 });
    const updates = app.fake.mark();
    const secret = ghToken();
    expect((await rest("PATCH", "/integrations/vercel/configurations/deploys", { secret })).status).toBe(200);
    const refused = await updateOf(ts, updates);
    expect(refused.response.ok).toBe(false);
    expect(await logged(id, "reminder messages updated after a change")).toMatchObject([{ updated: 0, of: 1 }]);
    expect(app.fake.getMessage(channel, ts)!.text).toContain("vercel/deploys expires in 7 days");
    const retried = app.fake.mark();
    await app.keyward.reminders!.runPass();
    const update = await updateOf(ts, retried);
    expect(update.response.ok).toBe(true);
    expect(update.violations).toEqual([]);
    expect(app.fake.getMessage(channel, ts)!.text).toBe(
      `vercel/deploys was rotated by API key rotation-bot …${(await app.keyward.db.prisma.apiKey.findFirstOrThrow({ where: { name: "rotation-bot" } })).last4} on 2026-12-24 09:00 UTC: the new secret …${secret.slice(-4)} expires on Dec 31, 2026. Nothing to do.`,
    );
    expect(block(app.fake.getMessage(channel, ts), "reminder_actions")).toBeUndefined();
    const row = await app.keyward.db.prisma.reminderDelivery.findFirstOrThrow({ where: { subjectId: id, status: "sent" } });
    expect(row.settledAt).not.toBeNull();
    expect(row.deferredUpdate).toBeNull();
    await app.keyward.reminders!.runPass();
    expect(app.fake.callsTo("chat.update").filter((c) => c.args.ts === ts)).toHaveLength(2);
  });

  it("a deletion after a refused rotation update rewrites the message as deleted, and the pass does not bring the rotation back", async () => {
    const { id, ts } = await remind("netlify", "sites");
    app.fake.failNext("chat.update", { status: 503, error: "service_unavailable" });
    const updates = app.fake.mark();
    expect((await rest("PATCH", "/integrations/netlify/configurations/sites", { secret: ghToken() })).status).toBe(200);
    expect((await updateOf(ts, updates)).response.ok).toBe(false);
    await logged(id, "reminder messages updated after a change");
    const deleting = app.fake.mark();
    expect((await rest("DELETE", "/integrations/netlify/configurations/sites")).status).toBe(204);
    expect((await updateOf(ts, deleting)).response.ok).toBe(true);
    expect(app.fake.getMessage(channel, ts)!.text).toContain("netlify/sites was deleted by");
    await app.keyward.reminders!.runPass();
    expect(app.fake.callsTo("chat.update").filter((c) => c.args.ts === ts)).toHaveLength(2);
    expect(app.fake.getMessage(channel, ts)!.text).toContain("netlify/sites was deleted by");
  });
});
