import { describe, expect, it } from "vitest";
import type { ModalView } from "@slack/types";
import { addIntegrationModal } from "../../src/slack/views/add-integration-modal.ts";
import { createKeyModal } from "../../src/slack/views/create-key-modal.ts";
import { editKeyModal } from "../../src/slack/views/edit-key-modal.ts";
import { assignRoleModal } from "../../src/slack/views/role-modals.ts";
import { rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";
import { encodeSecretFormMetadata } from "../../src/slack/wire/form-metadata.ts";
import { defaultAckBudgetMs } from "../../src/slack/listeners/submission.ts";
import { encodeIntegrationMetadata } from "../../src/slack/wire/form-metadata.ts";
import { botToken, channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import type { DriverResponse } from "../support/slack-driver.ts";
import { expectSecretOnlyDeliveredOnce, secretIn, textOf, verifyWhenActive } from "../slack/slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/**
 * Rule 12 when Slack itself is slow: users.info takes 4 s (its 5-minute cache has lapsed: a form
 * left open over lunch), so a submission cannot have its answer within Slack's 3 s. The receiver
 * must still answer in time, and the work must still finish, once, with the person told.
 */
describe("forms submitted while Slack is slow (users.info takes 4 s)", () => {
  let seq = 0;
  const { app, admin } = useSlackApp({ ackBudgetMs: defaultAckBudgetMs, fake: { triggerTtlMs: 3000 }, people: [{ id: "USLOWADM0", isAdmin: true }] });

  /** A person the app has not looked up yet (so users.info is asked), made an Admin of keyward. */
  async function freshAdmin(): Promise<string> {
    const id = app.addUser({ id: `USLOW${String(++seq).padStart(4, "0")}`, isAdmin: true });
    await app.keyward.services.roles.assign(admin, id, "Admin");
    return id;
  }

  /**
   * The form, opened in the fake as the app would open it (so views.update finds it later). The
   * fake's 3-second trigger can lapse on a loaded machine before it is used: that only seeds the
   * fake, so a lapsed one is replaced and tried again.
   */
  async function openInFake(view: ModalView): Promise<Json> {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${app.fake.url}views.open`, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${botToken}` },
        body: JSON.stringify({ trigger_id: app.fake.issueTrigger(), view }),
      });
      const body = (await response.json()) as { ok: boolean; error?: string; view: Json };
      if (body.error === "expired_trigger_id" && attempt < 5) continue;
      expect(body, JSON.stringify(body).slice(0, 600)).toMatchObject({ ok: true });
      return body.view;
    }
  }

  function expectAnsweredInTime(submitted: DriverResponse): void {
    expect(submitted.status).toBe(200);
    expect(submitted.elapsedMs).toBeLessThan(3000);
    expect(submitted.json).toMatchObject({ response_action: "update", view: { blocks: [{ block_id: "working" }] } });
  }

  /** The modal's final text, once the late outcome replaced the "working" view. */
  async function finalText(viewId: string): Promise<string> {
    const update = await app.fake.waitForCall("views.update", (c) => c.args.view_id === viewId && c.response.ok, { timeoutMs: 15_000 });
    return textOf(update.args.view);
  }

  async function createForm(): Promise<Json> {
    const { roles, kinds } = await app.keyward.services.keys.createOptions(admin);
    return openInFake(
      createKeyModal({
        roles: roles.map((r) => ({ id: r.id, name: r.name })),
        kinds,
        defaultDay: "2030-01-01",
        timeZone: "UTC",
        privateMetadata: encodeSecretFormMetadata({ channelId }),
      }),
    );
  }

  const roleValue = (view: Json, name: string) =>
    ((view.blocks as Json[]).find((b) => b.block_id === "role")!.element as { options: Array<{ text: { text: string }; value: string }> }).options.find(
      (o) => o.text.text === name,
    )!.value;

  it("create: answers in time, then creates the key and delivers its secret once", async () => {
    const userId = await freshAdmin();
    const view = await createForm();
    app.fake.failNext("users.info", { delayMs: 4000 });
    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({
      userId,
      view,
      answers: { name: { value: "slow-create" }, role: { value: roleValue(view, "Viewer") } },
    });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("is ready");
    const delivery = app.fake.callsSince(since, "chat.postEphemeral").find((c) => secretIn(c));
    const secret = secretIn(delivery!)!;
    expect(await verifyWhenActive(app, secret)).toMatchObject({ valid: true, key: { name: "slow-create" } });
    await expectSecretOnlyDeliveredOnce(app, secret);
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "slow-create" } })).toBe(1);
  });

  it("create late, and the secret reaches nobody: the key is removed again and the modal says so", async () => {
    const userId = await freshAdmin();
    app.fake.addChannel({ id: "CSLOWNOBOT", members: [userId], botIsMember: false });
    const { roles, kinds } = await app.keyward.services.keys.createOptions(admin);
    const view = await openInFake(
      createKeyModal({
        roles: roles.map((r) => ({ id: r.id, name: r.name })),
        kinds,
        defaultDay: "2030-01-01",
        timeZone: "UTC",
        privateMetadata: encodeSecretFormMetadata({ channelId: "CSLOWNOBOT" }),
      }),
    );
    app.fake.failNext("users.info", { delayMs: 4000 });
    app.fake.failNext("conversations.open", { error: "user_disabled", times: 2 });
    const submitted = await app.driver.viewSubmission({
      userId,
      view,
      answers: { name: { value: "slow-undelivered" }, role: { value: roleValue(view, "Viewer") } },
    });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("removed again");
    const rows = await app.keyward.db.prisma.apiKey.findMany({ where: { name: "slow-undelivered" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.deletedAt).not.toBeNull();
  });

  it("create refused late: the field error is shown in words, and nothing is written", async () => {
    const userId = await freshAdmin();
    await app.keyward.services.keys.create(admin, { name: "slow-taken", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await createForm();
    const auditBefore = await app.keyward.db.prisma.auditEvent.count();
    app.fake.failNext("users.info", { delayMs: 4000 });
    const submitted = await app.driver.viewSubmission({ userId, view, answers: { name: { value: "slow-taken" }, role: { value: roleValue(view, "Viewer") } } });
    expectAnsweredInTime(submitted);
    const text = await finalText(String(view.id));
    expect(text).toContain("already exists");
    expect(text).toContain("Choose a name no other live key has.");
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "slow-taken" } })).toBe(1);
    expect(await app.keyward.db.prisma.auditEvent.count()).toBe(auditBefore);
  });

  it("edit: answers in time, then renames the key and says so", async () => {
    const userId = await freshAdmin();
    const { key } = await app.keyward.services.keys.create(admin, { name: "slow-edit", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await openInFake(editKeyModal({ keyId: key.id, name: key.name, description: "", roleName: key.roleName, last4: key.last4 }));
    app.fake.failNext("users.info", { delayMs: 4000 });
    const submitted = await app.driver.viewSubmission({ userId, view, answers: { name: { value: "slow-edited" } } });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("slow-edited");
    expect((await app.keyward.services.keys.get(admin, key.id)).name).toBe("slow-edited");
  });

  it("edit late, and the person closed the modal meanwhile: the outcome comes by DM", async () => {
    const userId = await freshAdmin();
    const { key } = await app.keyward.services.keys.create(admin, { name: "slow-dm", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = { id: "VCLOSED0001", ...editKeyModal({ keyId: key.id, name: key.name, description: "", roleName: key.roleName, last4: key.last4 }) };
    const since = app.fake.mark();
    app.fake.failNext("users.info", { delayMs: 4000 });
    const submitted = await app.driver.viewSubmission({ userId, view: view as never, answers: { name: { value: "slow-dm-edited" } } });
    expectAnsweredInTime(submitted);
    const told = await app.fake.waitForCall("chat.postEphemeral", () => true, { since, timeoutMs: 15_000 });
    expect(told.response.ok).toBe(true);
    expect(String(told.args.channel)).toMatch(/^D/);
    expect(textOf(told.args)).toContain("slow-dm-edited");
    expect((await app.keyward.services.keys.get(admin, key.id)).name).toBe("slow-dm-edited");
  });

  it("roll: answers in time, then delivers the replacement once; the old key works through its grace", async () => {
    const userId = await freshAdmin();
    const { key, secret: old } = await app.keyward.services.keys.create(admin, { name: "slow-roll", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await openInFake(
      rollKeyModal({
        ...key,
        defaultDay: "2030-01-01",
        lifetimeDays: 90,
        timeZone: "UTC",
        privateMetadata: encodeSecretFormMetadata({ channelId }, { keyId: key.id }),
      }),
    );
    app.fake.failNext("users.info", { delayMs: 4000 });
    const since = app.fake.mark();
    const submitted = await app.driver.viewSubmission({ userId, view, answers: { grace: { value: "24" } } });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("is ready");
    const delivery = app.fake.callsSince(since, "chat.postEphemeral").find((c) => secretIn(c) && textOf(c.args).includes("Replaces"));
    const secret = secretIn(delivery!)!;
    expect(await verifyWhenActive(app, secret)).toMatchObject({ valid: true, key: { name: "slow-roll" } });
    expect((await app.keyward.services.keys.verify(old)).valid).toBe(true);
    await expectSecretOnlyDeliveredOnce(app, secret);
  });

  it("delete confirm: the button is acknowledged at once, then the key is deleted and the person told", async () => {
    const userId = await freshAdmin();
    const { key, secret } = await app.keyward.services.keys.create(admin, { name: "slow-delete", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    app.fake.failNext("users.info", { delayMs: 4000 });
    const pressed = await app.driver.blockAction({
      userId,
      actionId: "keyward.key.ask_delete",
      blockId: "delete_actions",
      value: key.id,
      channelId,
      messageTs: "1790000000.000200",
      message: { blocks: [] } as never,
    });
    expect(pressed.status).toBe(200);
    expect(pressed.elapsedMs).toBeLessThan(3000);
    const answer = await app.driver.waitForResponse(pressed, { timeoutMs: 15_000 });
    expect(textOf(answer.body)).toContain("Deleted slow-delete");
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("role assign: answers in time, then assigns the role and says so", async () => {
    const userId = await freshAdmin();
    const target = app.addUser({ id: "USLOWTGT1" });
    const roles = await app.keyward.services.roles.assignable(admin);
    const view = await openInFake(assignRoleModal(roles));
    const manager = roles.find((r) => r.name === "Manager")!;
    app.fake.failNext("users.info", { delayMs: 4000 });
    const submitted = await app.driver.viewSubmission({ userId, view, answers: { user: { value: target }, role: { value: manager.id } } });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("now holds Manager");
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, target, { isWorkspaceAdmin: false }, "slack");
    expect(actor.roleName).toBe("Manager");
  });

  it("integration add: answers in time, then adds the configuration and says so", async () => {
    const userId = await freshAdmin();
    const view = await openInFake(addIntegrationModal({ timeZone: "UTC", privateMetadata: encodeIntegrationMetadata({}) }));
    app.fake.failNext("users.info", { delayMs: 4000 });
    const submitted = await app.driver.viewSubmission({
      userId,
      view,
      answers: { integration: { value: "github" }, alias: { value: "slow-github" }, secret: { value: "ghp_slowslowslow1234" } },
    });
    expectAnsweredInTime(submitted);
    expect(await finalText(String(view.id))).toContain("slow-github");
    expect((await app.keyward.services.integrations.get(admin, "github", "slow-github")).alias).toBe("slow-github");
    expect(textOf(app.fake.calls.map((c) => c.args))).not.toContain("ghp_slowslowslow1234");
  });

  it("a fast Slack still gets the ordinary answer (inline errors keep the form)", async () => {
    const userId = await freshAdmin();
    await app.keyward.services.keys.create(admin, { name: "fast-taken", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const view = await createForm();
    const submitted = await app.driver.viewSubmission({ userId, view, answers: { name: { value: "fast-taken" }, role: { value: roleValue(view, "Viewer") } } });
    expect(submitted.json).toEqual({ response_action: "errors", errors: { name: "Choose a name no other live key has." } });
  });
});
