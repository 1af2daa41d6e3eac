import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { createKeyThroughSlack, expectSecretOnlyDeliveredOnce, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

/** SPEC rules 3 and 4: the secret reaches its creator once, by the first route that works, or the key dies. */
describe("one-time delivery of a new key's secret", () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "UDELIVER1", isAdmin: true });
    app.fake.addChannel({ id: "CNOTIN001", name: "elsewhere", members: [admin], botIsMember: false });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("falls back to the creator's DM when the app is not in the channel", async () => {
    app.fake.reset();
    const { submitted } = await createKeyThroughSlack(app, admin, { name: "dm-route", role: "Viewer" }, { channelId: "CNOTIN001" });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const calls = await app.fake.waitForCalls("chat.postEphemeral", 2);
    expect(calls[0]!.response.error).toBe("not_in_channel");
    expect(calls[1]!.args.channel).toMatch(/^D/);
    expect(calls[1]!.response.ok).toBe(true);
    const secret = secretIn(calls[1]!)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    // The refused attempt carried the secret too but Slack stored nothing; it is still the only delivery.
    expect(app.fake.calls.filter((c) => c.response.ok && textOf(c.args).includes(secret))).toHaveLength(1);
    expect(app.logs.join("\n")).not.toContain(secret);
    expect(await app.dump()).not.toContain(secret);
  });

  it("falls back to the command's response_url when channel and DM both fail", async () => {
    app.fake.reset();
    app.fake.failNext("conversations.open", { error: "user_disabled" });
    const before = app.driver.responses.length;
    await createKeyThroughSlack(app, admin, { name: "url-route", role: "Viewer" }, { channelId: "CNOTIN001" });
    const responses = await app.driver.waitForResponses(before + 1);
    const delivered = responses.at(-1)!;
    expect(delivered.body).toMatchObject({ response_type: "ephemeral" });
    const secret = /kw_[0-9A-Za-z]{40}/.exec(JSON.stringify(delivered.body))![0];
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
  });

  it("deletes the key and tells the creator when no route works", async () => {
    app.fake.reset();
    app.fake.failNext("conversations.open", { error: "user_disabled", times: 2 });
    app.driver.failNextResponse(404);
    const keysBefore = await app.keyward.db.prisma.apiKey.count({ where: { deletedAt: null } });
    const responsesBefore = app.driver.responses.length;
    await createKeyThroughSlack(app, admin, { name: "lost-key", role: "Viewer" }, { channelId: "CNOTIN001" });
    const deadline = Date.now() + 10_000;
    let deleted = null;
    while (!deleted && Date.now() < deadline) {
      deleted = await app.keyward.db.prisma.apiKey.findFirst({ where: { name: "lost-key", deletedAt: { not: null } } });
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(deleted).not.toBeNull();
    expect(await app.keyward.db.prisma.apiKey.count({ where: { deletedAt: null } })).toBe(keysBefore);
    const audit = await app.keyward.db.prisma.auditEvent.findFirst({ where: { targetId: deleted!.id, action: "api_key.delete" } });
    expect(audit?.details).toMatchObject({ reason: "delivery_failed" });
    // The creator hears about it (here through the response_url, the one route left working).
    // The refused delivery, then the notice.
    const told = (await app.driver.waitForResponses(responsesBefore + 2)).slice(responsesBefore);
    expect(told[0]!.status).toBe(404);
    expect(textOf(told[1]!.body)).toContain("was removed again");
    expect(textOf(told[1]!.body)).not.toMatch(/kw_[0-9A-Za-z]{40}/);
  });

  it("delivers a key created from the Home tab by DM", async () => {
    app.fake.reset();
    const opened = app.fake.callsTo("views.open").length;
    const trigger = await app.driver.blockAction({ userId: admin, actionId: "keyward.key.open_create", blockId: "home_actions", value: "create", view: { type: "home", blocks: [] } as never });
    expect(trigger.status).toBe(200);
    await app.fake.waitForCalls("views.open", opened + 1);
    const viewId = (app.fake.callsTo("views.open").at(-1)!.response.view as { id: string }).id;
    await app.fake.waitForCalls("views.update", 1);
    const view = app.fake.getView(viewId)!;
    const role = ((view.blocks as Array<Record<string, unknown>>).find((b) => b.block_id === "role")!.element as { options: Array<{ value: string; text: { text: string } }> }).options.find((o) => o.text.text === "Viewer")!;
    await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "from-home" }, role: { value: role.value } } });
    const [delivery] = await app.fake.waitForCalls("chat.postEphemeral", 1);
    expect(delivery!.args.channel).toMatch(/^D/);
    await expectSecretOnlyDeliveredOnce(app, secretIn(delivery!)!);
  });
});
