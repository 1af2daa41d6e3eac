import { randomBytes } from "node:crypto";
import { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { botToken, channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { DriverResponse } from "../support/slack-driver.ts";
import { answerTo, findBlock, modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;
type Button = { action_id: string; value: string };

/** A GitHub-shaped token; each test types its own, and none may ever leave the modal's input. */
const ghToken = () => `ghp_${randomBytes(18).toString("hex")}`;

describe("/keys integrations through the real receiver", () => {
  const admin = "UINTADMIN";
  const manager = "UINTMGR01";
  const viewer = "UINTVIEW1";
  const typed: string[] = [];
  const otherChannel = "C0OTHER001";
  const { app, admin: adminActor } = useSlackApp({
    people: [
      { id: admin, isAdmin: true },
      { id: manager, tz: "Asia/Kathmandu", role: "Manager" },
      { id: viewer, role: "Viewer" },
    ],
    channels: [{ id: otherChannel, name: "alerts", members: [admin, manager], botIsMember: true }],
  });

  const configs = () => app.keyward.db.prisma.integrationConfig.findMany({ orderBy: { alias: "asc" } });
  const find = (alias: string) => app.keyward.db.prisma.integrationConfig.findFirstOrThrow({ where: { alias } });

  /** The body of what the app posted to that request's response_url. */
  async function answerOf(request: Promise<DriverResponse>): Promise<Json> {
    return (await answerTo(app, request)).body as Json;
  }

  async function openFromCommand(userId: string, text: string): Promise<Json> {
    return modalFor(app, await app.driver.command({ userId, text, channelId }));
  }

  /** The notice a refused form or button leaves in its modal. */
  async function noticeIn(request: Promise<DriverResponse>): Promise<string> {
    return textOf(await modalFor(app, await request));
  }

  async function listMessage(userId: string, text = "integrations list"): Promise<Json> {
    const response = await answerTo(app, app.driver.command({ userId, text, channelId }));
    expect(response.violations).toEqual([]);
    return response.body as Json;
  }

  function buttonFor(message: Json, actionId: string, value: string): { blockId: string; button: Button } {
    for (const block of message.blocks as Json[]) {
      const button = ((block.elements as Button[] | undefined) ?? []).find((e) => e.action_id === actionId && e.value === value);
      if (button) return { blockId: String(block.block_id), button };
    }
    throw new Error(`no ${actionId} button for ${value}`);
  }

  async function press(userId: string, message: Json, actionId: string, value: string) {
    const { blockId } = buttonFor(message, actionId, value);
    return app.driver.blockAction({
      userId,
      actionId,
      blockId,
      value,
      channelId,
      messageTs: "1790000000.000100",
      message: { blocks: message.blocks } as never,
    });
  }

  /** A reminder message as the reminder pass posts it: the two buttons carry the configuration id. */
  async function postReminder(value: string): Promise<string> {
    const bot = new WebClient(botToken, { slackApiUrl: app.fake.url });
    const posted = await bot.chat.postMessage({
      channel: channelId,
      text: "github/cortex-github expires in 7 days",
      blocks: [
        { type: "section", block_id: "reminder_text", text: { type: "mrkdwn", text: "*github/cortex-github* expires in 7 days." } },
        {
          type: "actions",
          block_id: "reminder_actions",
          elements: [
            { type: "button", action_id: "keyward.reminder.rotate", text: { type: "plain_text", text: "Rotate now" }, style: "primary", value },
            { type: "button", action_id: "keyward.reminder.snooze", text: { type: "plain_text", text: "Snooze" }, value },
          ],
        },
      ],
    });
    return posted.ts!;
  }

  it("adds a GitHub key under cortex-github from the modal, after answering bad input inline", async () => {
    const view = await openFromCommand(manager, "integrations add");
    expect(view.callback_id).toBe("keyward.integration.add");
    expect(textOf(findBlock(view, "expires_on"))).toContain("Asia/Kathmandu");

    const bad = `${ghToken().slice(0, 10)} ${ghToken()}`;
    typed.push(bad);
    const refused = await app.driver.viewSubmission({
      userId: manager,
      view,
      answers: { integration: { value: "Git Hub" }, alias: { value: "Cortex GitHub!" }, secret: { value: bad } },
    });
    expect(refused.status).toBe(200);
    expect(refused.json).toMatchObject({
      response_action: "errors",
      errors: { integration: expect.any(String), alias: expect.any(String), secret: expect.stringMatching(/spaces/) },
    });
    const secret = ghToken();
    typed.push(secret);
    const past = await app.driver.viewSubmission({
      userId: manager,
      view,
      answers: { integration: { value: "github" }, alias: { value: "cortex-github" }, secret: { value: secret }, expires_on: { value: "2020-01-01" } },
    });
    expect(past.json).toMatchObject({ response_action: "errors", errors: { expires_on: expect.any(String) } });
    expect(await configs()).toHaveLength(0);

    const added = await app.driver.viewSubmission({
      userId: manager,
      view,
      answers: {
        integration: { value: "github" },
        alias: { value: "cortex-github" },
        secret: { value: secret },
        expires_on: { value: "2030-01-31" },
        channel: { value: channelId },
      },
    });
    expect(added.json).toMatchObject({ response_action: "update" });
    expect(textOf(added.json)).toContain("cortex-github");
    expect(textOf(added.json)).toContain(secret.slice(-4));
    const [row] = await configs();
    // The first configuration of an integration becomes its default; the day ends in the adder's zone.
    expect(row).toMatchObject({
      integration: "github",
      alias: "cortex-github",
      last4: secret.slice(-4),
      isDefault: true,
      reminderChannel: channelId,
      createdBy: manager,
    });
    expect(row!.expiresAt!.toISOString()).toBe("2030-01-31T18:14:59.999Z");
    expect((await app.keyward.services.integrations.reveal(adminActor, "github", "cortex-github")).secret).toBe(secret);

    const again = await app.driver.viewSubmission({
      userId: manager,
      view,
      answers: { integration: { value: "github" }, alias: { value: "cortex-github" }, secret: { value: secret } },
    });
    expect(again.json).toMatchObject({ response_action: "errors", errors: { alias: expect.stringMatching(/rotate/) } });
    expect(await configs()).toHaveLength(1);
  });

  it("lists it with its facts and buttons, and resolves an unknown alias to it", async () => {
    const row = await find("cortex-github");
    const message = await listMessage(manager);
    const text = textOf(message);
    expect(text).toContain("cortex-github");
    expect(text).toContain(`…${row.last4}`);
    expect(text).toContain(":star: default");
    expect(text).toContain(`<#${channelId}>`);
    expect(text).toMatch(/<!date\^\d+\^/);
    for (const actionId of ["keyward.integration.open_rotate", "keyward.integration.open_channel", "keyward.integration.delete"])
      buttonFor(message, actionId, row.id);
    expect(textOf(await listMessage(manager, "integrations list github"))).toContain("cortex-github");
    expect(textOf(await listMessage(manager, "integrations list pagerduty"))).toContain("No configurations for pagerduty yet");
    expect(textOf(await listMessage(manager, "integrations list Not_A_Slug"))).toContain("short name");
    const resolved = await app.keyward.services.integrations.resolve(adminActor, "github", "no-such-alias");
    expect(resolved).toMatchObject({ id: row.id, alias: "cortex-github", resolvedBy: "default" });
  });

  it("rotates in place from a reminder's Rotate now, and follows up in the reminder's thread", async () => {
    const before = await find("cortex-github");
    const ts = await postReminder(before.id);
    const pressed = await app.driver.blockAction({
      userId: manager,
      actionId: "keyward.reminder.rotate",
      blockId: "reminder_actions",
      value: before.id,
      channelId,
      messageTs: ts,
    });
    const view = await modalFor(app, pressed);
    expect(view.callback_id).toBe("keyward.integration.rotate");
    expect(textOf(view)).toContain(`…${before.last4}`);
    expect(JSON.parse(String(view.private_metadata))).toMatchObject({ id: before.id, ch: channelId, ts });

    const short = await app.driver.viewSubmission({ userId: manager, view, answers: { secret: { value: "ab" } } });
    expect(short.json).toMatchObject({ response_action: "errors", errors: { secret: expect.any(String) } });
    const secret = ghToken();
    typed.push(secret);
    const since = app.fake.mark();
    const rotated = await app.driver.viewSubmission({ userId: manager, view, answers: { secret: { value: secret }, expires_on: { value: "2031-06-30" } } });
    expect(rotated.json).toMatchObject({ response_action: "update" });

    const after = await find("cortex-github");
    expect(after).toMatchObject({
      id: before.id,
      alias: "cortex-github",
      isDefault: true,
      last4: secret.slice(-4),
      reminderChannel: channelId,
      rotatedBy: manager,
    });
    expect(after.expiresAt!.toISOString()).toBe("2031-06-30T18:14:59.999Z");
    expect((await app.keyward.services.integrations.reveal(adminActor, "github", "cortex-github")).secret).toBe(secret);

    const followUp = await app.fake.waitForCall("chat.postMessage", () => true, { since });
    expect(followUp.response.ok).toBe(true);
    expect(followUp.args).toMatchObject({ channel: channelId, thread_ts: ts });
    expect(followUp.args.text).toBe(`<@${manager}> rotated github/cortex-github (…${secret.slice(-4)}). Step 4: watch the integration for errors.`);
  });

  it("snoozes a reminder for a day and says when the next one comes", async () => {
    const config = await find("cortex-github");
    const ts = await postReminder(config.id);
    const answer = await answerOf(
      app.driver.blockAction({
        userId: manager,
        actionId: "keyward.reminder.snooze",
        blockId: "reminder_actions",
        value: config.id,
        channelId,
        messageTs: ts,
      }),
    );
    expect(answer).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(textOf(answer)).toContain("Snoozed");
    expect(textOf(answer)).toMatch(/no sooner than <!date\^\d+\^/);
    const row = await find("cortex-github");
    expect(row.nextReminderAt!.getTime()).toBeGreaterThanOrEqual(Date.now() + 23.9 * 3600_000);
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "integration.snooze", actorId: manager } })).toBe(1);

    // An API-key reminder's Snooze goes to the key (test/slack/api-key-reminders.e2e.test.ts); this one names no key.
    const noKey = app.driver.blockAction({
      userId: manager,
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value: "apikey.0190a000-0000-7000-8000-000000000001",
      channelId,
      messageTs: ts,
    });
    expect(textOf(await answerOf(noKey))).toContain("The API key was not found");
  });

  it("opens the API-key roll form from an API-key reminder's Rotate now", async () => {
    const { key } = await app.keyward.services.keys.create(adminActor, { name: "reminded-key", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const ts = await postReminder(`apikey.${key.id}`);
    const pressed = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.reminder.rotate",
      blockId: "reminder_actions",
      value: `apikey.${key.id}`,
      channelId,
      messageTs: ts,
    });
    const view = await modalFor(app, pressed);
    expect(view.callback_id).toBe("keyward.key.roll");
    expect(textOf(view)).toContain("reminded-key");
  });

  it("moves the default with Make default and the command, and sets the reminder channel", async () => {
    const backupSecret = ghToken();
    typed.push(backupSecret);
    await app.keyward.services.integrations.add(adminActor, "github", { alias: "backup-github", secret: backupSecret });
    const backup = await find("backup-github");
    expect(backup.isDefault).toBeFalsy();

    const message = await listMessage(manager);
    expect(textOf(await answerOf(press(manager, message, "keyward.integration.set_default", backup.id)))).toContain("is now the default for github");
    expect((await find("backup-github")).isDefault).toBe(true);
    expect((await find("cortex-github")).isDefault).toBeFalsy();
    expect((await app.keyward.services.integrations.resolve(adminActor, "github", "unknown")).alias).toBe("backup-github");

    expect(textOf(await answerOf(app.driver.command({ userId: manager, text: "integrations default github cortex-github", channelId })))).toContain(
      "cortex-github",
    );
    expect((await find("cortex-github")).isDefault).toBe(true);

    const form = await modalFor(app, await press(manager, message, "keyward.integration.open_channel", backup.id));
    expect(form.callback_id).toBe("keyward.integration.channel");
    const saved = await app.driver.viewSubmission({ userId: manager, view: form, answers: { channel: { value: otherChannel } } });
    expect(saved.json).toMatchObject({ response_action: "update" });
    expect(textOf(saved.json)).toContain(`<#${otherChannel}>`);
    expect((await find("backup-github")).reminderChannel).toBe(otherChannel);

    const byCommand = await openFromCommand(manager, "integrations channel github backup-github");
    expect((findBlock(byCommand, "channel").element as Json).initial_conversation).toBe(otherChannel);
    const cleared = await app.driver.viewSubmission({ userId: manager, view: byCommand, answers: { channel: { value: null } } });
    expect(cleared.json).toMatchObject({ response_action: "update" });
    expect((await find("backup-github")).reminderChannel).toBeNull();
  });

  it("refuses a Viewer every change, and writes nothing", async () => {
    const before = JSON.stringify(await configs());
    const auditBefore = await app.keyward.db.prisma.auditEvent.count();
    const cortex = await find("cortex-github");

    const seen = await listMessage(viewer);
    expect(textOf(seen)).toContain("cortex-github");
    expect(textOf(seen)).not.toContain("keyward.integration.delete");
    expect(textOf(seen)).not.toContain("keyward.integration.open_add");

    expect(await noticeIn(app.driver.command({ userId: viewer, text: "integrations add", channelId }))).toContain(
      "You do not have permission to edit integrations",
    );

    // Forged submissions of forms a Manager opened, and buttons a Viewer was never shown.
    const addForm = await openFromCommand(manager, "integrations add");
    const secret = ghToken();
    typed.push(secret);
    const forgedAdd = await app.driver.viewSubmission({
      userId: viewer,
      view: addForm,
      answers: { integration: { value: "github" }, alias: { value: "sneaky" }, secret: { value: secret } },
    });
    expect(textOf(forgedAdd.json)).toContain("You do not have permission");
    const rotateForm = await openFromCommand(manager, "integrations rotate github cortex-github");
    const forgedRotate = await app.driver.viewSubmission({ userId: viewer, view: rotateForm, answers: { secret: { value: secret } } });
    expect(textOf(forgedRotate.json)).toContain("You do not have permission");
    const channelForm = await openFromCommand(manager, "integrations channel github cortex-github");
    const forgedChannel = await app.driver.viewSubmission({ userId: viewer, view: channelForm, answers: { channel: { value: otherChannel } } });
    expect(textOf(forgedChannel.json)).toContain("You do not have permission");

    const managerList = await listMessage(manager);
    expect(textOf(await answerOf(press(viewer, managerList, "keyward.integration.delete", cortex.id)))).toContain("You do not have permission");
    const backup = await find("backup-github");
    expect(textOf(await answerOf(press(viewer, managerList, "keyward.integration.set_default", backup.id)))).toContain("You do not have permission");
    const typedByViewer = (text: string) => answerOf(app.driver.command({ userId: viewer, text, channelId }));
    expect(textOf(await typedByViewer("integrations delete github cortex-github"))).toContain("You do not have permission");
    expect(textOf(await typedByViewer("integrations default github backup-github"))).toContain("You do not have permission");
    const ts = await postReminder(cortex.id);
    const reminderButton = (actionId: string) =>
      app.driver.blockAction({ userId: viewer, actionId, blockId: "reminder_actions", value: cortex.id, channelId, messageTs: ts });
    expect(textOf(await answerOf(reminderButton("keyward.reminder.snooze")))).toContain("You do not have permission");
    expect(await noticeIn(reminderButton("keyward.reminder.rotate"))).toContain("You do not have permission to edit integrations");

    expect(JSON.stringify(await configs())).toBe(before);
    expect(await app.keyward.db.prisma.auditEvent.count()).toBe(auditBefore);
  });

  it("deletes only after confirmation, from the command and from a list button", async () => {
    const backup = await find("backup-github");
    const question = await answerOf(app.driver.command({ userId: manager, text: "integrations delete github backup-github", channelId }));
    expect(textOf(question)).toContain("cannot be undone");
    expect(await configs()).toHaveLength(2);
    const done = await answerOf(press(manager, question, "keyward.integration.delete", backup.id));
    expect(done).toMatchObject({ replace_original: true });
    expect(textOf(done)).toContain("Deleted *github/backup-github*");
    expect((await configs()).map((c) => c.alias)).toEqual(["cortex-github"]);

    const spare = ghToken();
    typed.push(spare);
    await app.keyward.services.integrations.add(adminActor, "pagerduty", { alias: "oncall", secret: spare });
    const oncall = await find("oncall");
    const list = await listMessage(manager);
    const { button } = buttonFor(list, "keyward.integration.delete", oncall.id);
    expect(textOf(button)).toContain("confirm");
    const deleted = textOf(await answerOf(press(manager, list, "keyward.integration.delete", oncall.id)));
    expect(deleted).toContain("Deleted *pagerduty/oncall*");
    expect(deleted).toContain("pagerduty has no default now");
    expect((await configs()).map((c) => c.alias)).toEqual(["cortex-github"]);
  });

  it("pages through many configurations, and shows the first page on the Home tab within 100 blocks", async () => {
    for (let i = 0; i < 40; i++)
      await app.keyward.services.integrations.add(adminActor, "datadog", { alias: `dd-${String(i).padStart(2, "0")}`, secret: ghToken() });
    for (let i = 0; i < 20; i++)
      await app.keyward.services.keys.create(adminActor, { name: `home-key-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const seen = new Set<string>();
    let page = await listMessage(admin, "integrations list datadog");
    for (let n = 0; n < 10; n++) {
      expect((page.blocks as unknown[]).length).toBeLessThanOrEqual(50);
      for (const [, alias] of textOf(page).matchAll(/`(dd-\d{2})`/g)) {
        expect(seen.has(alias!)).toBe(false);
        seen.add(alias!);
      }
      const nav = (page.blocks as Json[]).find((b) => b.block_id === "integrations_nav");
      const next = (nav?.elements as Button[] | undefined)?.find((e) => e.action_id === "keyward.integration.list_next");
      if (!next) break;
      const pressed = app.driver.blockAction({
        userId: admin,
        actionId: next.action_id,
        blockId: "integrations_nav",
        value: next.value,
        channelId,
        messageTs: "1790000000.000100",
        message: { blocks: page.blocks } as never,
      });
      const response = await answerTo(app, pressed);
      expect(response.violations).toEqual([]);
      page = response.body as Json;
    }
    expect(seen.size).toBe(40);

    const published = (since: number) => app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
    const opening = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOMEINT" } as never);
    const call = await published(opening);
    expect(call.response.ok).toBe(true);
    expect(call.violations).toEqual([]);
    const home = call.args.view as Json;
    expect((home.blocks as unknown[]).length).toBeLessThanOrEqual(100);
    expect(textOf(home)).toContain("Integrations");
    expect(textOf(home)).toContain("keyward.integration.open_add");
    expect(textOf(home)).toContain("keyward.home.next");

    // Rotate from the Home tab: the tab is published again after the change.
    const cortex = await find("cortex-github");
    const homeView = app.fake.getHomeView(admin)!;
    const block = (homeView.blocks as Json[]).find((b) => textOf(b).includes(`"value":"${cortex.id}"`) && b.type === "actions")!;
    const pressed = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.integration.open_rotate",
      blockId: String(block.block_id),
      value: cortex.id,
      view: homeView,
    });
    const form = await modalFor(app, pressed);
    const secret = ghToken();
    typed.push(secret);
    const rotating = app.fake.mark();
    const rotated = await app.driver.viewSubmission({ userId: admin, view: form, answers: { secret: { value: secret } } });
    expect(rotated.json).toMatchObject({ response_action: "update" });
    await published(rotating);
    expect((await find("cortex-github")).expiresAt).toBeNull();
  }, 60_000);

  it("never lets a typed secret reach Slack, a response_url, the logs or the database", async () => {
    expect(typed.length).toBeGreaterThanOrEqual(6);
    const calls = JSON.stringify(app.fake.calls);
    const responses = JSON.stringify(app.driver.responses);
    const logs = app.logs.join("\n");
    const dump = await app.dump();
    for (const secret of typed) {
      for (const part of [secret, secret.slice(4, 24)]) {
        expect(calls).not.toContain(part);
        expect(responses).not.toContain(part);
        expect(logs).not.toContain(part);
        expect(dump).not.toContain(part);
      }
    }
  });
});
