import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import {
  createKeyThroughSlack,
  expectEveryMessageHasText,
  expectNoRawKeyIds,
  expectSecretOnlyDeliveredOnce,
  findBlock,
  modalAfter,
  secretIn,
  textOf,
  verifyWhenActive,
} from "./slack-flow-helpers.ts";

describe("key flows through the real receiver", () => {
  let app: TestApp;
  let admin: string;
  let member: string;
  let outsider: string;

  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "UADMIN01", isAdmin: true, tz: "America/New_York" });
    member = app.addUser({ id: "UMEMBER1", tz: "Asia/Kathmandu" });
    outsider = app.addUser({ id: "UOUTSIDE" });
    const adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(adminActor, member, "Member");
  });
  afterAll(async () => {
    await app?.close();
  });

  it("creates a key from /keys create and shows the secret once, ephemerally, in the channel", async () => {
    const { submitted, view } = await createKeyThroughSlack(app, admin, { name: "deploy-bot", role: "Manager", description: "CI deploys" });
    expect(submitted.status).toBe(200);
    expect(submitted.json).toEqual({ response_action: "clear" });
    // The form offered the role list and a default expiry 90 days ahead in the creator's zone.
    expect(textOf(findBlock(view, "role"))).toContain("Admin");
    expect(view.private_metadata).not.toMatch(/kw_/);
    const [delivery] = await app.fake.waitForCalls("chat.postEphemeral", 1);
    expect(delivery!.args).toMatchObject({ channel: channelId, user: admin });
    const secret = secretIn(delivery!)!;
    expect(secret).toBeDefined();
    expect(textOf(delivery!.args)).toContain("will not be shown again");
    expect(textOf(delivery!.args)).toMatch(/<!date\^\d+\^/);
    const verified = await verifyWhenActive(app, secret);
    expect(verified).toMatchObject({ valid: true, key: { name: "deploy-bot", roleName: "Manager", createdBy: admin } });
    await expectSecretOnlyDeliveredOnce(app, secret);
  });

  it("answers bad form input inline and writes nothing", async () => {
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const { submitted } = await createKeyThroughSlack(app, admin, { name: "x".repeat(80), role: "Viewer", expiresOn: "2020-01-01" });
    expect(submitted.status).toBe(200);
    expect(submitted.json).toMatchObject({ response_action: "errors", errors: { name: expect.stringMatching(/64 characters/) } });
    const past = await createKeyThroughSlack(app, admin, { name: "fine-name", role: "Viewer", expiresOn: "2020-01-01" });
    expect(past.submitted.json).toMatchObject({ response_action: "errors", errors: { expires_on: expect.any(String) } });
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
  });

  it("refuses a member's service key at submit, and lets them make a personal one", async () => {
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: member, text: "create", channelId });
    const view = await modalAfter(app, opened);
    // A Member may only make personal keys with roles within their own permissions.
    const kinds = textOf(findBlock(view, "kind"));
    expect(kinds).toContain("personal");
    expect(kinds).not.toContain('"value":"service"');
    expect(textOf(findBlock(view, "role"))).not.toContain("Manager");
    const { submitted } = await createKeyThroughSlack(app, member, { name: "laptop", role: "Member", kind: "personal" });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const delivery = (await app.fake.waitForCalls("chat.postEphemeral", 2)).at(-1)!;
    const secret = secretIn(delivery)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
  });

  it("tells a person without a role that they cannot create keys, and writes nothing", async () => {
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: outsider, text: "create", channelId });
    await app.fake.waitForCalls("views.open", opened);
    const viewId = (app.fake.callsTo("views.open")[opened - 1]!.response.view as { id: string }).id;
    await app.fake.waitForCalls("views.update", app.fake.callsTo("views.update").length || 1);
    const deadline = Date.now() + 10_000;
    while (!textOf(app.fake.getView(viewId)).includes("permission") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(textOf(app.fake.getView(viewId))).toContain("You do not have permission to create API keys");
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
  });

  it("re-checks permission on submit: a forged submission from someone without a role writes nothing", async () => {
    const opened = app.fake.callsTo("views.open").length + 1;
    await app.driver.command({ userId: admin, text: "create", channelId });
    const view = await modalAfter(app, opened);
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const roleValue = (findBlock(view, "role").element as { options: Array<{ value: string }> }).options[0]!.value;
    const forged = await app.driver.viewSubmission({ userId: outsider, view, answers: { name: { value: "forged" }, role: { value: roleValue } } });
    expect(forged.status).toBe(200);
    expect(textOf(forged.json)).toContain("You do not have permission");
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
  });

  // Last, over everything the tests above made the app send (issue 10's Done-when).
  it("sent Slack no key id (`key:<uuid>`) and a top-level text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });
});
