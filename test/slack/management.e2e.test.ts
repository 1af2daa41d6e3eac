import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { expectEveryMessageHasText, expectNoRawKeyIds, modalAfter, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

describe("listing, renaming, deleting, roles, audit and help through the real receiver", () => {
  let app: TestApp;
  let admin: string;
  let viewer: string;
  let nobody: string;
  let adminActor: Actor;

  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "UADMIN02", isOwner: true });
    viewer = app.addUser({ id: "UVIEWER2" });
    nobody = app.addUser({ id: "UNOBODY2" });
    adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(adminActor, viewer, "Viewer");
  });
  afterAll(async () => {
    await app?.close();
  });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  async function lastResponse(count: number) {
    const responses = await app.driver.waitForResponses(count);
    return responses.at(-1)!;
  }

  it("lists keys with their facts and buttons, and pages through 500 keys by cursor", async () => {
    for (let i = 0; i < 500; i++) await newKey(`bulk-${String(i).padStart(3, "0")}`);
    const before = app.driver.responses.length;
    const ack = await app.driver.command({ userId: admin, text: "list", channelId });
    expect(ack.status).toBe(200);
    const first = await lastResponse(before + 1);
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
      const count = app.driver.responses.length;
      await app.driver.blockAction({
        userId: admin,
        actionId: "keyward.key.list_next",
        blockId: "keys_nav",
        value: next.value,
        messageTs: "1790000000.000100",
        message: { blocks: page.blocks } as never,
        channelId,
      });
      page = (await lastResponse(count + 1)).body as Json;
      expect((page.blocks as unknown[]).length).toBeLessThanOrEqual(50);
    }
    expect(seen.size).toBe(500);
    // A typed page number lands on the same keys.
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "list 3", channelId });
    expect(textOf((await lastResponse(count + 1)).body)).toContain("bulk-030");
  }, 120_000);

  it("shows a viewer the list without change buttons, and refuses a person without a role", async () => {
    const count = app.driver.responses.length;
    await app.driver.command({ userId: viewer, text: "list", channelId });
    const seen = textOf((await lastResponse(count + 1)).body);
    expect(seen).toContain("bulk-000");
    expect(seen).not.toContain("keyward.key.row_menu");
    await app.driver.command({ userId: nobody, text: "list", channelId });
    expect(textOf((await lastResponse(count + 2)).body)).toContain("You do not have permission to view API keys");
  });

  it("renames a key through the edit modal; role and expiry stay", async () => {
    const { key } = await newKey("to-rename");
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: admin, text: "edit to-rename", channelId });
    const view = await modalAfter(app, opened);
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
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "delete to-delete", channelId });
    const question = (await lastResponse(count + 1)).body as Json;
    expect(textOf(question)).toContain("cannot be undone");
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true); // nothing deleted yet
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.ask_delete",
      blockId: "delete_actions",
      value: key.id,
      messageTs: "1790000000.000100",
      message: { blocks: question.blocks } as never,
      channelId,
    });
    const done = (await lastResponse(count + 2)).body as Json;
    expect(textOf(done)).toContain("Deleted to-delete");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("refuses a delete button pressed by a viewer or carrying another workspace's key id", async () => {
    const { key } = await newKey("guarded");
    const count = app.driver.responses.length;
    await app.driver.blockAction({
      userId: viewer,
      actionId: "keyward.key.delete",
      blockId: "key_actions_0",
      value: key.id,
      messageTs: "1790000000.000100",
      message: { blocks: [] } as never,
      channelId,
    });
    expect(textOf((await lastResponse(count + 1)).body)).toContain("You do not have permission");
    // Another workspace's admin presses a button carrying this key's id: not found there.
    const otherTeam = await app.keyward.services.access.actorForUser("TOTHERWS1", "UOTHER01", { isWorkspaceAdmin: true }, "slack");
    await expect(app.keyward.services.keys.delete(otherTeam, key.id)).rejects.toMatchObject({ code: "not_found" });
    expect(await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ deletedAt: null });
  });

  it("lists roles, creates a custom role from the checklist and assigns it", async () => {
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "roles", channelId });
    const roles = (await lastResponse(count + 1)).body as Json;
    expect(textOf(roles)).toContain("Manager");
    const openedCreate = app.fake.callsTo("views.open").length + 1;
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.role.open_create",
      blockId: "roles_actions",
      value: "create",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    const form = await modalAfter(app, openedCreate);
    const bad = await app.driver.viewSubmission({ userId: admin, view: form, answers: { role_name: { value: "Rotator" }, permissions: { value: [] } } });
    expect(bad.json).toMatchObject({ response_action: "errors", errors: { permissions: expect.any(String) } });
    const ok = await app.driver.viewSubmission({
      userId: admin,
      view: form,
      answers: { role_name: { value: "Rotator" }, permissions: { value: ["api_keys.view", "api_keys.edit"] } },
    });
    expect(ok.json).toMatchObject({ response_action: "update" });
    const openedAssign = app.fake.callsTo("views.open").length + 1;
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.role.open_assign",
      blockId: "roles_actions",
      value: "assign",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    const assign = await modalAfter(app, openedAssign);
    const rotator = (
      (assign.blocks as Json[]).find((b) => b.block_id === "role")!.element as { options: Array<{ value: string; text: { text: string } }> }
    ).options.find((o) => o.text.text === "Rotator")!;
    const assigned = await app.driver.viewSubmission({ userId: admin, view: assign, answers: { user: { value: nobody }, role: { value: rotator.value } } });
    expect(assigned.json).toMatchObject({ response_action: "update" });
    const now = await app.keyward.services.access.actorForUser(app.fake.teamId, nobody, { isWorkspaceAdmin: false }, "slack");
    expect(now.roleName).toBe("Rotator");
    // A viewer cannot open the role forms.
    const openedDenied = app.fake.callsTo("views.open").length + 1;
    await app.driver.blockAction({
      userId: viewer,
      actionId: "keyward.role.open_create",
      blockId: "roles_actions",
      value: "create",
      messageTs: "1790000000.000100",
      message: { blocks: roles.blocks } as never,
      channelId,
    });
    await app.fake.waitForCalls("views.open", openedDenied);
    const viewId = (app.fake.callsTo("views.open").at(-1)!.response.view as { id: string }).id;
    const deadline = Date.now() + 10_000;
    while (!textOf(app.fake.getView(viewId)).includes("permission") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(textOf(app.fake.getView(viewId))).toContain("You do not have permission to manage roles");
  });

  it("shows the audit log and help fitted to the role", async () => {
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "audit 5", channelId });
    const audit = textOf((await lastResponse(count + 1)).body);
    // Actions read as verbs, the actor as a mention, the role assigned by name.
    expect(audit).toContain(`<@${admin}> assigned role *Rotator* to <@${nobody}>`);
    expect(audit).not.toContain("role.assign");
    await app.driver.command({ userId: viewer, text: "", channelId });
    const help = textOf((await lastResponse(count + 2)).body);
    expect(help).toContain("Viewer");
    expect(help).toContain("/keys list");
    expect(help).not.toContain("/keys create");
    await app.driver.command({ userId: admin, text: "help", channelId });
    const adminHelp = textOf((await lastResponse(count + 3)).body);
    expect(adminHelp).toContain("/keys create");
    expect(adminHelp).toContain("/keys audit");
    await app.driver.command({ userId: admin, text: "frobnicate now", channelId });
    const usage = textOf((await lastResponse(count + 4)).body);
    expect(usage).toContain("There is no `frobnicate` command");
    expect(usage).toContain("/keys list");
    await app.driver.command({ userId: admin, text: "list banana", channelId });
    expect(textOf((await lastResponse(count + 5)).body)).toContain("takes a page number");
  });

  it("publishes a Home tab within Block Kit's limits whatever the number of keys", async () => {
    const published = app.fake.callsTo("views.publish").length + 1;
    const ack = await app.driver.event({ type: "app_home_opened", user: admin, tab: "home", channel: "D0HOME" } as never);
    expect(ack.status).toBe(200);
    const [call] = (await app.fake.waitForCalls("views.publish", published)).slice(-1);
    expect(call!.response.ok).toBe(true);
    expect(call!.violations).toEqual([]);
    const view = call!.args.view as Json;
    expect((view.blocks as unknown[]).length).toBeLessThanOrEqual(100);
    expect(textOf(view)).toContain("Create key");
    expect(textOf(view)).toContain("keyward.home.next");
    // A person without a role sees how to get one and no keys.
    await app.driver.event({ type: "app_home_opened", user: "UNOROLE9", tab: "home", channel: "D0HOME2" } as never);
    const [other] = (await app.fake.waitForCalls("views.publish", published + 1)).slice(-1);
    expect(textOf(other!.args.view)).toContain("no keyward role");
    expect(textOf(other!.args.view)).not.toContain("bulk-");
  });

  // Last, over everything the tests above made the app send (issue 10's Done-when).
  it("sent Slack no key id (`key:<uuid>`) and a top-level text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });
});
