import { describe, expect, it } from "vitest";
import { channelId } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { createKeyThroughSlack, secretIn, verifyWhenActive } from "../slack/slack-flow-helpers.ts";

describe("Slack misbehaving", () => {
  const admin = "UFAULTS01";
  const { app } = useSlackApp({ people: [{ id: admin, isAdmin: true }] });

  it("waits out a 429 with Retry-After and delivers the secret once", async () => {
    app.fake.reset();
    app.fake.failNext("chat.postEphemeral", { status: 429, retryAfter: 1 });
    const { mark } = await createKeyThroughSlack(app, admin, { name: "after-429", role: "Viewer" });
    // The retry after Retry-After runs in the submission's own work: all there once the app has finished it.
    await app.idle({ timeoutMs: 15_000 });
    const calls = app.fake.callsSince(mark, "chat.postEphemeral");
    expect(calls[0]!.status).toBe(429);
    const delivered = calls.filter((c) => c.response.ok);
    expect(delivered).toHaveLength(1);
    expect((await verifyWhenActive(app, secretIn(delivered[0]!)!)).valid).toBe(true);
  });

  it("retries a 5xx and delivers once", async () => {
    app.fake.reset();
    app.fake.failNext("chat.postEphemeral", { status: 503 });
    const { mark } = await createKeyThroughSlack(app, admin, { name: "after-503", role: "Viewer" });
    await app.idle({ timeoutMs: 15_000 });
    const calls = app.fake.callsSince(mark, "chat.postEphemeral");
    expect(calls.filter((c) => c.response.ok)).toHaveLength(1);
  });

  it("acknowledges at once and logs, without crashing, when Slack says invalid_auth", async () => {
    app.fake.reset();
    app.fake.failNext("views.open", { error: "invalid_auth" });
    const since = app.logMark();
    const ack = await app.driver.command({ userId: admin, text: "create", channelId });
    expect(ack.status).toBe(200);
    expect(ack.elapsedMs).toBeLessThan(3000);
    await app.fake.waitForCall("views.open", (c) => c.args.trigger_id === ack.sent.trigger_id);
    await app.waitForLogs("invalid_auth", 1, { since, timeoutMs: 5000 });
    expect(app.logs.some((l) => l.includes("invalid_auth"))).toBe(true);
    // Still serving.
    expect((await app.driver.command({ userId: admin, text: "help", channelId })).status).toBe(200);
  });

  it("acknowledges within 3 s even when Slack is slow to answer the app's own calls", async () => {
    app.fake.reset();
    app.fake.failNext("users.info", { delayMs: 4000 });
    const ack = await app.driver.command({ userId: "USLOWUSER", text: "list", channelId });
    expect(ack.status).toBe(200);
    expect(ack.elapsedMs).toBeLessThan(3000);
  });
});
