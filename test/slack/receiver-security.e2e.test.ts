import { describe, expect, it } from "vitest";
import { channelId, signingSecret } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { FORM_CONTENT_TYPE, signSlackRequest, type DriverResponse } from "../support/slack-driver.ts";

describe("the Slack receiver refuses what Slack did not sign", () => {
  const admin = "USECURE1";
  const { app } = useSlackApp({ people: [{ id: admin, isAdmin: true }] });

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
    const mark = app.fake.mark();
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
    // Nothing happens: asked once the app has finished every request it was handed (a refused one never is).
    await app.idle();
    expect(app.fake.callsSince(mark)).toHaveLength(0);
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
    const acks: DriverResponse[] = [];
    for (let i = 0; i < 20; i++) {
      const ack = await app.driver.command({ userId: admin, text: "list", channelId });
      expect(ack.status).toBe(200);
      acks.push(ack);
    }
    await Promise.all(acks.map((ack) => app.driver.waitForResponse(ack, { timeoutMs: 5000 })));
    expect(Math.max(...acks.map((ack) => ack.elapsedMs))).toBeLessThan(3000);
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
