import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { answerTo, confirmDelete, expectEveryMessageHasText, expectNoRawKeyIds, modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

describe("listing, renaming, deleting, roles, audit and help through the real receiver", () => {
  const admin = "UADMIN02";
  const viewer = "UVIEWER2";
  const nobody = "UNOBODY2";
  const { app, admin: adminActor } = useSlackApp({ people: [{ id: admin, isOwner: true }, { id: viewer, role: "Viewer" }, { id: nobody }] });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  it("lists keys with their facts and buttons, and pages through 500 keys by cursor", async () => {
    for (let i = 0; i < 500; i++) await newKey(`bulk-${String(i).padStart(3, "0")}`);
    const ack = await app.driver.command({ userId: admin, text: "list", channelId });
    expect(ack.status).toBe(200);
    const first = await app.driver.waitForResponse(ack);
    expect(first.violations).toEqual([]);
    const body = first.body as Json;
    expect(body.response_type).toBe("ephemeral");
    expect((body.blocks as unknown[]).length).toBeLessThanOrEqual(50);
    expect(textOf(body)).toContain("bulk-000");
    expect(textOf(body)).toContain("keyward.key.row_menu");
    // Walk every page with the Next button: each key exactly once.
    const seen = new Set<string>();
    let page = body;
    for (let n = 0; n < 60; n++) {
      const onPage = new Set([...textOf(page).matchAll(/\*(bulk-\d{3})\*/g)].map((m) => m[1]!));
      for (const name of onPage) {
        expect(seen.has(name)).toBe(false);
        seen.add(name);
      }
      const nav = (page.blocks as Json[]).find((b) => b.block_id === "keys_nav");
      const next = (nav?.elements as Json[] | undefined)?.find((e) => e.action_id === "keyward.key.list_next");
      if (!next) break;
      const pressed = app.driver.blockAction({
        userId: admin,
        actionId: "keyward.key.list_next",
        blockId: "keys_nav",
        value: next.value,
        messageTs: "1790000000.000100",
        message: { blocks: page.blocks } as never,
        channelId,
      });
      page = (await answerTo(app, pressed)).body as Json;
      expect((page.blocks as unknown[]).length).toBeLessThanOrEqual(50);
    }
    expect(seen.size).toBe(500);
    // A typed page number lands on the same keys.
    expect(textOf((await answerTo(app, app.driver.command({ userId: admin, text: "list 3", channelId }))).body)).toContain("bulk-030");
  }, 120_000);

  it("shows a viewer the list without change buttons, and refuses a person without a role", async () => {
    const seen = textOf((await answerTo(app, app.driver.command({ userId: viewer, text: "list", channelId }))).body);
    expect(seen).toContain("bulk-000");
    expect(seen).not.toContain("keyward.key.row_menu");
    const refused = await answerTo(app, app.driver.command({ userId: nobody, text: "list", channelId }));
    expect(textOf(refused.body)).toContain("You do not have permission to view API keys");
  });

  it("renames a key through the edit modal; role and expiry stay", async () => {
    const { key } = await newKey("to-rename");
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "edit to-rename", channelId }));
    expect(view.callback_id).toBe("keyward.key.edit");
    const empty = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "   " } } });
    expect(empty.json).toMatchObject({ response_action: "errors", errors: { name: expect.any(String) } });
    const saved = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "renamed" }, description: { value: "now described" } } });
    expect(saved.json).toMatchObject({ response_action: "update" });
    const row = await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row).toMatchObject({ name: "renamed", description: "now described", roleId: key.roleId, expiresAt: key.expiresAt });
    // A viewer pressing Rename gets a refusal in the modal; a forged submission by them changes nothing.
    const forged = await app.driver.viewSubmission({ userId: viewer, view, answers: { name: { value: "hijacked" } } });
    expect(textOf(forged.json)).toContain("You do not have permission");
    expect((await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).name).toBe("renamed");
  });

  it("asks before deleting, deletes on confirmation, and the key is refused at once", async () => {
    const { key, secret } = await newKey("to-delete");
    const question = (await answerTo(app, app.driver.command({ userId: admin, text: "delete to-delete", channelId }))).body as Json;
    expect(textOf(question)).toContain("cannot be undone");
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true); // nothing deleted yet
    const done = await confirmDelete(app, admin, key.id, question);
    expect(textOf(done)).toContain("Deleted to-delete");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("refuses a delete button pressed by a viewer or carrying another workspace's key id", async () => {
    const { key } = await newKey("guarded");
    const pressed = app.driver.blockAction({
      userId: viewer,
      actionId: "keyward.key.delete",
      blockId: "key_actions_0",
      value: key.id,
      messageTs: "1790000000.000100",
      message: { blocks: [] } as never,
      channelId,
    });
    expect(textOf((await answerTo(app, pressed)).body)).toContain("You do not have permission");
    // Another workspace's admin presses a button carrying this key's id: not found there.
    const otherTeam = await app.keyward.services.access.actorForUser("TOTHERWS1", "UOTHER01", { isWorkspaceAdmin: true }, "slack");
    await expect(app.keyward.services.keys.delete(otherTeam, key.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ deletedAt: null });
  });

  it("lists roles, creates a custom role from the checklist and assigns it", async () => {
    const roles = (await answerTo(app, app.driver.command({ userId: admin, text: "roles", channelId }))).body as Json;
    expect(textOf(roles)).toContain("Manager");
    const opening = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.role.open_create",
      blockId: "roles_actions",
      value: "create",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    const form = await modalFor(app, opening);
    const bad = await app.driver.viewSubmission({ userId: admin, view: form, answers: { role_name: { value: "Rotator" }, permissions: { value: [] } } });
    expect(bad.json).toMatchObject({ response_action: "errors", errors: { permissions: expect.any(String) } });
    const ok = await app.driver.viewSubmission({
      userId: admin,
      view: form,
      answers: { role_name: { value: "Rotator" }, permissions: { value: ["api_keys.view", "api_keys.edit"] } },
    });
    expect(ok.json).toMatchObject({ response_action: "update" });
    const assigning = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.role.open_assign",
      blockId: "roles_actions",
      value: "assign",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    const assign = await modalFor(app, assigning);
    const rotator = (
      (assign.blocks as Json[]).find((b) => b.block_id === "role")!.element as { options: Array<{ value: string; text: { text: string } }> }
    ).options.find((o) => o.text.text === "Rotator")!;
    const assigned = await app.driver.viewSubmission({ userId: admin, view: assign, answers: { user: { value: nobody }, role: { value: rotator.value } } });
    expect(assigned.json).toMatchObject({ response_action: "update" });
    const now = await app.keyward.services.access.actorForUser(app.fake.teamId, nobody, { isWorkspaceAdmin: false }, "slack");
    expect(now.roleName).toBe("Rotator");
    // A viewer cannot open the role forms.
    const denied = await app.driver.blockAction({
      userId: viewer,
      actionId: "keyward.role.open_create",
      blockId: "roles_actions",
      value: "create",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    expect(textOf(await modalFor(app, denied))).toContain("You do not have permission to manage roles");
  });

  it("shows the audit log and help fitted to the role", async () => {
    const said = async (userId: string, text: string) => textOf((await answerTo(app, app.driver.command({ userId, text, channelId }))).body);
    const audit = await said(admin, "audit 5");
    // Actions read as verbs, the actor as a mention, the role assigned by name.
    expect(audit).toContain(`<@${admin}> assigned role *Rotator* to <@${nobody}>`);
    expect(audit).not.toContain("role.assign");
    const help = await said(viewer, "");
    expect(help).toContain("Viewer");
    expect(help).toContain("/keys list");
    expect(help).not.toContain("/keys create");
    const adminHelp = await said(admin, "help");
    expect(adminHelp).toContain("/keys create");
    expect(adminHelp).toContain("/keys audit");
    const usage = await said(admin, "frobnicate now");
    expect(usage).toContain("There is no `frobnicate` command");
    expect(usage).toContain("/keys list");
    expect(await said(admin, "list banana")).toContain("takes a page number");
  });

  it("publishes a Home tab within Block Kit's limits whatever the number of keys", async () => {
    const since = app.fake.mark();
    const ack = await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOME" } as never);
    expect(ack.status).toBe(200);
    const call = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === admin, { since });
    expect(call.response.ok).toBe(true);
    expect(call.violations).toEqual([]);
    const view = call.args.view as Json;
    expect((view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
    expect(textOf(view)).toContain("Create key");
    expect(textOf(view)).toContain("keyward.home.next");
    // A person without a role sees how to get one and no keys.
    await app.driver.event({ type: "app_home_opened", user: "UNOROLE9", tab: "home", channel: "D0HOME2" } as never);
    const other = await app.fake.waitForCall("views.publish", (c) => c.args.user_id === "UNOROLE9", { since });
    expect(textOf(other.args.view)).toContain("no keyward role");
    expect(textOf(other.args.view)).not.toContain("bulk-");
  });

  // Last, over everything the tests above made the app send (issue 10's Done-when).
  it("sent Slack no key id (`key:<uuid>`) and a top-level text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });
});
