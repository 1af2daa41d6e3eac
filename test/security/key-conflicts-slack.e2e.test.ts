import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { modalAfter, textOf } from "../slack/slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/** Issue 9 item 6, in Slack: the loser of two conflicting changes of one key reads what happened, and nothing changed. */
describe("Slack answers a change that lost to another one", () => {
  let app: TestApp;
  let admin: string;
  let adminActor: Actor;

  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "UADMINCONF", isOwner: true });
    adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    // A first command warms the app up, so that the edit form below opens within Slack's 3 s trigger life on a busy machine.
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "help", channelId });
    await app.driver.waitForResponses(count + 1);
  });
  afterAll(async () => {
    await app?.close();
  });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  it("an edit form submitted after someone rolled the key is refused in the modal, naming the replacement", async () => {
    const { key } = await newKey("edited-while-rolled");
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: admin, text: "edit edited-while-rolled", channelId });
    const view = await modalAfter(app, opened);
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 1 });
    const answer = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "renamed-late" } } });
    expect(answer.json).toMatchObject({ response_action: "update" });
    expect(textOf(answer.json)).toContain("Not saved");
    expect(textOf(answer.json)).toContain(`edited-while-rolled was rolled; change its replacement (${rolled.key.id}) instead.`);
    expect((await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).name).toBe("edited-while-rolled");
  });

  it("a delete confirmed after someone rolled the key is refused, naming the replacement, and deletes nothing", async () => {
    const { key, secret } = await newKey("deleted-while-rolled");
    const count = app.driver.responses.length;
    await app.driver.command({ userId: admin, text: "delete deleted-while-rolled", channelId });
    const question = (await app.driver.waitForResponses(count + 1)).at(-1)!.body as Json;
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 1 });
    await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.ask_delete",
      blockId: "delete_actions",
      value: key.id,
      messageTs: "1790000000.000100",
      message: { blocks: question.blocks } as never,
      channelId,
    });
    const answer = (await app.driver.waitForResponses(count + 2)).at(-1)!.body as Json;
    expect(textOf(answer)).toContain(`deleted-while-rolled was rolled: its replacement ${rolled.key.id} carries the name now`);
    expect(textOf(answer)).not.toContain("Something went wrong");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: true });
    expect(await app.keyward.services.keys.verify(rolled.secret)).toMatchObject({ valid: true });
  });
});
