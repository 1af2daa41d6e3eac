import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelId, signingSecret, startTestApp, type TestApp } from "../support/app-harness.ts";
import { FORM_CONTENT_TYPE, signSlackRequest } from "../support/slack-driver.ts";

describe("the Slack receiver refuses what Slack did not sign", () => {
  let app: TestApp;
  let admin: string;
  beforeAll(async () => {
    app = await startTestApp();
    admin = app.addUser({ id: "USECURE1", isAdmin: true });
  });
  afterAll(async () => {
    await app?.close();
  });

  const commandBody = () =>
    new URLSearchParams({
      token: "x",
      team_id: app.fake.teamId,
      team_domain: "t",
      channel_id: channelId,
      channel_name: "platform",
      user_id: admin,
      user_name: "admin",
      command: "/keys",
      text: "create",
      response_url: app.driver.responseUrl(),
      trigger_id: app.fake.issueTrigger(),
      api_app_id: app.fake.appId,
    }).toString();

  it("answers 401 to a bad signature, a missing one, another secret, and a stale timestamp; nothing happens", async () => {
    const calls = app.fake.calls.length;
    const body = commandBody();
    const now = Math.floor(Date.now() / 1000);
    const attempts = [
      await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, signature: `v0=${"0".repeat(64)}` }),
      await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, signature: null }),
      await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, timestamp: null }),
      await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, secret: "not-the-signing-secret" }),
      // A replay: correctly signed once, sent again six minutes later.
      await app.driver.send(body, { contentType: FORM_CONTENT_TYPE, timestamp: now - 360, signature: signSlackRequest(signingSecret, now - 360, body) }),
    ];
    expect(attempts.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 100));
    expect(app.fake.calls.length).toBe(calls);
  });

  it("answers a re-signed body with tampered text as a mismatch", async () => {
    const body = commandBody();
    const now = Math.floor(Date.now() / 1000);
    const signature = signSlackRequest(signingSecret, now, body);
    const tampered = body.replace("text=create", "text=delete+x");
    const result = await app.driver.send(tampered, { contentType: FORM_CONTENT_TYPE, timestamp: now, signature });
    expect(result.status).toBe(401);
  });

  it("acknowledges commands well inside Slack's 3 seconds", async () => {
    const timings: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ack = await app.driver.command({ userId: admin, text: "list", channelId });
      expect(ack.status).toBe(200);
      timings.push(ack.elapsedMs);
    }
    await app.driver.waitForResponses(20, 5000);
    expect(Math.max(...timings)).toBeLessThan(3000);
  });

  it("serves /healthz and answers unknown paths with a JSON 404", async () => {
    const health = await fetch(`${app.keyward.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const missing = await fetch(`${app.keyward.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "not_found" } });
  });
});
