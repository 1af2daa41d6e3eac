import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiHandler } from "../../src/api/api-handler.ts";
import { FailedAuthentications } from "../../src/api/failed-authentications.ts";
import type { DomainServices } from "../../src/domain/index.ts";
import { systemClock } from "../../src/domain/runtime.ts";
import { createLogger } from "../../src/logger.ts";
import { methodLabel, observeRequests, routeLabel } from "../../src/server/http-metrics.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { observedFetch, requestKindOf, slackCodeOf, slackMethodOf } from "../../src/slack/slack-telemetry.ts";
import { parsePrometheusText } from "../support/prometheus-text.ts";

// What a label must never carry: ids of keys, people, workspaces and channels, tokens, free text.
const keyId = "0193a5b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b";
const hostile = [keyId, "U0SECRETUSER", "T0SECRETTEAM", "C0SECRETCHAN", "xoxb-secret-token", "kw_", "prod-stripe", "wp-admin", "hooks"];

const api = createApiHandler({
  services: {} as DomainServices, // routes only: nothing is handled here
  logger: createLogger("silent"),
  failedAuth: new FailedAuthentications(systemClock, 20, []),
});
const request = (url: string, method = "GET") => ({ url, method }) as IncomingMessage;

describe("label hygiene", () => {
  it("labels requests by route template, never by the path a caller sent", () => {
    const cases: Array<[string, string, string]> = [
      ["GET", `/api/v1/api-keys/${keyId}`, "/api/v1/api-keys/{id}"],
      ["POST", `/api/v1/api-keys/${keyId}/roll`, "/api/v1/api-keys/{id}/roll"],
      ["PUT", `/api/v1/api-keys/${keyId}`, "/api/v1/api-keys/{id}"], // 405: still its route
      ["GET", "/api/v1/integrations/stripe/configurations/prod-stripe?reveal=true", "/api/v1/integrations/{integration}/configurations/{alias}"],
      ["GET", "/api/v1/openapi.json", "/api/v1/openapi.json"],
      ["GET", `/api/v1/no-such/${keyId}`, "unmatched"],
      ["GET", "/api/v1", "unmatched"],
      ["GET", "/wp-admin/setup.php", "unmatched"],
      ["GET", "/metrics", "unmatched"],
      ["GET", "/healthz?probe=U0SECRETUSER", "/healthz"],
      ["GET", "/readyz", "/readyz"],
      ["POST", "/slack/events", "/slack/events"],
      ["POST", "/slack/hooks/T0SECRETTEAM", "unmatched"],
    ];
    expect(cases.map(([method, url]) => routeLabel(request(url, method), api.routeOf))).toEqual(cases.map(([, , label]) => label));
  });

  it("keeps only the usual HTTP methods", () => {
    expect(["get", "POST", "delete", "BREW", "G\nET", "", undefined].map(methodLabel)).toEqual(["GET", "POST", "DELETE", "other", "other", "other", "other"]);
  });

  it("names Slack calls by Web API method only; a response_url or odd path is non_api", () => {
    const apiUrl = "https://slack.com/api/";
    expect(slackMethodOf(`${apiUrl}chat.postMessage`, apiUrl)).toBe("chat.postMessage");
    expect(slackMethodOf(`${apiUrl}admin.users.session.list?token=xoxb-secret-token`, apiUrl)).toBe("admin.users.session.list");
    expect(slackMethodOf("https://hooks.slack.com/actions/T0SECRETTEAM/123/abcdef", apiUrl)).toBe("non_api");
    expect(slackMethodOf(`${apiUrl}../T0SECRETTEAM/x`, apiUrl)).toBe("non_api");
    expect(slackMethodOf(`${apiUrl}users.info/U0SECRETUSER`, apiUrl)).toBe("non_api");
    expect(slackMethodOf(`${apiUrl}chat`, apiUrl)).toBe("non_api");
  });

  it("passes on Slack's error codes, and nothing that does not look like one", async () => {
    const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    expect(await slackCodeOf(json({ ok: true }), true)).toBe("ok");
    expect(await slackCodeOf(json({ ok: false, error: "channel_not_found" }), true)).toBe("channel_not_found");
    expect(await slackCodeOf(json({ ok: false, error: "user U0SECRETUSER not found" }), true)).toBe("unrecognised_error");
    expect(await slackCodeOf(json({ ok: false, error: "x".repeat(65) }), true)).toBe("unrecognised_error");
    expect(await slackCodeOf(json({ ok: false }), true)).toBe("invalid_response");
    expect(await slackCodeOf(new Response("<html>", { status: 200 }), true)).toBe("invalid_response");
    expect(await slackCodeOf(json({ ok: false, error: "ratelimited" }, 429), true)).toBe("ratelimited");
    expect(await slackCodeOf(new Response("upstream", { status: 503 }), true)).toBe("http_5xx");
    expect(await slackCodeOf(new Response("ok", { status: 200 }), false)).toBe("ok");
    // The caller still reads the whole body: the code was read from a clone.
    const response = json({ ok: false, error: "not_in_channel" });
    await slackCodeOf(response, true);
    expect(await response.json()).toEqual({ ok: false, error: "not_in_channel" });
  });

  it("sorts Slack requests into a closed set of kinds", () => {
    const bodies = [
      { command: "/keys", user_id: "U0SECRETUSER" },
      { type: "block_actions" },
      { type: "view_submission" },
      { type: "view_closed" },
      { type: "shortcut" },
      { type: "message_action" },
      { type: "block_suggestion" },
      { type: "event_callback", team_id: "T0SECRETTEAM" },
      { type: "T0SECRETTEAM" },
      { type: "toString" },
      null,
    ];
    expect(bodies.map(requestKindOf)).toEqual([
      "command",
      "action",
      "view_submission",
      "view_closed",
      "shortcut",
      "shortcut",
      "options",
      "event",
      "other",
      "other",
      "other",
    ]);
  });
});

describe("a registry fed hostile requests and Slack answers", () => {
  let slack: Server;
  let main: Server;
  let slackUrl: string;
  let mainUrl: string;
  const metrics = createMetrics();

  beforeAll(async () => {
    slack = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(req.url?.includes("users.info") ? { ok: false, error: "user_not_found U0SECRETUSER" } : { ok: true }));
    });
    main = createServer(
      observeRequests(
        (_req, res) => void res.writeHead(404).end(),
        metrics,
        (req) => routeLabel(req, api.routeOf),
      ),
    );
    const listen = (server: Server) =>
      new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
    slackUrl = `${await listen(slack)}/api/`;
    mainUrl = await listen(main);
  });
  afterAll(async () => {
    await new Promise((r) => slack.close(r));
    await new Promise((r) => main.close(r));
  });

  it("shows none of what the requests and answers carried", async () => {
    const fetchAs = observedFetch(slackUrl, metrics.slack("bolt"));
    await fetchAs(`${slackUrl}users.info`, { method: "POST", body: "user=U0SECRETUSER&token=xoxb-secret-token" });
    await fetchAs(`${slackUrl}chat.postMessage`, { method: "POST", body: "channel=C0SECRETCHAN" });
    await fetchAs(`${slackUrl.replace("/api/", "")}/hooks/T0SECRETTEAM/${keyId}`, { method: "POST" });
    for (const path of [
      `/api/v1/api-keys/${keyId}`,
      "/api/v1/integrations/stripe/configurations/prod-stripe",
      "/wp-admin/x?u=U0SECRETUSER",
      "/slack/T0SECRETTEAM",
    ]) {
      await fetch(`${mainUrl}${path}`, { headers: { authorization: "Bearer kw_secretsecret" } });
    }
    metrics.telemetry.keyChecked("bearer", "unknown");
    const { body } = await metrics.render();
    const samples = parsePrometheusText(body).filter((s) => s.name.startsWith("keyward_"));
    expect(samples.some((s) => s.name === "keyward_slack_api_calls_total" && s.labels.code === "unrecognised_error")).toBe(true);
    expect(samples.some((s) => s.name === "keyward_slack_api_calls_total" && s.labels.method === "non_api")).toBe(true);
    expect(samples.filter((s) => s.name === "keyward_http_requests_total").map((s) => s.labels.route)).toEqual([
      "/api/v1/api-keys/{id}",
      "/api/v1/integrations/{integration}/configurations/{alias}",
      "unmatched",
    ]);
    for (const text of hostile) expect(body).not.toContain(text);
  });
});

describe("prom-client stays out of an instance without METRICS_PORT", () => {
  const src = fileURLToPath(new URL("../../src/", import.meta.url));
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.startsWith("db/generated"));
  const read = (f: string) => readFileSync(join(src, f), "utf8");

  it("is imported by src/server/metrics.ts alone, which is only ever imported lazily", () => {
    expect(files.filter((f) => /from "prom-client"|import\("prom-client"\)/.test(read(f)))).toEqual(["server/metrics.ts"]);
    const importers = files.filter((f) => /["']\.\/metrics\.ts["']/.test(read(f)));
    expect(importers).toEqual(["server/app-metrics.ts"]);
    expect(read("server/app-metrics.ts")).toMatch(/await import\("\.\/metrics\.ts"\)/);
    expect(read("server/app-metrics.ts")).not.toMatch(/^import [^t].*"\.\/metrics\.ts"/m);
  });
});
