import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { answerTo, confirmDelete, modalFor, textOf } from "../slack/slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/** Issue 9 item 6, in Slack: the loser of two conflicting changes of one key reads what happened, and nothing changed. */
describe("Slack answers a change that lost to another one", () => {
  const admin = "UADMINCONF";
  // warmUp: so that the edit form below opens within Slack's 3 s trigger life on a busy machine.
  const { app, admin: adminActor } = useSlackApp({ people: [{ id: admin, isOwner: true }], warmUp: true });

  const newKey = (name: string) => app.keyward.services.keys.create(adminActor, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });

  it("an edit form submitted after someone rolled the key is refused in the modal, naming the replacement", async () => {
    const { key } = await newKey("edited-while-rolled");
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "edit edited-while-rolled", channelId }));
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 1 });
    const answer = await app.driver.viewSubmission({ userId: admin, view, answers: { name: { value: "renamed-late" } } });
    expect(answer.json).toMatchObject({ response_action: "update" });
    expect(textOf(answer.json)).toContain("Not saved");
    expect(textOf(answer.json)).toContain(`edited-while-rolled was rolled; change its replacement (${rolled.key.id}) instead.`);
    expect((await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).name).toBe("edited-while-rolled");
  });

  it("a delete confirmed after someone rolled the key is refused, naming the replacement, and deletes nothing", async () => {
    const { key, secret } = await newKey("deleted-while-rolled");
    const question = (await answerTo(app, app.driver.command({ userId: admin, text: "delete deleted-while-rolled", channelId }))).body as Json;
    const rolled = await app.keyward.services.keys.roll(adminActor, key.id, { graceHours: 1 });
    const answer = await confirmDelete(app, admin, key.id, question);
    expect(textOf(answer)).toContain(`deleted-while-rolled was rolled: its replacement ${rolled.key.id} carries the name now`);
    expect(textOf(answer)).not.toContain("Something went wrong");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: true });
    expect(await app.keyward.services.keys.verify(rolled.secret)).toMatchObject({ valid: true });
  });
});
