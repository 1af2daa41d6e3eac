// Issue 10 items 4 and 6 through the real receiver: what a program did over REST is shown by the
// key's name and last 4 (even once the key is deleted), never by `key:<uuid>`; list texts summarise;
// a person without a role is told who the Admins are; the reminder-channel picker starts in the
// channel the command was typed in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { expectEveryMessageHasText, expectNoRawKeyIds, findBlock, modalAfter, rawKeyId, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

describe("names, not ids, and texts that summarise, through the real receiver", () => {
  let app: TestApp;
  let admin: string;
  let assignedAdmin: string;
  let nobody: string;
  let adminActor: Actor;
  let bot: { id: string; last4: string; actor: Actor };

  beforeAll(async () => {
    app = await startTestApp({ env: { KEYWARD_ADMINS: "UCONFIGADM" } });
    admin = app.addUser({ id: "UADMIN10", isAdmin: true });
    assignedAdmin = app.addUser({ id: "UASSIGN10" });
    nobody = app.addUser({ id: "UNOBODY10" });
    adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(adminActor, assignedAdmin, "Admin");
    // A service key that acts over REST: what it does is recorded as done by `key:<its id>`.
    const { key, secret } = await app.keyward.services.keys.create(adminActor, {
      name: "deploy-bot",
      role: "Manager",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
    const auth = await app.keyward.services.access.actorForKey(secret);
    if (!auth.ok) throw new Error(`the bot key does not work: ${auth.reason}`);
    bot = { id: key.id, last4: key.last4, actor: auth.actor };
    expect(bot.actor.userId).toMatch(rawKeyId);
    await app.keyward.services.keys.create(bot.actor, { name: "made-by-bot", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    await app.keyward.services.integrations.add(bot.actor, "github", { alias: "bot-github", secret: `ghp_${"b".repeat(36)}` });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function answer(userId: string, text: string): Promise<Json> {
    const count = app.driver.responses.length;
    await app.driver.command({ userId, text, channelId });
    return (await app.driver.waitForResponses(count + 1)).at(-1)!.body as Json;
  }

  it("shows the key a program used by its name and last 4 in the key list, the integration list and the audit log", async () => {
    const list = await answer(admin, "list");
    expect(textOf(list)).toContain(`Created by deploy-bot …${bot.last4}`);
    // The top-level text summarises the page: two keys, one page.
    expect(list.text).toBe("2 keys, page 1 of 1");
    const integrations = await answer(admin, "integrations list");
    expect(textOf(integrations)).toContain(`Added by deploy-bot …${bot.last4}`);
    expect(integrations.text).toBe("1 configuration, page 1 of 1");
    const audit = await answer(admin, "audit 5");
    expect(textOf(audit)).toContain(`deploy-bot …${bot.last4} created key *made-by-bot*`);
    expect(textOf(audit)).toContain(`deploy-bot …${bot.last4} added *github/bot-github*`);
    // Four events so far (an assignment, two keys, one configuration); the newest in words.
    expect(audit.text).toBe(`The latest 4 audit events; newest: deploy-bot …${bot.last4} added github/bot-github (api)`);
  });

  it("still names the key once it is deleted, on the Home tab too", async () => {
    await app.keyward.services.keys.delete(adminActor, bot.id);
    const list = await answer(admin, "list");
    expect(textOf(list)).toContain(`Created by deploy-bot …${bot.last4} (deleted)`);
    expect(list.text).toBe("1 key, page 1 of 1");
    expect(textOf(await answer(admin, "audit 3"))).toContain(`<@${admin}> deleted key *deploy-bot*`);
    const published = app.fake.callsTo("views.publish").length + 1;
    await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOME10" } as never);
    const [home] = (await app.fake.waitForCalls("views.publish", published)).slice(-1);
    expect(home!.violations).toEqual([]);
    expect(textOf(home!.args.view)).toContain(`Created by deploy-bot …${bot.last4} (deleted)`);
    expect(textOf(home!.args.view)).toContain(`Added by deploy-bot …${bot.last4} (deleted)`);
  });

  it("tells a person without a role who the Admins are, in help and on the Home tab", async () => {
    const help = await answer(nobody, "help");
    // Assigned Admins first, then KEYWARD_ADMINS, then the Slack admins keyward has seen.
    expect(textOf(help)).toContain(`ask a keyward Admin to assign you one: <@${assignedAdmin}>, <@UCONFIGADM> or <@${admin}>.`);
    expect(String(help.text)).toContain(`<@${assignedAdmin}>`);
    const published = app.fake.callsTo("views.publish").length + 1;
    await app.driver.event({ type: "app_home_opened", user: nobody, tab: "home", channel: "D0HOME11" } as never);
    const [home] = (await app.fake.waitForCalls("views.publish", published)).slice(-1);
    expect(textOf(home!.args.view)).toContain(`<@${assignedAdmin}>, <@UCONFIGADM> or <@${admin}>`);
  });

  it("starts the reminder-channel picker in the channel the command was typed in", async () => {
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: admin, text: "integrations add", channelId });
    const view = await modalAfter(app, opened);
    expect((findBlock(view, "channel").element as Json).initial_conversation).toBe(channelId);
    // Typed in a DM, where no reminder can go: the picker starts empty.
    const fromDm = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: admin, text: "integrations add", channelId: "D0DMCHAN1" });
    const dmView = await modalAfter(app, fromDm);
    expect((findBlock(dmView, "channel").element as Json).initial_conversation).toBeUndefined();
  });

  it("sent Slack no key id and a text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });
});
