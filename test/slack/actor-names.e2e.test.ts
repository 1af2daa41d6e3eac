// Issue 10 items 4 and 6 through the real receiver: what a program did over REST is shown by the
// key's name and last 4 (even once the key is deleted), never by `key:<uuid>`; list texts summarise;
// a person without a role is told who the Admins are; the reminder-channel picker starts in the
// channel the command was typed in.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { answerTo, expectEveryMessageHasText, expectNoRawKeyIds, findBlock, modalFor, rawKeyId, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

describe("names, not ids, and texts that summarise, through the real receiver", () => {
  const admin = "UADMIN10";
  const assignedAdmin = "UASSIGN10";
  const nobody = "UNOBODY10";
  let bot: { id: string; last4: string; actor: Actor };
  const { app, admin: adminActor } = useSlackApp({
    env: { KEYWARD_ADMINS: "UCONFIGADM" },
    people: [{ id: admin, isAdmin: true }, { id: assignedAdmin, role: "Admin" }, { id: nobody }],
  });

  beforeAll(async () => {
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

  async function answer(userId: string, text: string): Promise<Json> {
    return (await answerTo(app, app.driver.command({ userId, text, channelId }))).body as Json;
  }

  /** `userId`'s Home tab as the app publishes it on app_home_opened. */
  async function homeOf(userId: string, channel: string): Promise<RecordedCall> {
    const since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: userId, tab: "home", channel } as never);
    return app.fake.waitForCall("views.publish", (c) => c.args.user_id === userId, { since });
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
    const home = await homeOf(admin, "D0HOME10");
    expect(home.violations).toEqual([]);
    expect(textOf(home.args.view)).toContain(`Created by deploy-bot …${bot.last4} (deleted)`);
    expect(textOf(home.args.view)).toContain(`Added by deploy-bot …${bot.last4} (deleted)`);
  });

  it("tells a person without a role who the Admins are, in help and on the Home tab", async () => {
    const help = await answer(nobody, "help");
    // Assigned Admins first, then KEYWARD_ADMINS, then the Slack admins keyward has seen.
    expect(textOf(help)).toContain(`ask a keyward Admin to assign you one: <@${assignedAdmin}>, <@UCONFIGADM> or <@${admin}>.`);
    expect(String(help.text)).toContain(`<@${assignedAdmin}>`);
    const home = await homeOf(nobody, "D0HOME11");
    expect(textOf(home.args.view)).toContain(`<@${assignedAdmin}>, <@UCONFIGADM> or <@${admin}>`);
  });

  it("starts the reminder-channel picker in the channel the command was typed in", async () => {
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "integrations add", channelId }));
    expect((findBlock(view, "channel").element as Json).initial_conversation).toBe(channelId);
    // Typed in a DM, where no reminder can go: the picker starts empty.
    const dmView = await modalFor(app, await app.driver.command({ userId: admin, text: "integrations add", channelId: "D0DMCHAN1" }));
    expect((findBlock(dmView, "channel").element as Json).initial_conversation).toBeUndefined();
  });

  it("sent Slack no key id and a text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });
});
