import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { Mark } from "../support/waits.ts";
import { createKeyThroughSlack, expectSecretOnlyDeliveredOnce, modalFor, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/** Issue 13 item 4: the one-time secret message goes when its reader says they stored the key. */
describe("I've stored it, through the real receiver", () => {
  const admin = "USTORED01";
  // warmUp: so that the first create is not also the cold process's first request (see secret-delivery.e2e).
  const { app } = useSlackApp({ people: [{ id: admin, isAdmin: true }], warmUp: true });

  /** The secret's one delivery: the first chat.postEphemeral since the mark, and the secret in it. */
  async function deliveryAfter(since: Mark): Promise<{ delivery: RecordedCall; secret: string }> {
    const delivery = await app.fake.waitForCall("chat.postEphemeral", () => true, { since });
    expect(delivery.response.ok).toBe(true);
    const secret = secretIn(delivery);
    if (!secret) throw new Error("the first ephemeral message after the form held no secret");
    return { delivery, secret };
  }

  /**
   * Presses the message's button as Slack sends it: an ephemeral message comes back as its container
   * (channel and ts); `echoed` also sends the message itself, blocks and secret, in case Slack does.
   * Returns the press's own response_url, the one the app must delete through.
   */
  async function pressStored(delivery: RecordedCall, echoed = false): Promise<string> {
    const messageTs = String(delivery.response.message_ts);
    const message = { type: "message", ts: messageTs, text: delivery.args.text, blocks: delivery.args.blocks };
    const pressed = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.secret_stored",
      blockId: "secret_stored",
      channelId,
      messageTs,
      message,
      ...(echoed ? { ephemeral: false, container: { type: "message", message_ts: messageTs, channel_id: channelId, is_ephemeral: true } } : {}),
    });
    expect(pressed.status).toBe(200);
    const sent = pressed.sent as { response_url: string; container: Json; actions: Json[] };
    expect(sent.container).toMatchObject({ message_ts: messageTs, channel_id: channelId, is_ephemeral: true });
    expect(sent.actions[0]).toMatchObject({ action_id: "keyward.key.secret_stored", value: "stored" });
    return sent.response_url;
  }

  /** Every post to that response_url, once there was one and the app has finished the press (so no second one follows). */
  async function postedTo(url: string) {
    await app.driver.waitForResponse(url);
    await app.idle();
    return app.driver.responsesTo(url);
  }

  it("deletes a new key's message through the press's response_url, and the key keeps working", async () => {
    const { submitted, mark } = await createKeyThroughSlack(app, admin, { name: "stored-create", role: "Viewer" });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const { delivery, secret } = await deliveryAfter(mark);
    expect(textOf(delivery.args.blocks)).toContain("I've stored it");
    const url = await pressStored(delivery);
    const posted = await postedTo(url);
    // delete_original alone: anything beside it Slack would post as a new message.
    expect(posted.map((r) => [r.status, r.body])).toEqual([[200, { delete_original: true }]]);
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    await expectSecretOnlyDeliveredOnce(app, secret);
  });

  it("deletes a roll's message the same way, and keeps the secret out of logs and database even when the press echoes it", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.keys.create(actor, { name: "stored-roll", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "roll stored-roll", channelId }));
    expect(view.callback_id).toBe("keyward.key.roll");
    const before = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: admin, view, answers: { grace: { value: "24" } } });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const { delivery, secret } = await deliveryAfter(before);
    expect(textOf(delivery.args.blocks)).toContain("Replaces");
    const url = await pressStored(delivery, true);
    expect((await postedTo(url)).map((r) => [r.status, r.body])).toEqual([[200, { delete_original: true }]]);
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    await expectSecretOnlyDeliveredOnce(app, secret);
  });

  it("when Slack refuses the delete, tells the person to dismiss the message, naming no key, and logs no URL", async () => {
    const { mark } = await createKeyThroughSlack(app, admin, { name: "stored-refused", role: "Viewer" });
    const { delivery, secret } = await deliveryAfter(mark);
    // Slack's answer for a response_url past its 30 minutes or its 5 posts.
    app.driver.failNextResponse(404);
    const pressing = app.fake.mark();
    const url = await pressStored(delivery);
    expect((await postedTo(url)).map((r) => [r.status, r.body])).toEqual([[404, { delete_original: true }]]);
    const told = await app.fake.waitForCall("chat.postEphemeral", () => true, { since: pressing });
    expect(told.response.ok).toBe(true);
    expect(told.args).toMatchObject({ channel: channelId, user: admin });
    expect(String(told.args.text)).toContain("Dismiss it yourself, or reload Slack");
    expect(textOf(told.args)).not.toMatch(/kw_/);
    expect(textOf(told.args)).not.toContain("stored-refused");
    const logs = app.logs.join("\n");
    expect(logs).toContain("Slack did not remove a secret message");
    expect(logs).not.toContain(new URL(url).pathname);
    await expectSecretOnlyDeliveredOnce(app, secret);
  });
});
