import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { createKeyThroughSlack, secretIn, verifyWhenActive } from "../slack/slack-flow-helpers.ts";

describe("Slack misbehaving", () => {
  let app: TestApp;
  let admin: string;
  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "UFAULTS01", isAdmin: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("waits out a 429 with Retry-After and delivers the secret once", async () => {
    app.fake.reset();
    app.fake.failNext("chat.postEphemeral", { status: 429, retryAfter: 1 });
    await createKeyThroughSlack(app, admin, { name: "after-429", role: "Viewer" });
    const calls = await app.fake.waitForCalls("chat.postEphemeral", 2, 15_000);
    expect(calls[0]!.status).toBe(429);
    const delivered = calls.filter((c) => c.response.ok);
    expect(delivered).toHaveLength(1);
    expect((await verifyWhenActive(app, secretIn(delivered[0]!)!)).valid).toBe(true);
  });

  it("retries a 5xx and delivers once", async () => {
    app.fake.reset();
    app.fake.failNext("chat.postEphemeral", { status: 503 });
    await createKeyThroughSlack(app, admin, { name: "after-503", role: "Viewer" });
    const calls = await app.fake.waitForCalls("chat.postEphemeral", 2, 15_000);
    expect(calls.filter((c) => c.response.ok)).toHaveLength(1);
  });

  it("acknowledges at once and logs, without crashing, when Slack says invalid_auth", async () => {
    app.fake.reset();
    app.fake.failNext("views.open", { error: "invalid_auth" });
    const ack = await app.driver.command({ userId: admin, text: "create", channelId });
    expect(ack.status).toBe(200);
    expect(ack.elapsedMs).toBeLessThan(3000);
    await app.fake.waitForCalls("views.open", 1);
    const deadline = Date.now() + 5000;
    while (!app.logs.some((l) => l.includes("invalid_auth")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
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
