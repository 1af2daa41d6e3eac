import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { CollectedResponse, DriverResponse } from "../support/slack-driver.ts";
import { modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;
const messageTs = "1790000000.000100";

describe("key list rows act in the list they are in, through the real receiver", () => {
  const [admin, viewer] = ["UADMINLST", "UVIEWLST1"];
  const { app, admin: adminActor } = useSlackApp({
    people: [
      { id: admin, isOwner: true },
      { id: viewer, role: "Viewer" },
    ],
  });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  /** Presses something in a list message; answers with what the app posted next, which must be to that press's own response_url. */
  async function press(
    userId: string,
    message: Json,
    actionId: string,
    blockId: string,
    value: string,
  ): Promise<{ sent: DriverResponse; answer: CollectedResponse }> {
    const since = app.driver.mark();
    const sent = await app.driver.blockAction({ userId, actionId, blockId, value, messageTs, message: { blocks: message.blocks } as never, channelId });
    expect(sent.status).toBe(200);
    const answer = await app.driver.waitForResponse(() => true, { since });
    expect(answer.url).toBe(sent.sent.response_url);
    expect(answer.violations).toEqual([]);
    return { sent, answer };
  }

  async function command(userId: string, text: string): Promise<Json> {
    const ack = await app.driver.command({ userId, text, channelId });
    return (await app.driver.waitForResponse(ack)).body as Json;
  }

  /** The list page (walking Next from page 1) whose rows include one matching `row`. */
  async function pageWith(userId: string, row: RegExp): Promise<Json> {
    let page = await command(userId, "list");
    for (let n = 0; n < 20; n++) {
      if (rows(page).some((r) => row.test(r.text))) return page;
      const next = ((page.blocks as Json[]).find((b) => b.block_id === "keys_nav")?.elements as Json[] | undefined)?.find(
        (e) => e.action_id === "keyward.key.list_next",
      );
      if (!next) break;
      page = (await press(userId, page, "keyward.key.list_next", "keys_nav", next.value as string)).answer.body as Json;
    }
    throw new Error(`no list page has a row matching ${row}`);
  }

  function rows(message: Json): Array<{ blockId: string; text: string; accessory?: Json }> {
    return (message.blocks as Json[])
      .filter((b) => /^key_\d+$/.test(String(b.block_id)))
      .map((b) => ({ blockId: b.block_id as string, text: (b.text as { text: string }).text, accessory: b.accessory as Json | undefined }));
  }

  function rowOf(message: Json, name: string) {
    const row = rows(message).find((r) => r.text.startsWith(`*${name}*`));
    if (!row) throw new Error(`no row for ${name}`);
    return row;
  }

  const option = (row: { accessory?: Json }, label: string) =>
    (row.accessory!.options as Array<{ text: { text: string }; value: string }>).find((o) => o.text.text === label)!.value;
  const buttonIn = (message: Json, blockId: string, actionId: string) =>
    ((message.blocks as Json[]).find((b) => b.block_id === blockId)!.elements as Json[]).find((e) => e.action_id === actionId)!.value as string;
  const pageLabel = (message: Json) => textOf((message.blocks as Json[]).find((b) => b.block_id === "keys_page"));

  it("deletes from the row menu: asks in the row, then replaces the list with the same page, without the key, and a result line", async () => {
    const made = [];
    for (let i = 0; i < 20; i++) made.push(await newKey(`del-${String(i).padStart(2, "0")}`));
    // Page 2, reached with Next (so by cursor): the row controls must bring back exactly this page.
    const page2 = await pageWith(admin, /^\*del-16\*/);
    expect(pageLabel(page2)).toContain("Page 2");
    const victim = made[16]!;

    const asked = (await press(admin, page2, "keyward.key.row_menu", rowOf(page2, "del-16").blockId, option(rowOf(page2, "del-16"), "Delete"))).answer
      .body as Json;
    expect(asked.replace_original).toBe(true);
    expect(textOf((asked.blocks as Json[]).find((b) => b.block_id === "delete_question"))).toContain("cannot be undone");
    expect(rows(asked).map((r) => r.text.split("*")[1])).toEqual(rows(page2).map((r) => r.text.split("*")[1]));
    expect((await app.keyward.services.keys.verify(victim.secret)).valid).toBe(true); // asked, not deleted

    // Cancel shows the same page again, nothing deleted.
    const kept = (await press(admin, asked, "keyward.key.cancel_delete", "delete_actions", buttonIn(asked, "delete_actions", "keyward.key.cancel_delete")))
      .answer.body as Json;
    expect(kept.replace_original).toBe(true);
    expect(textOf((kept.blocks as Json[])[0])).toContain("Nothing was deleted.");
    expect(rowOf(kept, "del-16").accessory).toMatchObject({ type: "overflow" });
    expect((await app.keyward.services.keys.verify(victim.secret)).valid).toBe(true);

    const again = (await press(admin, kept, "keyward.key.row_menu", rowOf(kept, "del-16").blockId, option(rowOf(kept, "del-16"), "Delete"))).answer
      .body as Json;
    const done = (await press(admin, again, "keyward.key.ask_delete", "delete_actions", buttonIn(again, "delete_actions", "keyward.key.ask_delete"))).answer
      .body as Json;
    expect(done.replace_original).toBe(true);
    expect((done.blocks as Json[])[0]).toMatchObject({
      block_id: "keys_result",
      text: { text: `Deleted del-16 …${victim.key.last4}. It is refused from now on.` },
    });
    expect(done.text).toContain("Deleted del-16");
    expect(pageLabel(done)).toContain("Page 2");
    expect(rows(done).map((r) => r.text.split("*")[1])).toEqual(["del-15", "del-17", "del-18", "del-19"]);
    expect(await app.keyward.services.keys.verify(victim.secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it('tells the result of a delete done when Slack no longer takes the list\'s replacement, instead of "nothing was changed"', async () => {
    const { secret } = await newKey("dead-url");
    const page = await pageWith(admin, /^\*dead-url\*/);
    const asked = (await press(admin, page, "keyward.key.row_menu", rowOf(page, "dead-url").blockId, option(rowOf(page, "dead-url"), "Delete"))).answer
      .body as Json;
    const since = app.driver.mark();
    app.driver.failNextResponse(404); // the response_url is used up or past its 30 minutes
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.ask_delete",
      blockId: "delete_actions",
      value: buttonIn(asked, "delete_actions", "keyward.key.ask_delete"),
      messageTs,
      message: { blocks: asked.blocks } as never,
      channelId,
    });
    const [refused, told] = await app.driver.waitForResponsesTo(() => true, 2, { since });
    expect(refused!.status).toBe(404);
    expect(textOf(told!.body)).toContain("Deleted dead-url");
    expect(textOf(told!.body)).not.toContain("nothing was changed");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("renames from the row menu: the modal carries the list's response_url and page, and on submit the list is replaced", async () => {
    await newKey("ren-a");
    const page = await pageWith(admin, /^\*ren-a\*/);
    const sent = await pressMenu(page, "ren-a", "Rename");
    const view = await modalFor(app, sent);
    expect(view.callback_id).toBe("keyward.key.edit");
    const metadata = view.private_metadata as string;
    expect(metadata.length).toBeLessThanOrEqual(3000);
    expect(metadata).not.toMatch(/kw_[0-9A-Za-z]{10}/);
    expect(JSON.parse(metadata)).toMatchObject({ ru: sent.sent.response_url, pg: 2 });

    const since = app.driver.mark();
    const submitted = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "ren-b" } } });
    // The list shows the result, so the form just closes.
    expect(submitted.json).toEqual({ response_action: "clear" });
    const replaced = await app.driver.waitForResponse(() => true, { since });
    expect(replaced.url).toBe(sent.sent.response_url);
    expect(replaced.violations).toEqual([]);
    const body = replaced.body as Json;
    expect(body.replace_original).toBe(true);
    expect((body.blocks as Json[])[0]).toMatchObject({ block_id: "keys_result", text: { text: "Renamed ren-a → ren-b." } });
    expect(pageLabel(body)).toContain("Page 2");
    expect(rowOf(body, "ren-b")).toBeDefined();
    expect(rows(body).some((r) => r.text.startsWith("*ren-a*"))).toBe(false);
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "ren-b", deletedAt: null } })).toBe(1);
  });

  /** Picks `label` in `name`'s row menu. */
  async function pressMenu(page: Json, name: string, label: string): Promise<DriverResponse> {
    const row = rowOf(page, name);
    const sent = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.row_menu",
      blockId: row.blockId,
      value: option(row, label),
      messageTs,
      message: { blocks: page.blocks } as never,
      channelId,
    });
    expect(sent.status).toBe(200);
    return sent;
  }

  it("opens the roll form from the row menu", async () => {
    await newKey("roll-me");
    const page = await pageWith(admin, /^\*roll-me\*/);
    expect((await modalFor(app, await pressMenu(page, "roll-me", "Roll"))).callback_id).toBe("keyward.key.roll");
  });

  it("shows a rolled key as being replaced, and Stop old key now ends its grace at once and replaces the list", async () => {
    const { key, secret: oldSecret } = await newKey("graceful");
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 24 });
    const page = await pageWith(admin, /being replaced/);
    const old = rows(page).find((r) => r.text.includes(`\`…${key.last4}\``))!;
    expect(old.text).toContain(`being replaced, works until <!date^${Math.floor(rolled.previous.expiresAt.getTime() / 1000)}^`);
    expect(old.accessory).toMatchObject({ type: "button", action_id: "keyward.key.stop_old", text: { text: "Stop old key now" }, confirm: expect.any(Object) });
    expect((await app.keyward.services.keys.verify(oldSecret)).valid).toBe(true);

    const { answer } = await press(admin, page, "keyward.key.stop_old", old.blockId, old.accessory!.value as string);
    const body = answer.body as Json;
    expect(body.replace_original).toBe(true);
    expect(textOf((body.blocks as Json[])[0])).toContain(`Stopped the old graceful …${key.last4} now; its replacement keeps working.`);
    expect(rows(body).some((r) => r.text.includes(`\`…${key.last4}\``))).toBe(false);
    expect(rows(body).some((r) => r.text.includes(`\`…${rolled.key.last4}\``))).toBe(true);
    // Refused right after, by the domain and by REST; the replacement works.
    expect(await app.keyward.services.keys.verify(oldSecret)).toMatchObject({ valid: false, reason: "deleted" });
    const rest = (secret: string) => fetch(`${app.keyward.url}/api/v1/api-keys?limit=1`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await rest(oldSecret)).status).toBe(401);
    expect((await rest(rolled.secret)).status).toBe(200);
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "api_key.delete", targetId: key.id } })).toBe(1);
  });

  it("does not stop a key whose roll was undone after the list was shown: the Stop button is stale, the key stays", async () => {
    const { key, secret } = await newKey("undone-roll");
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 24 }, { pendingDelivery: true });
    const page = await pageWith(admin, new RegExp(`\`…${key.last4}\`.*being replaced`));
    const stale = rows(page).find((r) => r.text.includes(`\`…${key.last4}\``))!;
    // The new secret never reached its creator: the roll is undone and the old key is back in service.
    expect(await app.keyward.services.keys.discardUndelivered(adminActor, rolled.key, "delivery_failed")).toMatchObject({
      discarded: true,
      revertedRoll: { revived: true },
    });
    const { answer } = await press(admin, page, "keyward.key.stop_old", stale.blockId, stale.accessory!.value as string);
    expect(textOf(answer.body)).toContain("is not being replaced (its roll was undone), so nothing was stopped");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: true, key: { replacedBy: null } });
  });

  it("refuses a Viewer's Delete, Stop or confirmation where they pressed it, and writes nothing", async () => {
    const { key, secret } = await newKey("guarded-row");
    const { key: rolledKey } = await newKey("guarded-rolled");
    await app.keyward.services.keys.roll(adminActor, rolledKey.id, { graceHours: 24 });
    const adminPage = await pageWith(admin, /^\*guarded-row\*/);
    const deleteValue = option(rowOf(adminPage, "guarded-row"), "Delete");
    // The viewer's own list has no row controls at all.
    const viewerPage = await pageWith(viewer, /^\*guarded-row\*/);
    expect(textOf(viewerPage)).not.toMatch(/keyward\.key\.(row_menu|stop_old|delete)/);

    const stopRow = rows(adminPage).find((r) => r.text.includes(`\`…${rolledKey.last4}\``))!;
    const before = await app.dump();
    // Controls of a message the viewer should not have (say, from before they lost a role): the real overflow and button shapes.
    const presses = [
      ["keyward.key.row_menu", rowOf(adminPage, "guarded-row").blockId, deleteValue],
      ["keyward.key.stop_old", stopRow.blockId, stopRow.accessory!.value as string],
      ["keyward.key.ask_delete", "delete_actions", deleteValue],
      ["keyward.key.delete", "key_actions_0", key.id],
    ] as const;
    for (const [actionId, blockId, value] of presses) {
      const { answer } = await press(viewer, adminPage, actionId, blockId, value);
      expect(textOf(answer.body), actionId).toContain("You do not have permission");
      // A message of its own: the list the viewer was reading stays.
      expect((answer.body as Json).replace_original, actionId).toBe(false);
    }
    expect(await app.dump()).toBe(before);
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
  });

  /** The admin's Home tab as the app next publishes it, after the mark. */
  const published = (since: number) => app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });

  it("works on the Home tab too: Delete asks in the row, then Home is republished without the key", async () => {
    let since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOMELST" } as never);
    let home = (await published(since)).args.view as Json;
    const menuRow = rows(home).find((r) => r.accessory?.type === "overflow")!;
    const name = menuRow.text.split("*")[1]!;
    since = app.fake.mark();
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.row_menu",
      blockId: menuRow.blockId,
      value: option(menuRow, "Delete"),
      view: app.fake.getHomeView(admin),
    });
    home = (await published(since)).args.view as Json;
    expect(textOf((home.blocks as Json[]).find((b) => b.block_id === "delete_question"))).toContain(name);
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name, deletedAt: null } })).toBe(1);
    since = app.fake.mark();
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.ask_delete",
      blockId: "delete_actions",
      value: buttonIn(home, "delete_actions", "keyward.key.ask_delete"),
      view: app.fake.getHomeView(admin),
    });
    const after = await published(since);
    expect(after.violations).toEqual([]);
    const view = after.args.view as Json;
    expect(textOf((view.blocks as Json[]).find((b) => b.block_id === "home_status"))).toContain(`Deleted ${name}`);
    expect(rows(view).some((r) => r.text.startsWith(`*${name}*`))).toBe(false);
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name, deletedAt: null } })).toBe(0);
  });

  it("renames from the Home tab's row menu: on submit the form closes and Home is republished with the result", async () => {
    let since = app.fake.mark();
    await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOMELST" } as never);
    const home = (await published(since)).args.view as Json;
    const row = rows(home).find((r) => r.accessory?.type === "overflow")!;
    const name = row.text.split("*")[1]!;
    const renaming = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.row_menu",
      blockId: row.blockId,
      value: option(row, "Rename"),
      view: app.fake.getHomeView(admin),
    });
    const view = await modalFor(app, renaming);
    expect(JSON.parse(view.private_metadata as string)).toMatchObject({ home: 1, pg: 1 });
    since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: `${name}-renamed` } } });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const after = (await published(since)).args.view as Json;
    expect(textOf((after.blocks as Json[]).find((b) => b.block_id === "home_status"))).toContain(`Renamed ${name} → ${name}-renamed.`);
  });

  it("never sent Slack a key:<uuid>, and every list message summarises itself in its text", () => {
    for (const call of app.fake.calls) expect(JSON.stringify(call.args), call.method).not.toMatch(/key:[0-9a-f]{8}-/);
    for (const response of app.driver.responses) {
      expect(JSON.stringify(response.body)).not.toMatch(/key:[0-9a-f]{8}-/);
      expect(String((response.body as Json).text ?? "")).not.toBe("");
    }
  });

  it("`/keys delete <name>` with an expired key of that name beside a working one asks which, listing both, and deletes nothing", async () => {
    const expired = await newKey("dup-name");
    // An expired key no longer holds its name, so a new key took it.
    await app.keyward.db.prisma.apiKey.update({ where: { id: expired.key.id }, data: { expiresAt: new Date("2026-01-01T00:00:00Z") } });
    const working = await newKey("dup-name");
    const answer = await command(admin, "delete dup-name");
    const text = JSON.stringify(answer);
    expect(text).toContain('Several keys are named \\"dup-name\\"');
    expect(text).toContain(`…${expired.key.last4} (expired 2026-01-01 00:00 UTC)`);
    expect(text).toContain(`…${working.key.last4} (expires 2030-01-01 23:59 UTC)`);
    expect(text).toContain("row menu in `/keys list`");
    expect(text).not.toContain("keyward.key.ask_delete");
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "dup-name", deletedAt: null } })).toBe(2);
  });
});
