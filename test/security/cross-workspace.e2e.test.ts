import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { modalFor, textOf } from "../slack/slack-flow-helpers.ts";

/** Ids of another workspace in buttons, private_metadata and REST paths lead nowhere, and change nothing. */
describe("another workspace's ids", () => {
  const admin = "UHOMEADM1";
  let theirs: { keyId: string; configId: string; secret: string };
  const { app } = useSlackApp({ people: [{ id: admin, isAdmin: true }] });

  beforeAll(async () => {
    const other: Actor = await app.keyward.services.access.actorForUser("TOTHER001", "UOTHERADM", { isWorkspaceAdmin: true }, "slack");
    const key = await app.keyward.services.keys.create(other, { name: "their-key", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
    const config = await app.keyward.services.integrations.add(other, "github", { alias: "their-github", secret: "ghp_theirs0123456789" });
    theirs = { keyId: key.key.id, configId: config.id, secret: key.secret };
  });

  it("in buttons: delete and snooze find nothing", async () => {
    // The first request of a person records their workspace and Slack admin status: do that first.
    await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const before = await app.dump();
    const message = { blocks: [] } as never;
    const deleting = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.key.delete",
      blockId: "x",
      value: theirs.keyId,
      messageTs: "1790000000.000100",
      message,
      channelId,
    });
    const snoozing = await app.driver.blockAction({
      userId: admin,
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value: theirs.configId,
      messageTs: "1790000000.000200",
      message,
      channelId,
    });
    const answers = (await Promise.all([app.driver.waitForResponse(deleting), app.driver.waitForResponse(snoozing)])).map((r) => textOf(r.body));
    expect(answers.every((a) => /not found/i.test(a))).toBe(true);
    // Nothing changed: asked once the app has finished both presses.
    await app.idle();
    expect(await app.dump()).toBe(before);
  });

  it("in private_metadata: a forged rename of their key is refused and changes nothing", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.keys.create(actor, { name: "mine", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "edit mine", channelId }));
    const forged = { ...view, private_metadata: JSON.stringify({ keyId: theirs.keyId }) };
    const result = await app.driver.viewSubmission({ userId: admin, view: forged, answers: { name: { value: "hijacked" } } });
    expect(textOf(result.json)).toMatch(/not found/i);
    expect((await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: theirs.keyId } })).name).toBe("their-key");
  });

  it("over REST: their key authenticates only in its own workspace", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const mine = await app.keyward.services.keys.create(actor, { name: "rest-mine", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
    const get = (path: string, key: string) => fetch(`${app.keyward.url}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get(`/api-keys/${theirs.keyId}`, mine.secret)).status).toBe(404);
    expect((await get(`/api-keys/${mine.key.id}`, theirs.secret)).status).toBe(404);
    expect((await get("/integrations/github/configurations/their-github", mine.secret)).status).toBe(404);
    expect((await get("/integrations/github/configurations/their-github?reveal=true", theirs.secret)).status).toBe(200);
  });
});
