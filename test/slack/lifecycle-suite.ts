// One key's life through Slack, written once and run over both transports Slack offers: signed
// HTTP requests to /slack/events (lifecycle-http.e2e.test.ts) and Socket Mode envelopes over the
// fake's WebSocket (socket-mode.e2e.test.ts). The tests use the driver only, so what differs is
// the harness's `socketMode` and nothing else: a request's answer is the HTTP body or the ack's payload.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelId, signingSecret } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { createSlackDriver, type SlackDriver } from "../support/slack-driver.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import {
  answerTo,
  confirmDelete,
  createKeyThroughSlack,
  expectEveryMessageHasText,
  expectNoRawKeyIds,
  expectSecretOnlyDeliveredOnce,
  findBlock,
  modalFor,
  secretIn,
  textOf,
  verifyWhenActive,
} from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

export type Transport = "http" | "socket-mode";

/** Registers the suite in the calling test file, over `transport`; returns the app for more tests there. */
export function keyLifecycleSuite(transport: Transport) {
  const admin = "ULIFEADM01";
  const clock = new ManualClock(new Date("2026-11-27T15:00:00Z"));
  const setup = useSlackApp({ socketMode: transport === "socket-mode", clock, warmUp: true, people: [{ id: admin, isAdmin: true }] });
  const { app } = setup;

  describe(`a key's life through Slack over ${transport}`, () => {
    let foreign: SlackDriver;
    beforeAll(async () => {
      // Another workspace's Slack, on the same transport (the same socket, in Socket Mode).
      foreign = await createSlackDriver({
        appUrl: `${app.keyward.url}/slack/events`,
        signingSecret,
        fakeSlack: app.fake,
        teamId: "T0FOREIGN1",
        socketMode: app.socket,
      });
    });
    afterAll(async () => {
      await foreign?.close();
    });

    it("/keys create → form → submission: the submission's answer clears the form, the secret is shown once, ephemerally", async () => {
      clock.set("2026-11-27T15:00:00Z");
      const { ack, submitted, view, mark } = await createKeyThroughSlack(app, admin, { name: "life-deploy", role: "Manager", description: "CI" });
      expect(ack.body).toBe(""); // a bare ack; the form comes through views.open
      expect(view.callback_id).toBe("keyward.key.create");
      expect(submitted.status).toBe(200);
      expect(submitted.json).toEqual({ response_action: "clear" });
      const delivery = await app.fake.waitForCall("chat.postEphemeral", (c) => c.args.user === admin, { since: mark });
      expect(delivery.args).toMatchObject({ channel: channelId, user: admin });
      const secret = secretIn(delivery)!;
      expect(textOf(delivery.args)).toContain("will not be shown again");
      expect(await verifyWhenActive(app, secret)).toMatchObject({ valid: true, key: { name: "life-deploy", roleName: "Manager" } });
      await expectSecretOnlyDeliveredOnce(app, secret);
    });

    it("answers bad form input in the submission's own answer (response_action: errors) and writes nothing", async () => {
      const before = await app.keyward.db.prisma.apiKey.count();
      const { submitted } = await createKeyThroughSlack(app, admin, { name: "x".repeat(80), role: "Viewer" });
      expect(submitted.json).toMatchObject({ response_action: "errors", errors: { name: expect.stringMatching(/64 characters/) } });
      expect(await app.keyward.db.prisma.apiKey.count()).toBe(before);
    });

    it("renames a key through /keys edit: the submission's answer updates the form", async () => {
      const { key } = await app.keyward.services.keys.create(setup.admin, { name: "life-rename", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      const view = await modalFor(app, await app.driver.command({ userId: admin, text: "edit life-rename", channelId }));
      expect(view.callback_id).toBe("keyward.key.edit");
      const saved = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "life-renamed" } } });
      expect(saved.json).toMatchObject({ response_action: "update" });
      expect(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ name: "life-renamed", roleId: key.roleId });
    });

    it("asks before deleting and deletes on the question's button", async () => {
      const { key, secret } = await app.keyward.services.keys.create(setup.admin, {
        name: "life-delete",
        role: "Viewer",
        expiresOn: "2030-01-01",
        timeZone: "UTC",
      });
      const question = (await answerTo(app, app.driver.command({ userId: admin, text: "delete life-delete", channelId }))).body as Json;
      expect(textOf(question)).toContain("cannot be undone");
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
      expect(textOf(await confirmDelete(app, admin, key.id, question))).toContain("Deleted life-delete");
      expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
    });

    it("a reminder's buttons: Snooze puts the next reminder off, Roll now opens the roll form and delivers the new secret", async () => {
      clock.set("2026-11-27T15:00:00Z");
      const { key } = await app.keyward.services.keys.create(setup.admin, { name: "life-remind", role: "Viewer", expiresOn: "2027-03-01", timeZone: "UTC" });
      const since = app.fake.mark();
      clock.set("2027-02-28T01:00:00Z");
      await app.keyward.reminders!.runPass();
      const post = app.fake.callsSince(since, "chat.postMessage").find((c) => c.response.ok && textOf(c.args).includes("life-remind"))!;
      expect(textOf(post.args)).toContain("life-remind expires tomorrow");
      const nextReminder = async () => (await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).nextReminderAt?.toISOString();
      expect(await nextReminder()).toBe("2027-03-01T00:00:00.000Z");
      const snoozed = await answerTo(app, press(post, "keyward.reminder.snooze"));
      expect(textOf(snoozed.body)).toContain("Snoozed *life-remind*");
      expect(await nextReminder()).toBe("2027-03-01T01:00:00.000Z");
      expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "api_key.snooze", targetId: key.id } })).toBe(1);
      const form = await modalFor(app, await press(post, "keyward.reminder.rotate"));
      expect(form.callback_id).toBe("keyward.key.roll");
      const mark = app.fake.mark();
      const submitted = await app.driver.viewSubmission({ userId: admin, view: form, answers: { grace: { value: "24" } } });
      expect(submitted.json).toEqual({ response_action: "clear" });
      const delivery = await app.fake.waitForCall("chat.postEphemeral", () => true, { since: mark });
      const secret = secretIn(delivery)!;
      expect(await verifyWhenActive(app, secret)).toMatchObject({ valid: true, key: { name: "life-remind" } });
      await expectSecretOnlyDeliveredOnce(app, secret);
    });

    it("app_home_opened (an Events API callback) publishes the Home tab", async () => {
      const since = app.fake.mark();
      const ack = await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0LIFEHOME" });
      expect(ack.status).toBe(200);
      const published = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
      expect(published.response.ok).toBe(true);
      expect(textOf(app.fake.getHomeView(admin))).toContain("life-deploy");
    });

    it("a command from a workspace keyward does not serve is answered in its ack, ephemerally, and does nothing", async () => {
      const since = app.fake.mark();
      const ack = await foreign.command({ userId: "UFOREIGN01", text: "create", channelId });
      expect(ack.status).toBe(200);
      expect(ack.json).toEqual({ response_type: "ephemeral", text: "keyward is not installed for this workspace." });
      await app.idle();
      expect(app.fake.callsSince(since).map((c) => c.method)).toEqual([]);
    });

    // Last, over everything the tests above made the app send (issue 10's Done-when).
    it("sent Slack no key id (`key:<uuid>`) and a top-level text with every message", () => {
      expectNoRawKeyIds(app);
      expectEveryMessageHasText(app);
    });
  });

  function press(post: RecordedCall, actionId: string) {
    const button = (findBlock(post.args as Json, "reminder_actions").elements as Json[]).find((e) => e.action_id === actionId)!;
    return app.driver.blockAction({
      userId: admin,
      actionId,
      blockId: "reminder_actions",
      value: button.value,
      channelId: String(post.args.channel),
      messageTs: String(post.response.ts),
    });
  }

  return setup;
}
