import { describe, expect, it } from "vitest";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { createKeyThroughSlack, secretIn, textOf, verifyWhenActive } from "./slack-flow-helpers.ts";

/** SPEC rules 3 and 4: the secret reaches its creator once, by the first route that works, or the key dies. */
describe("one-time delivery of a new key's secret", () => {
  const admin = "UDELIVER1";
  const { app } = useSlackApp({
    people: [{ id: admin, isAdmin: true }],
    channels: [{ id: "CNOTIN001", name: "elsewhere", members: [admin], botIsMember: false }],
    warmUp: true,
  });

  it("shows the secret through the command's response_url, where the person typed, when the app is not in the channel; no DM", async () => {
    app.fake.reset();
    const { ack, submitted, mark } = await createKeyThroughSlack(app, admin, { name: "url-route", role: "Viewer" }, { channelId: "CNOTIN001" });
    // Seen where they typed: the form simply closes onto it.
    expect(submitted.json).toEqual({ response_action: "clear" });
    // What was not called below is asked once the app has finished the submission.
    await app.idle();
    const [refused] = app.fake.callsSince(mark, "chat.postEphemeral");
    expect(refused!.response.error).toBe("not_in_channel");
    const delivered = await app.driver.waitForResponse(ack);
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ response_type: "ephemeral", replace_original: false });
    const secret = /kw_[0-9A-Za-z]{40}/.exec(JSON.stringify(delivered.body))![0];
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    // The response_url came before the DM, and worked: the DM was never opened nor posted to.
    expect(app.fake.callsSince(mark, "conversations.open")).toHaveLength(0);
    expect(app.fake.callsSince(mark, "chat.postEphemeral")).toHaveLength(1);
    expect(app.fake.calls.filter((c) => c.response.ok && textOf(c.args).includes(secret))).toHaveLength(0);
    expect(app.driver.responses.filter((r) => textOf(r.body).includes(secret))).toHaveLength(1);
    expect(textOf(submitted.json)).not.toContain(secret);
    expect(app.logs.join("\n")).not.toContain(secret);
    expect(await app.dump()).not.toContain(secret);
  });

  it("falls back to the DM when channel and response_url both refuse, and the form says where, with a link", async () => {
    app.fake.reset();
    app.driver.failNextResponse(404);
    const { submitted, mark } = await createKeyThroughSlack(app, admin, { name: "dm-route", role: "Viewer" }, { channelId: "CNOTIN001" });
    await app.idle();
    const calls = app.fake.callsSince(mark, "chat.postEphemeral");
    expect(calls[0]!.response.error).toBe("not_in_channel");
    const dm = calls.find((c) => String(c.args.channel).startsWith("D") && c.response.ok)!;
    const secret = secretIn(dm)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);
    // Not where they typed: the form turns into a notice naming the DM, linking to it, and saying how long it stays.
    const answer = submitted.json as { response_action: string; view: Record<string, unknown> };
    expect(answer.response_action).toBe("update");
    expect(blockKitViolations("modal", answer.view)).toEqual([]);
    const text = textOf(answer.view);
    expect(text).toContain("direct messages with keyward");
    expect(text).toContain(`https://slack.com/app_redirect?app=${app.fake.appId}&team=${app.fake.teamId}`);
    expect(text).toContain("gone once Slack reloads");
    expect(text).not.toContain(secret);
    expect(app.fake.calls.filter((c) => c.response.ok && textOf(c.args).includes(secret))).toHaveLength(1);
  });

  it("deletes the key and tells the creator when no route works", async () => {
    app.fake.reset();
    // Channel: the app is not in it; response_url: refused; DM: the account is disabled.
    app.driver.failNextResponse(404);
    app.fake.failNext("conversations.open", { error: "user_disabled" });
    const keysBefore = await app.keyward.db.prisma.apiKey.count({ where: { deletedAt: null } });
    const { ack, submitted } = await createKeyThroughSlack(app, admin, { name: "lost-key", role: "Viewer" }, { channelId: "CNOTIN001" });
    const deleted = await app.keyward.db.prisma.apiKey.findFirst({ where: { name: "lost-key", deletedAt: { not: null } } });
    expect(deleted).not.toBeNull();
    expect(await app.keyward.db.prisma.apiKey.count({ where: { deletedAt: null } })).toBe(keysBefore);
    const audit = await app.keyward.db.prisma.auditEvent.findFirst({ where: { targetId: deleted!.id, action: "api_key.delete" } });
    expect(audit?.details).toMatchObject({ reason: "delivery_failed" });
    // The form says so in place of itself...
    expect(submitted.json).toMatchObject({ response_action: "update", view: { title: { text: "Not created" } } });
    expect(textOf(submitted.json)).toContain("removed again");
    // ...and the creator hears it where they typed too (the response_url, the one route left working).
    const told = await app.driver.waitForResponsesTo(ack, 2);
    expect(told[0]!.status).toBe(404);
    expect(textOf(told[1]!.body)).toContain("was removed again");
    for (const seen of [textOf(told[1]!.body), textOf(submitted.json), textOf(app.fake.calls.filter((c) => c.response.ok))]) {
      expect(seen).not.toMatch(/kw_[0-9A-Za-z]{40}/);
    }
  });
  // From the Home tab (no channel, no response_url): test/slack/home-tab.e2e.test.ts.
});
