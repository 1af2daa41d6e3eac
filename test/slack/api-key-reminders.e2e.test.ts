import { afterAll, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { answerTo, expectSecretOnlyDeliveredOnce, findBlock, modalFor, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/**
 * Issue 10 item 1 end to end: an API-key reminder posted by a real reminder pass, and what its
 * owner can do with its buttons. Roll now renews the key (the replacement gets a new expiry);
 * an expired key's reminder creates a replacement instead; Snooze puts the next reminder off.
 */
describe("API-key reminders, acted on through the real receiver", () => {
  const ownerId = "UKEYOWNER1";
  const clock = new ManualClock(new Date("2026-11-27T15:00:00Z"));
  const { app, admin: owner } = useSlackApp({ clock, people: [{ id: ownerId, isAdmin: true }] }); // America/New_York
  // Before the app closes (after hooks run last-registered first).
  afterAll(() => {
    // The Done-when: nothing sent to Slack carries `key:` and a UUID.
    const sent = [...app.fake.calls.map((c) => c.args), ...app.driver.responses.map((r) => r.body)];
    expect(sent.filter((s) => /key:[0-9a-f]{8}-/.test(JSON.stringify(s)))).toEqual([]);
    expect(app.fake.calls.filter((c) => c.violations && c.violations.length > 0).map((c) => [c.method, c.violations])).toEqual([]);
  });

  /** Runs a reminder pass at `at` and returns the DM it posted about `name`, if any. */
  async function remindersAbout(name: string, at: string): Promise<RecordedCall[]> {
    const since = app.fake.mark();
    clock.set(at);
    await app.keyward.reminders!.runPass();
    return app.fake.callsSince(since, "chat.postMessage").filter((c) => c.response.ok && textOf(c.args).includes(name));
  }

  const buttons = (post: RecordedCall) =>
    (findBlock(post.args as Json, "reminder_actions").elements as Json[]).map((e) => ({
      action: String(e.action_id),
      text: String((e.text as Json).text),
      value: String(e.value),
    }));

  async function press(post: RecordedCall, actionId: string) {
    const button = buttons(post).find((b) => b.action === actionId)!;
    const channelId = String(post.args.channel);
    return app.driver.blockAction({
      userId: ownerId,
      actionId,
      blockId: "reminder_actions",
      value: button.value,
      channelId,
      messageTs: String(post.response.ts),
    });
  }

  async function formFrom(post: RecordedCall, actionId = "keyward.reminder.rotate"): Promise<Json> {
    return modalFor(app, await press(post, actionId));
  }

  it("Roll now opens the roll form for that key, and the rolled key gets a NEW expiry", async () => {
    clock.set("2026-11-27T15:00:00Z");
    const { key, secret: oldSecret } = await app.keyward.services.keys.create(owner, {
      name: "deploy-bot",
      role: "Viewer",
      expiresOn: "2027-03-01",
      timeZone: "America/New_York",
    });
    const [post] = await remindersAbout("deploy-bot", "2027-02-26T15:00:00Z");
    expect(post!.violations).toEqual([]);
    expect(String(post!.args.channel)).toMatch(/^D/);
    expect(textOf(post!.args)).toContain("deploy-bot expires in 3 days");
    expect(buttons(post!)).toEqual([
      { action: "keyward.reminder.rotate", text: "Roll now", value: `apikey.${key.id}` },
      { action: "keyward.reminder.snooze", text: "Snooze", value: `apikey.${key.id}` },
    ]);

    const form = await formFrom(post!);
    expect(form.callback_id).toBe("keyward.key.roll");
    // Created 27 November for 1 March (94 days in New York): 94 days from 26 February is 31 May.
    expect(findBlock(form, "expires_on").element).toMatchObject({ type: "datepicker", initial_date: "2027-05-31" });
    expect(textOf(findBlock(form, "expires_on").hint)).toContain("America/New_York");

    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: ownerId, view: form, answers: { grace: { value: "24" } } });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const delivery = await app.fake.waitForCall("chat.postEphemeral", () => true, { since });
    const secret = secretIn(delivery)!;
    expect(String(delivery.args.channel)).toBe(String(post!.args.channel));
    const renewed = await verifyWhenActive(app, secret);
    expect(renewed).toMatchObject({ valid: true, key: { name: "deploy-bot", roleName: "Viewer" } });
    // The end of 31 May in New York, not the old key's 1 March.
    expect(renewed.key!.expiresAt.toISOString()).toBe("2027-06-01T03:59:59.999Z");
    expect(renewed.key!.expiresAt.toISOString()).not.toBe(key.expiresAt.toISOString());
    expect(textOf(delivery.args)).toMatch(/The new key expires <!date\^1811822399\^/);
    // The old key works through its grace; the replacement's reminders follow its own expiry.
    expect((await app.keyward.services.keys.verify(oldSecret)).valid).toBe(true);
    const row = await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: renewed.key!.id } });
    expect(row.nextReminderAt!.getTime()).toBeGreaterThan(new Date("2027-04-01T00:00:00Z").getTime());
    await expectSecretOnlyDeliveredOnce(app, secret);
    expect(await remindersAbout("deploy-bot", "2027-02-28T15:00:00Z")).toEqual([]);
  });

  it("Roll now on a key the policy keeps from being rolled (no description where one is required) says why and how, instead of a form; nothing written", async () => {
    clock.set("2026-11-27T15:00:00Z");
    await app.keyward.services.keys.create(owner, { name: "bare-bot", role: "Viewer", expiresOn: "2027-03-01", timeZone: "America/New_York" });
    const [post] = await remindersAbout("bare-bot", "2027-02-26T15:00:00Z");
    await app.keyward.services.policies.update(owner, { requireDescription: true });
    try {
      const before = await app.dump();
      const view = await formFrom(post!);
      expect(view.callback_id).not.toBe("keyward.key.roll");
      expect(textOf(view)).toContain("requires a description");
      expect(textOf(view)).toContain("/keys edit bare-bot");
      expect(await app.dump()).toBe(before);
    } finally {
      await app.keyward.services.policies.update(owner, { requireDescription: false });
    }
  });

  it("an expired key's reminders open the create form filled in from the key; the replacement takes its name", async () => {
    clock.set("2026-11-27T15:00:00Z");
    const { key } = await app.keyward.services.keys.create(owner, {
      name: "nightly-export",
      description: "exports <at> night",
      role: "Manager",
      kind: "personal",
      expiresOn: "2027-01-10",
      timeZone: "UTC",
    });
    const [tomorrow] = await remindersAbout("nightly-export", "2027-01-09T12:00:00Z");
    expect(buttons(tomorrow!).map((b) => b.text)).toEqual(["Roll now", "Snooze"]);
    const [expired] = await remindersAbout("nightly-export", "2027-01-11T01:00:00Z");
    expect(textOf(expired!.args)).toContain("nightly-export has expired");
    expect(buttons(expired!)).toEqual([{ action: "keyward.reminder.rotate", text: "Create a replacement", value: `apikey.${key.id}` }]);
    expect(textOf(expired!.args)).toContain("*Create a replacement* opens the create form");

    // Roll now on the earlier reminder, clicked after the expiry, does the same: the key cannot be rolled any more.
    const fromEarlier = await formFrom(tomorrow!);
    expect(fromEarlier.callback_id).toBe("keyward.key.create");
    const form = await formFrom(expired!);
    expect(form.callback_id).toBe("keyward.key.create");
    const manager = (await app.keyward.services.roles.list(owner)).find((r) => r.name === "Manager")!;
    expect(findBlock(form, "name").element).toMatchObject({ initial_value: "nightly-export" });
    expect(findBlock(form, "description").element).toMatchObject({ initial_value: "exports <at> night" });
    expect(findBlock(form, "role").element).toMatchObject({ initial_option: { value: manager.id } });
    expect(findBlock(form, "kind").element).toMatchObject({ initial_option: { value: "personal" } });
    // 44 days (27 November to 10 January), from 10 January in New York.
    expect(findBlock(form, "expires_on").element).toMatchObject({ initial_date: "2027-02-23" });
    expect(textOf(findBlock(form, "replaces"))).toContain("expired <!date^");

    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: ownerId, view: form });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const delivery = await app.fake.waitForCall("chat.postEphemeral", () => true, { since });
    const created = await verifyWhenActive(app, secretIn(delivery)!);
    expect(created).toMatchObject({ valid: true, key: { name: "nightly-export", description: "exports <at> night", roleName: "Manager", kind: "personal" } });
    expect(created.key!.id).not.toBe(key.id);
    expect(created.key!.expiresAt.toISOString()).toBe("2027-02-24T04:59:59.999Z");
    // To roll, the name now means the replacement; to delete or edit, it names both (the expired key is still listed).
    expect((await app.keyward.services.keys.find(owner, "nightly-export", { preferWorking: true })).id).toBe(created.key!.id);
    await expect(app.keyward.services.keys.find(owner, "nightly-export")).rejects.toMatchObject({ code: "ambiguous_reference" });
  });

  it("Snooze puts the key's next reminder off by a day, and it comes after that; old `key:` buttons still work", async () => {
    clock.set("2026-11-27T15:00:00Z");
    const { key } = await app.keyward.services.keys.create(owner, { name: "snoozy", role: "Viewer", expiresOn: "2027-04-10", timeZone: "UTC" });
    const [post] = await remindersAbout("snoozy", "2027-04-09T01:00:00Z");
    expect(textOf(post!.args)).toContain("snoozy expires tomorrow");
    const row = () => app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect((await row()).nextReminderAt!.toISOString()).toBe("2027-04-10T00:00:00.000Z");

    const answer = await answerTo(app, press(post!, "keyward.reminder.snooze"));
    expect(answer.body).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(textOf(answer.body)).toContain("Snoozed *snoozy*");
    expect(textOf(answer.body)).toMatch(/no sooner than <!date\^\d+\^/);
    expect(textOf(answer.body)).not.toContain("cannot");
    expect((await row()).nextReminderAt!.toISOString()).toBe("2027-04-10T01:00:00.000Z");
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "api_key.snooze", targetId: key.id, actorId: ownerId } })).toBe(1);

    // "Expires today" was due at midnight: not before the snooze ends, then once.
    expect(await remindersAbout("snoozy", "2027-04-10T00:30:00Z")).toEqual([]);
    const [today] = await remindersAbout("snoozy", "2027-04-10T01:30:00Z");
    expect(textOf(today!.args)).toContain("snoozy expires today");

    // A reminder posted before issue 10 carries `key:<id>`: its buttons still decode.
    const legacy = app.driver.blockAction({
      userId: ownerId,
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value: `key:${key.id}`,
      channelId: String(post!.args.channel),
      messageTs: String(post!.response.ts),
    });
    const legacyAnswer = await answerTo(app, legacy);
    expect(textOf(legacyAnswer.body)).toContain("Snoozed *snoozy*");
    expect((await row()).nextReminderAt!.toISOString()).toBe("2027-04-11T01:30:00.000Z");
  });

  it("refuses Snooze to someone who may not roll the key, and writes nothing", async () => {
    clock.set("2026-11-27T15:00:00Z");
    const viewerId = app.addUser({ id: "UKEYVIEW01" });
    await app.keyward.services.roles.assign(owner, viewerId, "Viewer");
    const { key } = await app.keyward.services.keys.create(owner, { name: "not-yours", role: "Viewer", expiresOn: "2027-05-10", timeZone: "UTC" });
    const [post] = await remindersAbout("not-yours", "2027-05-09T01:00:00Z");
    const before = JSON.stringify(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } }));
    const audit = await app.keyward.db.prisma.auditEvent.count();
    const value = buttons(post!).find((b) => b.action === "keyward.reminder.snooze")!.value;
    const pressed = app.driver.blockAction({
      userId: viewerId,
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value,
      channelId: String(post!.args.channel),
      messageTs: String(post!.response.ts),
    });
    const answer = await answerTo(app, pressed);
    expect(textOf(answer.body)).toContain("You do not have permission");
    expect(JSON.stringify(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } }))).toBe(before);
    expect(await app.keyward.db.prisma.auditEvent.count()).toBe(audit);
  });
});
