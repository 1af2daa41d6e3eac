import { randomBytes } from "node:crypto";
import type { ModalView } from "@slack/types";
import { describe, expect, it } from "vitest";
import { encodeSecretFormMetadata } from "../../src/slack/wire/form-metadata.ts";
import { rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { Mark } from "../support/waits.ts";
import { expectSecretOnlyDeliveredOnce, findBlock, modalFor, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;
type Element = { action_id: string; value?: string; confirm?: Json };

/** Issue 10 items 2 and 7: what the Home tab answers, end to end through the receiver. */
describe("the Home tab through the real receiver", () => {
  const admin = "UHOMEADM1";
  const viewer = "UHOMEVIEW";
  const { app, admin: adminActor } = useSlackApp({
    people: [
      { id: admin, isAdmin: true },
      { id: viewer, role: "Viewer" },
    ],
  });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  /** Opens the Home tab as Slack does and returns the published view. */
  async function openHome(userId: string): Promise<Json> {
    const since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: userId, tab: "home", channel: "D0HOMETAB" } as never);
    const call = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === userId, { since });
    expect(call.response.ok).toBe(true);
    return app.fake.getHomeView(userId)!;
  }

  /** The button with this action (and value) on a view, and the block it sits in. */
  function buttonOn(view: Json, actionId: string, value?: string): { blockId: string; element: Element } {
    for (const block of view.blocks as Json[]) {
      const element = ((block.elements as Element[] | undefined) ?? []).find((e) => e.action_id === actionId && (value === undefined || e.value === value));
      if (element) return { blockId: String(block.block_id), element };
    }
    throw new Error(`no ${actionId} button${value ? ` for ${value}` : ""}`);
  }

  /** Presses a Home tab button; returns the views.publish that answered it, and marks from before the press. */
  async function pressOnHome(userId: string, home: Json, actionId: string, value: string, blockId?: string) {
    const marks = { calls: app.fake.mark(), responses: app.driver.mark() };
    const pressed = await app.driver.blockAction({ userId, actionId, blockId: blockId ?? buttonOn(home, actionId, value).blockId, value, view: home as never });
    expect(pressed.status).toBe(200);
    const published = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === userId, { since: marks.calls });
    expect(published.response.ok).toBe(true);
    expect(published.violations).toEqual([]);
    return { published, view: published.args.view as Json, marks };
  }

  /** No modal was opened or pushed for the press, and no message posted: the tab itself answered. */
  async function expectNoSecondWindow(marks: { calls: Mark; responses: Mark }): Promise<void> {
    // Asked once the app has finished the press: nothing it did not do by then comes of it later.
    await app.idle();
    expect(app.fake.callsSince(marks.calls, "views.open")).toHaveLength(0);
    expect(app.fake.callsSince(marks.calls, "views.push")).toHaveLength(0);
    expect(app.driver.responsesTo(() => true, marks.responses)).toHaveLength(0);
  }

  const statusOf = (view: Json) => (view.blocks as Json[])[1] as { block_id: string; text: { text: string } };
  const indexOf = (call: RecordedCall) => app.fake.calls.indexOf(call);

  /** Creates a key through the create form opened from the Home tab. */
  async function createFromHome(name: string) {
    const home = await openHome(admin);
    const form = await modalFor(
      app,
      await app.driver.blockAction({ userId: admin, actionId: "keyward.key.open_create", blockId: "home_actions", value: "create", view: home as never }),
    );
    expect(form.callback_id).toBe("keyward.key.create");
    const role = (findBlock(form, "role").element as { options: Array<{ value: string; text: { text: string } }> }).options.find(
      (o) => o.text.text === "Viewer",
    )!;
    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: admin, view: form, answers: { name: { value: name }, role: { value: role.value } } });
    expect(submitted.status).toBe(200);
    return { submitted, since };
  }

  it("a create from the Home tab answers with a modal saying where the secret is, then republishes Home with the new key", async () => {
    app.fake.reset();
    const { submitted, since } = await createFromHome("from-home");
    const delivery = app.fake.callsSince(since, "chat.postEphemeral").find((c) => secretIn(c) && c.response.ok)!;
    const dm = String(delivery.args.channel);
    expect(dm).toMatch(/^D/);
    const secret = secretIn(delivery)!;
    expect(await verifyWhenActive(app, secret)).toMatchObject({ valid: true, key: { name: "from-home" } });

    const answer = submitted.json as { response_action: string; view: Json };
    expect(answer.response_action).toBe("update");
    expect(blockKitViolations("modal", answer.view)).toEqual([]);
    expect(answer.view).toMatchObject({ title: { text: "Key ready" } });
    const said = textOf(answer.view);
    expect(said).toContain("*from-home*");
    expect(said).toContain("direct messages with keyward");
    expect(said).toContain(`<https://slack.com/app_redirect?app=${app.fake.appId}&team=${app.fake.teamId}|Open that conversation>`);
    expect(said).toContain("gone once Slack reloads");
    expect(said).not.toContain(secret);

    // Then the tab is published again, after the delivery, with the new key listed and a status line on top.
    const published = await app.fake.waitForCall("views.publish", () => true, { since });
    expect(published.args.user_id).toBe(admin);
    expect(published.violations).toEqual([]);
    expect(indexOf(published)).toBeGreaterThan(indexOf(delivery));
    const home = published.args.view as Json;
    expect(statusOf(home).block_id).toBe("home_status");
    expect(statusOf(home).text.text).toContain(":white_check_mark: Created *from-home*");
    expect((home.blocks as Json[]).some((b) => String(b.block_id).startsWith("key_") && textOf(b).includes("*from-home*"))).toBe(true);

    await expectSecretOnlyDeliveredOnce(app, secret);
    expect(textOf(submitted.json)).not.toContain(secret);
  });

  it("a create from the Home tab that no route can deliver: the key is removed again, the modal and the tab say so", async () => {
    app.fake.reset();
    // From the Home tab the DM is the only route: it fails for the delivery and for the notice after it.
    app.fake.failNext("conversations.open", { error: "user_disabled", times: 2 });
    const { submitted, since } = await createFromHome("home-lost");
    expect(submitted.json).toMatchObject({ response_action: "update", view: { title: { text: "Not created" } } });
    expect(textOf(submitted.json)).toContain("removed again");
    const rows = await app.keyward.db.prisma.apiKey.findMany({ where: { name: "home-lost" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deletedAt).not.toBeNull();
    const published = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
    const home = published.args.view as Json;
    expect(statusOf(home).text.text).toContain(":no_entry:");
    expect(statusOf(home).text.text).toContain("removed again");
    expect((home.blocks as Json[]).some((b) => String(b.block_id).startsWith("key_") && textOf(b).includes("*home-lost*"))).toBe(false);
    // The DM never opened, so nothing sent to Slack carried the secret: not the modal, not the tab.
    expect(textOf(app.fake.calls.map((c) => c.args))).not.toMatch(/kw_[0-9A-Za-z]{40}/);
    expect(textOf(submitted.json)).not.toMatch(/kw_[0-9A-Za-z]{40}/);
  });

  it("a roll whose form was opened from the Home tab says where the replacement is and republishes Home", async () => {
    app.fake.reset();
    const { key, secret: old } = await newKey("home-roll");
    const view = {
      id: "VHOMEROLL1",
      ...rollKeyModal({
        ...key,
        defaultDay: "2030-06-01",
        lifetimeDays: 90,
        timeZone: "America/New_York",
        privateMetadata: encodeSecretFormMetadata({ home: true }, { keyId: key.id }),
      }),
    } as ModalView & { id: string };
    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: admin, view: view as never, answers: { grace: { value: "24" } } });
    const answer = submitted.json as { response_action: string; view: Json };
    expect(answer).toMatchObject({ response_action: "update", view: { title: { text: "Key rolled" } } });
    const delivery = app.fake.callsSince(since, "chat.postEphemeral").find((c) => secretIn(c) && c.response.ok)!;
    expect(textOf(answer.view)).toContain(`app_redirect?app=${app.fake.appId}`);
    expect(textOf(answer.view)).toContain("keeps working until");
    const secret = secretIn(delivery)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    expect((await app.keyward.services.keys.verify(old)).valid).toBe(true);
    const published = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
    expect(statusOf(published.args.view as Json).text.text).toContain("Rolled *home-roll*");
    await expectSecretOnlyDeliveredOnce(app, secret);
  });

  /** The row menu of a key on a Home view, and the value of one of its options. */
  function menuOf(view: Json, keyName: string): { blockId: string; value: (label: string) => string } {
    const block = (view.blocks as Json[]).find((b) => (b.accessory as Json | undefined)?.type === "overflow" && textOf(b).includes(`*${keyName}*`));
    if (!block) throw new Error(`no row menu for ${keyName}`);
    const options = (block.accessory as { options: Array<{ text: { text: string }; value: string }> }).options;
    return { blockId: String(block.block_id), value: (label) => options.find((o) => o.text.text === label)!.value };
  }

  it("Delete on the Home tab: asked in the row first, done on the click, answered by the republished tab with a status line", async () => {
    const { key, secret } = await newKey("home-delete-me");
    const home = await openHome(admin);
    const menu = menuOf(home, "home-delete-me");
    // Choosing Delete only asks, in the row: nothing is deleted yet, and no window opens.
    const asked = await pressOnHome(admin, home, "keyward.key.row_menu", menu.value("Delete"), menu.blockId);
    expect(textOf(findBlock(asked.view, "delete_question"))).toContain("home-delete-me");
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
    await expectNoSecondWindow(asked.marks);

    const question = buttonOn(asked.view, "keyward.key.ask_delete");
    const { view, marks } = await pressOnHome(admin, asked.view, "keyward.key.ask_delete", question.element.value!, question.blockId);
    expect(statusOf(view)).toMatchObject({
      block_id: "home_status",
      text: { text: `:white_check_mark: Deleted home-delete-me …${key.last4}. It is refused from now on.` },
    });
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
    expect((view.blocks as Json[]).some((b) => textOf(b).includes("*home-delete-me*"))).toBe(false);
    await expectNoSecondWindow(marks);
  });

  it("a refused Delete on the Home tab says why on the tab and deletes nothing", async () => {
    const { key, secret } = await newKey("home-guarded");
    const home = await openHome(admin);
    const menu = menuOf(home, "home-guarded");
    // A viewer's click carrying the key's row value (a forged or stale control).
    const { view, marks } = await pressOnHome(viewer, home, "keyward.key.row_menu", menu.value("Delete"), menu.blockId);
    expect(statusOf(view).text.text).toContain(":no_entry: You do not have permission");
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
    await expectNoSecondWindow(marks);
    // The admin's confirmation of a key deleted meanwhile: refused on the tab too.
    const asked = await pressOnHome(admin, home, "keyward.key.row_menu", menu.value("Delete"), menu.blockId);
    await app.keyward.services.keys.delete(adminActor, key.id);
    const question = buttonOn(asked.view, "keyward.key.ask_delete");
    const again = await pressOnHome(admin, asked.view, "keyward.key.ask_delete", question.element.value!, question.blockId);
    expect(statusOf(again.view).text.text).toMatch(/^:no_entry: /);
    await expectNoSecondWindow(again.marks);
  });

  it("Make default on the Home tab: confirmed on the button, then the tab's status line says it is the default; no modal", async () => {
    const secrets = [`ghp_${randomBytes(18).toString("hex")}`, `ghp_${randomBytes(18).toString("hex")}`];
    const first = await app.keyward.services.integrations.add(adminActor, "github", { alias: "home-gh-a", secret: secrets[0]! });
    const second = await app.keyward.services.integrations.add(adminActor, "github", { alias: "home-gh-b", secret: secrets[1]! });
    expect([first.isDefault, second.isDefault]).toEqual([true, false]);
    const home = await openHome(admin);
    const { element } = buttonOn(home, "keyward.integration.set_default", second.id);
    expect(element.confirm).toMatchObject({ title: { text: "Make this the default?" }, confirm: { text: "Make default" } });
    expect(textOf(element.confirm)).toContain("github/home-gh-b");
    expect(element.confirm!.style).toBeUndefined();

    const { view, marks } = await pressOnHome(admin, home, "keyward.integration.set_default", second.id);
    expect(statusOf(view).text.text).toBe(`:white_check_mark: *github/home-gh-b* (\`…${second.last4}\`) is now the default for github.`);
    const rows = await app.keyward.db.prisma.integrationConfig.findMany({ where: { alias: { in: ["home-gh-a", "home-gh-b"] } }, orderBy: { alias: "asc" } });
    expect(rows.map((r) => r.isDefault === true)).toEqual([false, true]);
    await expectNoSecondWindow(marks);

    // Delete of a configuration on the tab answers the same way.
    const deleted = await pressOnHome(admin, view, "keyward.integration.delete", first.id);
    expect(statusOf(deleted.view).text.text).toContain(":white_check_mark: Deleted *github/home-gh-a*");
    expect(await app.keyward.db.prisma.integrationConfig.count({ where: { alias: "home-gh-a" } })).toBe(0);
    await expectNoSecondWindow(deleted.marks);
    for (const typed of secrets) expect(textOf(app.fake.calls)).not.toContain(typed);
  });

  it("a Home page that cannot be shown says why on the tab, with a button that tries again", async () => {
    const home = await openHome(admin);
    const { view, marks } = await pressOnHome(admin, home, "keyward.home.next", "2:not-a-cursor", "keys_nav");
    expect(statusOf(view).text.text).toBe(":no_entry: The cursor is not valid.");
    const retry = buttonOn(view, "keyward.home.first");
    await expectNoSecondWindow(marks);
    const again = await pressOnHome(admin, view, retry.element.action_id, retry.element.value!, retry.blockId);
    expect(textOf(again.view)).toContain("API keys");
    expect(textOf(again.view)).not.toContain("home_status");
  });

  it("a Home-tab button whose service call fails, on a tab Slack will not republish, tells the person in a notice", async () => {
    const home = await openHome(admin);
    // The cursor is refused while the page is built, so the short tab with the reason is published: Slack refuses that too.
    app.fake.failNext("views.publish", { error: "internal_error" });
    const published = app.fake.callsTo("views.publish").length;
    const opened = app.fake.callsTo("views.open").length;
    const pressed = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.home.next",
      blockId: "keys_nav",
      value: "2:not-a-cursor",
      view: home as never,
    });
    expect(pressed.status).toBe(200);
    const [notice] = (await app.fake.waitForCalls("views.open", opened + 1)).slice(opened);
    const publishes = app.fake.callsTo("views.publish").slice(published);
    expect(publishes.map((c) => c.response.ok)).toEqual([false]);
    expect(notice!.response.ok).toBe(true);
    expect(notice!.violations).toEqual([]);
    expect(notice!.args.view).toMatchObject({ type: "modal", callback_id: "keyward.notice" });
    expect(textOf(notice!.args.view)).toContain("The cursor is not valid.");
  });
});
