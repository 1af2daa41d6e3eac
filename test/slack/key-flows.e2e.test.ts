import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import {
  createKeyThroughSlack,
  expectEveryMessageHasText,
  expectNoRawKeyIds,
  expectSecretOnlyDeliveredOnce,
  findBlock,
  modalFor,
  secretIn,
  textOf,
  verifyWhenActive,
} from "./slack-flow-helpers.ts";

describe("key flows through the real receiver", () => {
  const admin = "UADMIN01";
  const member = "UMEMBER1";
  const outsider = "UOUTSIDE";
  const { app } = useSlackApp({
    people: [{ id: admin, isAdmin: true, tz: "America/New_York" }, { id: member, tz: "Asia/Kathmandu", role: "Member" }, { id: outsider }],
  });

  it("creates a key from /keys create and shows the secret once, ephemerally, in the channel", async () => {
    const { submitted, view, mark } = await createKeyThroughSlack(app, admin, { name: "deploy-bot", role: "Manager", description: "CI deploys" });
    expect(submitted.status).toBe(200);
    expect(submitted.json).toEqual({ response_action: "clear" });
    // The form offered the role list and a default expiry 90 days ahead in the creator's zone.
    expect(textOf(findBlock(view, "role"))).toContain("Admin");
    expect(view.private_metadata).not.toMatch(/kw_/);
    const delivery = await app.fake.waitForCall("chat.postEphemeral", (c) => c.args.user === admin, { since: mark });
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
    const view = await modalFor(app, await app.driver.command({ userId: member, text: "create", channelId }));
    // A Member may only make personal keys with roles within their own permissions.
    const kinds = textOf(findBlock(view, "kind"));
    expect(kinds).toContain("personal");
    expect(kinds).not.toContain('"value":"service"');
    expect(textOf(findBlock(view, "role"))).not.toContain("Manager");
    const { submitted, mark } = await createKeyThroughSlack(app, member, { name: "laptop", role: "Member", kind: "personal" });
    expect(submitted.json).toEqual({ response_action: "clear" });
    const delivery = await app.fake.waitForCall("chat.postEphemeral", (c) => c.args.user === member, { since: mark });
    const secret = secretIn(delivery)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
  });

  it("opens the request form for a person without a role, saying why, and writes nothing (issue 14)", async () => {
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const view = await modalFor(app, await app.driver.command({ userId: outsider, text: "create", channelId }));
    expect(view.callback_id).toBe("keyward.request.create");
    expect(textOf(view)).toContain("You may not create keys yourself, so this asks for one.");
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
    expect(await app.keyward.db.prisma.keyRequest.count()).toBe(0);
  });

  it("re-checks permission on submit: a forged submission from someone without a role writes nothing", async () => {
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: "create", channelId }));
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
