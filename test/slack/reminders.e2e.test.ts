import { describe, expect, it } from "vitest";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { textOf } from "./slack-flow-helpers.ts";

const secret = "ghp_REMINDERe2eSecretValue0123456789abcd";

describe("reminders posted to Slack", () => {
  const clock = new ManualClock(new Date("2026-11-27T15:00:00Z"));
  const { app, admin } = useSlackApp({
    clock,
    people: [{ id: "UOWNER001", isAdmin: true }],
    channels: [
      { id: "C0PLATFORM", name: "platform", members: ["UOWNER001"], botIsMember: true },
      { id: "C0NOBOT01", name: "closed", members: ["UOWNER001"], botIsMember: false },
    ],
  });
  /** What the app posted in the test so far (the passes it runs are awaited: their posts are in). */
  const postedSince = (since: number) => app.fake.callsSince(since, "chat.postMessage");

  it("posts the reminder with alias, last 4, expiry, default status, the four steps and the buttons", async () => {
    const since = app.fake.mark();
    await app.keyward.services.integrations.add(admin, "github", {
      alias: "cortex-github",
      secret,
      expiresOn: "2026-12-31",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    clock.set("2026-12-24T09:00:00Z");
    const report = await app.keyward.reminders!.runPass();
    expect(report).toMatchObject({ claimed: 1, sent: 1 });
    const [post] = postedSince(since).filter((c) => c.args.channel === "C0PLATFORM");
    expect(post!.response.ok).toBe(true);
    expect(post!.violations).toEqual([]);
    const text = textOf(post!.args);
    for (const expected of [
      "cortex-github",
      "…abcd",
      "expires in 7 days",
      "<!date^",
      "*Default:* yes",
      "1. Create a new key in *github*",
      "2. Note the alias",
      "3. Create a new configuration with the same alias",
      "make it the default",
      "4. Watch github",
      "keyward.reminder.rotate",
      "keyward.reminder.snooze",
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain(secret);
    // The same pass again posts nothing.
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ claimed: 0 });
  });

  it("reminds on the next pass about a key added with 2 days left, saying 2 days", async () => {
    const since = app.fake.mark();
    clock.set("2026-12-24T09:00:00Z");
    await app.keyward.services.integrations.add(admin, "github", {
      alias: "added-late",
      secret,
      expiresOn: "2026-12-26",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    await app.keyward.reminders!.runPass();
    const posts = postedSince(since).filter((c) => c.response.ok && textOf(c.args).includes("github/added-late"));
    expect(posts).toHaveLength(1);
    expect(textOf(posts[0]!.args)).toContain("github/added-late expires in 2 days");
  });

  it("does not post twice when an attempt got through but was never recorded (process died, call timed out)", async () => {
    const since = app.fake.mark();
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.integrations.add(admin, "sentry", {
      alias: "errors",
      secret,
      expiresOn: "2027-01-20",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    clock.set("2027-01-14T09:00:00Z");
    await app.keyward.reminders!.runPass();
    const posts = () => postedSince(since).filter((c) => c.response.ok && textOf(c.args).includes("sentry/errors"));
    expect(posts()).toHaveLength(1);
    // The ledger forgets that it was sent, as if the process had died right after Slack took it.
    await app.keyward.db.prisma.reminderDelivery.updateMany({
      where: { status: "sent", channel: "C0PLATFORM", threshold: 7 },
      data: { status: "retry", sentAt: null },
    });
    clock.advance(60_000);
    await app.keyward.reminders!.runPass();
    expect(posts()).toHaveLength(1);
    const row = await app.keyward.db.prisma.reminderDelivery.findFirst({
      where: { threshold: 7, channel: "C0PLATFORM", lastError: { contains: "earlier attempt" } },
    });
    expect(row?.status).toBe("sent");
  });

  it("retries on a later pass when Slack answers ratelimited or 5xx, posting once", async () => {
    const since = app.fake.mark();
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.integrations.add(admin, "pagerduty", {
      alias: "oncall",
      secret,
      expiresOn: "2027-01-10",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    clock.set("2027-01-07T12:00:00Z");
    app.fake.failNext("chat.postMessage", { status: 429, retryAfter: 30 });
    expect((await app.keyward.reminders!.runPass()).retryLater).toBeGreaterThanOrEqual(1);
    clock.advance(60_000);
    app.fake.failNext("chat.postMessage", { status: 503 });
    expect((await app.keyward.reminders!.runPass()).retryLater).toBeGreaterThanOrEqual(1);
    clock.advance(60_000);
    expect((await app.keyward.reminders!.runPass()).sent).toBeGreaterThanOrEqual(1);
    clock.advance(60_000);
    await app.keyward.reminders!.runPass();
    const posted = postedSince(since).filter((c) => c.response.ok && textOf(c.args).includes("pagerduty/oncall"));
    expect(posted).toHaveLength(1);
  });

  it('after Slack failed "expires today" until past the expiry, posts "has expired" once', async () => {
    const since = app.fake.mark();
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.integrations.add(admin, "opsgenie", {
      alias: "pager",
      secret,
      expiresOn: "2027-03-10",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    clock.set("2027-03-09T09:00:00Z");
    await app.keyward.reminders!.runPass(); // "expires tomorrow", and whatever else earlier tests left due
    clock.set("2027-03-10T09:00:00Z");
    app.fake.failNext("chat.postMessage", { status: 503 });
    expect(await app.keyward.reminders!.runPass()).toMatchObject({ retryLater: 1 });
    clock.set("2027-03-11T01:00:00Z"); // Slack is back, after the expiry
    await app.keyward.reminders!.runPass();
    await app.keyward.reminders!.runPass();
    const posted = postedSince(since).filter((c) => c.response.ok && textOf(c.args).includes("opsgenie/pager"));
    // Other tests' configurations due in the same channel may share the message: read this one's line.
    expect(posted.map((c) => /opsgenie\/pager (has expired|expires \w+)/.exec(textOf(c.args))?.[1])).toEqual(["expires tomorrow", "has expired"]);
  });

  it("tells the owner by DM, instead of silence, when the app is not in the reminder channel", async () => {
    const since = app.fake.mark();
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.integrations.add(admin, "datadog", {
      alias: "metrics",
      secret,
      expiresOn: "2027-02-01",
      timeZone: "UTC",
      reminderChannel: "C0NOBOT01",
    });
    clock.set("2027-01-31T10:00:00Z");
    await app.keyward.reminders!.runPass();
    const refused = postedSince(since).find((c) => c.args.channel === "C0NOBOT01");
    expect(refused?.response.error).toBe("not_in_channel");
    const dm = postedSince(since).find((c) => c.response.ok && String(c.args.channel).startsWith("D") && textOf(c.args).includes("datadog/metrics"));
    expect(textOf(dm!.args)).toContain("could not post this reminder in <#C0NOBOT01>");
    expect(textOf(dm!.args)).toContain("/invite @keyward");
  });

  it("reminds an API key's creator by DM", async () => {
    const since = app.fake.mark();
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.keys.create(admin, { name: "deploy-bot", role: "Viewer", expiresOn: "2027-03-01", timeZone: "UTC" });
    clock.set("2027-02-27T10:00:00Z");
    await app.keyward.reminders!.runPass();
    const dm = postedSince(since).find((c) => textOf(c.args).includes("deploy-bot") && c.response.ok);
    expect(String(dm!.args.channel)).toMatch(/^D/);
    expect(textOf(dm!.args)).toContain("/keys roll deploy-bot");
    expect(textOf(dm!.args)).toContain("apikey.");
    expect(textOf(dm!.args)).not.toMatch(/key:[0-9a-f]{8}-/);
  });
});
