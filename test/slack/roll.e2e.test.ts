import { describe, expect, it } from "vitest";
import { dayIn } from "../../src/domain/expiry.ts";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { expectSecretOnlyDeliveredOnce, modalFor, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

describe("/keys roll through the real receiver", () => {
  const admin = "UROLLER01";
  const { app } = useSlackApp({ people: [{ id: admin, isAdmin: true }] });

  async function rollThroughSlack(name: string, graceHours: string, where = channelId, expiresOn?: string) {
    const view = await modalFor(app, await app.driver.command({ userId: admin, text: `roll ${name}`, channelId: where }));
    expect(view.callback_id).toBe("keyward.key.roll");
    return app.driver.viewSubmission({
      userId: admin,
      view,
      answers: { grace: { value: graceHours }, ...(expiresOn ? { expires_on: { value: expiresOn } } : {}) },
    });
  }

  it("issues a replacement shown once; the old key works through the grace period", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const { key, secret: old } = await app.keyward.services.keys.create(actor, {
      name: "rolled-in-slack",
      role: "Manager",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
    const mark = app.fake.mark();
    const submitted = await rollThroughSlack("rolled-in-slack", "24", channelId, "2031-06-30");
    expect(submitted.json).toEqual({ response_action: "clear" });
    const delivery = await app.fake.waitForCall("chat.postEphemeral", (c) => c.args.user === admin, { since: mark });
    const secret = secretIn(delivery!)!;
    expect(secret).not.toBe(old);
    expect(textOf(delivery!.args)).toContain(`Replaces`);
    // Renewed: the end of the chosen day in the roller's zone (America/New_York), not the old key's expiry.
    const renewed = await verifyWhenActive(app, secret);
    expect(renewed).toMatchObject({ valid: true, key: { name: "rolled-in-slack", roleName: "Manager" } });
    expect(renewed.key!.expiresAt.toISOString()).toBe("2031-07-01T03:59:59.999Z");
    expect(renewed.key!.expiresAt.toISOString()).not.toBe(key.expiresAt.toISOString());
    const oldNow = await app.keyward.services.keys.verify(old);
    expect(oldNow.valid).toBe(true);
    const worksUntil = oldNow.key!.expiresAt.getTime();
    expect(Math.abs(worksUntil - (Date.now() + 24 * 3600_000))).toBeLessThan(60_000);
    await expectSecretOnlyDeliveredOnce(app, secret);
    // The name now means the replacement.
    expect((await app.keyward.services.keys.find(actor, "rolled-in-slack")).id).not.toBe(key.id);
  });

  it("a key of a four-eyes role is not offered the roll form (the refusal says to use /keys request); nothing is written", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.keys.create(actor, { name: "four-eyes-roll", role: "Manager", expiresOn: "2030-01-01", timeZone: "UTC" });
    await app.keyward.services.policies.update(actor, { approvalRoles: ["Manager"] });
    try {
      const before = await app.dump();
      const view = await modalFor(app, await app.driver.command({ userId: admin, text: "roll four-eyes-roll", channelId }));
      expect(view.callback_id).not.toBe("keyward.key.roll");
      expect(textOf(view)).toContain("cannot be rolled directly");
      expect(textOf(view)).toContain("/keys request");
      expect(await app.dump()).toBe(before);
    } finally {
      await app.keyward.services.policies.update(actor, { approvalRoles: [] });
    }
  });

  it("refuses a day in the past on the form's expiry field, and rolls nothing", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const { key } = await app.keyward.services.keys.create(actor, { name: "rolled-to-the-past", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const keys = await app.keyward.db.prisma.apiKey.count();
    const submitted = await rollThroughSlack("rolled-to-the-past", "24", channelId, "2020-01-01");
    expect(submitted.json).toMatchObject({ response_action: "errors", errors: { expires_on: expect.stringContaining("Choose today or a later day") } });
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keys);
    expect((await app.keyward.services.keys.get(actor, key.id)).replacedBy).toBeNull();
  });

  it("refuses, on the form's expiry field, a day that ends before the old key's grace does, and rolls nothing", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const { key } = await app.keyward.services.keys.create(actor, { name: "rolled-too-short", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const keys = await app.keyward.db.prisma.apiKey.count();
    // Today in the roller's zone, with 7 days of grace: the new key would expire first and free the name.
    const submitted = await rollThroughSlack("rolled-too-short", "168", channelId, dayIn(new Date(), "America/New_York"));
    expect(submitted.json).toMatchObject({
      response_action: "errors",
      errors: { expires_on: expect.stringContaining("or later: the old key works until then") },
    });
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keys);
    expect((await app.keyward.services.keys.get(actor, key.id)).replacedBy).toBeNull();
  });

  it("undoes the roll when the new secret cannot be delivered: the old key is back with its original expiry", async () => {
    const actor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    const { key, secret: old } = await app.keyward.services.keys.create(actor, {
      name: "undeliverable-roll",
      role: "Viewer",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
    app.fake.reset();
    app.fake.addChannel({ id: "CNOBOT001", members: [admin], botIsMember: false });
    app.fake.failNext("conversations.open", { error: "user_disabled", times: 2 });
    app.driver.failNextResponse(500);
    // The replacement would have expired on a day of its own: the old key gets its own back, not that one.
    await rollThroughSlack("undeliverable-roll", "0", "CNOBOT001", "2031-06-30");
    // The roll is undone in the submission's own work: done once the app has finished it.
    await app.idle();
    const restored = await app.keyward.services.keys.verify(old);
    expect(restored).toMatchObject({ valid: true, key: { id: key.id, replacedBy: null } });
    expect(restored.key!.expiresAt.toISOString()).toBe(key.expiresAt.toISOString());
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "undeliverable-roll", deletedAt: null } })).toBe(1);
  });
});
