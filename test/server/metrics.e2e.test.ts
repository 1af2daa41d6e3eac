import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { botToken, channelId, signingSecret, startTestApp, type TestApp } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { parsePrometheusText, sumOf, sampleValue, type Sample } from "../support/prometheus-text.ts";
import { createKeyThroughSlack, secretIn, verifyWhenActive } from "../slack/slack-flow-helpers.ts";

/**
 * Issue 11 item 3's Done-when: the real app with METRICS_PORT, driven through Slack, REST, /verify
 * and a reminder pass; each is found counted on the metrics port, and nothing that names a key,
 * a person or a workspace (or any secret) is found there.
 */
describe("GET /metrics on METRICS_PORT", () => {
  let app: TestApp;
  const adminId = "UMETRICS01";
  const clock = new ManualClock(new Date("2026-11-27T15:00:00Z"));
  let secret: string;
  let keyId: string;

  beforeAll(async () => {
    app = await startTestApp({ clock, metrics: true });
    app.addUser({ id: adminId, isAdmin: true }); // America/New_York
  });
  afterAll(async () => {
    await app?.close();
  });

  const scrape = async (): Promise<{ text: string; samples: Sample[]; contentType: string | null }> => {
    const response = await fetch(`${app.keyward.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, samples: parsePrometheusText(text), contentType: response.headers.get("content-type") };
  };
  const rest = (path: string, init: RequestInit = {}) =>
    fetch(`${app.keyward.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...init.headers } });
  const verify = (key: string) => fetch(`${app.keyward.url}/api/v1/verify`, { method: "POST", body: JSON.stringify({ key }) });

  it("counts a Slack create with its one-time delivery, REST calls, verifies and reminder passes, and names no key, person or workspace", async () => {
    // Slack: /keys create, the form, the delivery. Expiring in two days, so a reminder is due.
    const { submitted } = await createKeyThroughSlack(app, adminId, { name: "metrics-bot", role: "Admin", expiresOn: "2026-11-29" });
    expect(submitted.json).toEqual({ response_action: "clear" });
    secret = secretIn((await app.fake.waitForCalls("chat.postEphemeral", 1))[0]!)!;
    expect((await verifyWhenActive(app, secret)).valid).toBe(true);

    // REST: a list, one key by id (the template is the label, not the id), a path no route has.
    const list = await rest("/api-keys");
    expect(list.status).toBe(200);
    keyId = ((await list.json()) as { data: Array<{ id: string }> }).data[0]!.id;
    expect((await rest(`/api-keys/${keyId}`)).status).toBe(200);
    expect((await rest(`/api-keys/${keyId}-gone`)).status).toBe(404);
    expect((await rest(`/no-such/${keyId}`)).status).toBe(404);

    // /verify: valid, malformed, and a well-formed unknown key twice.
    expect(await (await verify(secret)).json()).toMatchObject({ valid: true });
    expect(await (await verify("kw_nope")).json()).toMatchObject({ valid: false, reason: "malformed" });
    const forged = generateKey(cryptoRandom);
    for (let i = 0; i < 2; i++) expect(await (await verify(forged)).json()).toMatchObject({ valid: false, reason: "unknown" });

    // Reminders: the first post fails (Slack answers 500, no retries on the reminder client), the next pass sends it.
    app.fake.failNext("chat.postMessage", { status: 500 });
    const first = await app.keyward.reminders!.runPass();
    expect(first).toMatchObject({ claimed: 1, retryLater: 1, sent: 0 });
    const second = await app.keyward.reminders!.runPass();
    expect(second).toMatchObject({ claimed: 1, sent: 1 });

    const { text, samples, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);

    // HTTP on the main port, by route template and status.
    const http = (method: string, route: string, status: string) => sampleValue(samples, "keyward_http_requests_total", { method, route, status });
    expect(http("GET", "/api/v1/api-keys", "200")).toBe(1);
    expect(http("GET", "/api/v1/api-keys/{id}", "200")).toBe(1);
    expect(http("GET", "/api/v1/api-keys/{id}", "404")).toBe(1);
    expect(http("GET", "unmatched", "404")).toBe(1);
    expect(http("POST", "/api/v1/verify", "200")).toBe(4);
    expect(http("POST", "/slack/events", "200")).toBe(2); // the command and the form submission
    expect(sampleValue(samples, "keyward_http_request_duration_seconds_count", { method: "POST", route: "/api/v1/verify" })).toBe(4);

    // Slack acks by kind, and Web API calls by client, method and outcome.
    expect(sampleValue(samples, "keyward_slack_ack_duration_seconds_count", { kind: "command" })).toBe(1);
    expect(sampleValue(samples, "keyward_slack_ack_duration_seconds_count", { kind: "view_submission" })).toBe(1);
    const slackCalls = (labels: Record<string, string>) => sumOf(samples, "keyward_slack_api_calls_total", labels);
    expect(slackCalls({ client: "bolt", method: "views.open", code: "ok" })).toBe(1);
    expect(slackCalls({ client: "bolt", method: "chat.postEphemeral", code: "ok" })).toBe(1);
    expect(slackCalls({ client: "reminders", method: "chat.postMessage", code: "http_5xx" })).toBe(1);
    expect(slackCalls({ client: "reminders", method: "chat.postMessage", code: "ok" })).toBe(1);
    expect(slackCalls({ client: "bolt" })).toBe(app.fake.calls.length - slackCalls({ client: "reminders" }) - 1); // all but the start-up auth.test

    // Verifications by use, outcome and reason; the cache's answers.
    const verified = (use: string, outcome: string, reason: string) => sampleValue(samples, "keyward_key_verifications_total", { use, outcome, reason });
    expect(verified("verify", "valid", "none")).toBe(1);
    expect(verified("verify", "refused", "malformed")).toBe(1);
    expect(verified("verify", "refused", "unknown")).toBe(2);
    expect(verified("verify", "refused", "expired")).toBe(0);
    expect(verified("bearer", "valid", "none")).toBe(4);
    expect(sampleValue(samples, "keyward_verify_cache_lookups_total", { result: "filtered" })).toBe(2);
    expect(sampleValue(samples, "keyward_verify_cache_lookups_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, "keyward_verify_cache_lookups_total", { result: "miss" })).toBeGreaterThanOrEqual(1);

    // Reminder passes and what became of their claims.
    expect(sampleValue(samples, "keyward_reminder_passes_total", { result: "completed" })).toBe(2);
    expect(sampleValue(samples, "keyward_reminder_passes_total", { result: "failed" })).toBe(0);
    expect(sampleValue(samples, "keyward_reminder_claims_total")).toBe(2);
    expect(sampleValue(samples, "keyward_reminder_deliveries_total", { outcome: "retry_later" })).toBe(1);
    expect(sampleValue(samples, "keyward_reminder_deliveries_total", { outcome: "sent" })).toBe(1);
    expect(sampleValue(samples, "keyward_reminder_deliveries_total", { outcome: "undeliverable" })).toBe(0);
    expect(sampleValue(samples, "keyward_reminder_pass_duration_seconds_count")).toBe(2);

    // The database, and the process.
    expect(sampleValue(samples, "keyward_database_up")).toBe(1);
    expect(sampleValue(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);

    // Nothing that names a key, a person, a channel or a workspace; no secret of any kind.
    for (const forbidden of [secret, secret.slice(3, 20), keyId, adminId, app.fake.teamId, channelId, botToken, signingSecret, forged]) {
      expect(text).not.toContain(forbidden);
    }
  });

  it("is not served on the main port, and serves nothing else on its own", async () => {
    expect((await fetch(`${app.keyward.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${app.keyward.metricsUrl}/`)).status).toBe(404);
    expect((await fetch(`${app.keyward.metricsUrl}/metrics`, { method: "POST" })).status).toBe(404);
    const { samples } = await scrape();
    // The main port's 404 for /metrics is counted as unmatched, not under a path of its own.
    expect(samples.filter((s) => s.name === "keyward_http_requests_total" && s.labels.route === "/metrics")).toEqual([]);
  });
});

describe("without METRICS_PORT", () => {
  it("serves no metrics anywhere and counts nothing", async () => {
    const app = await startTestApp();
    try {
      expect(app.keyward.metricsUrl).toBeUndefined();
      expect((await fetch(`${app.keyward.url}/metrics`)).status).toBe(404);
      expect(app.logs.join("\n")).not.toContain("GET /metrics");
    } finally {
      await app.close();
    }
  });
});
