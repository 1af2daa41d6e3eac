// The one module that imports prom-client; ./app-metrics.ts loads it only when METRICS_PORT is set.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { KeyRefusal } from "../domain/access-service.ts";
import type { PassReport } from "../domain/reminder-service.ts";
import type { DomainTelemetry, KeyUse, VerifyLookup } from "../domain/telemetry.ts";
import type { SlackRequestKind, SlackTelemetry } from "../slack/slack-telemetry.ts";
import type { AppMetrics, SlackClientName } from "./app-metrics.ts";

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event loop lag, GC) in one registry per process, however many
 * apps a process starts (tests start many): collectDefaultMetrics starts a GC observer and an
 * event-loop monitor that cannot be stopped, so one set is made and shared.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const secondsBuckets = {
  http: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  // Slack wants an ack within 3 s; the form budget (ACK) is 2 s.
  ack: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5],
  slack: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  pass: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
};

const keyUses: KeyUse[] = ["verify", "bearer"];
const lookups: VerifyLookup[] = ["hit", "filtered", "miss"];
const refusals: KeyRefusal[] = ["malformed", "unknown", "expired", "deleted", "owner_inactive"];
const deliveryOutcomes = ["sent", "retry_later", "undeliverable", "taken_over", "obsolete"] as const;

/** A registry of this app's own (not prom-client's global default), so apps in one process never mix their counts. */
export function createMetrics(): AppMetrics {
  const registry = new Registry();
  const registers = [registry];
  const httpRequests = new Counter({
    name: "keyward_http_requests_total",
    help: "HTTP requests on the main port, by method, route template and status.",
    labelNames: ["method", "route", "status"],
    registers,
  });
  const httpDuration = new Histogram({
    name: "keyward_http_request_duration_seconds",
    help: "Time from a request's arrival on the main port to the end of its response.",
    labelNames: ["method", "route"],
    buckets: secondsBuckets.http,
    registers,
  });
  const slackAck = new Histogram({
    name: "keyward_slack_ack_duration_seconds",
    help: "Time from a verified Slack request reaching Bolt to its acknowledgement, by kind.",
    labelNames: ["kind"],
    buckets: secondsBuckets.ack,
    registers,
  });
  const slackCalls = new Counter({
    name: "keyward_slack_api_calls_total",
    help: "Slack Web API attempts by client, method and outcome (ok, Slack's error code, ratelimited, http_4xx/5xx, timeout, network_error).",
    labelNames: ["client", "method", "code"],
    registers,
  });
  const slackDuration = new Histogram({
    name: "keyward_slack_api_call_duration_seconds",
    help: "Time to the response headers of one Slack Web API attempt.",
    labelNames: ["client", "method"],
    buckets: secondsBuckets.slack,
    registers,
  });
  const telemetry = domainTelemetry(registers);
  let databaseUp: (() => Promise<boolean>) | undefined;
  new Gauge({
    name: "keyward_database_up",
    help: "1 when the database answered SELECT 1 within the readiness timeout (checked at most once a second), else 0.",
    registers,
    async collect() {
      if (databaseUp) this.set((await databaseUp()) ? 1 : 0);
    },
  });
  const slack = (client: SlackClientName): SlackTelemetry => ({
    acked: (kind: SlackRequestKind, seconds: number) => slackAck.observe({ kind }, seconds),
    apiCalled: (method, code, seconds) => {
      slackCalls.inc({ client, method, code });
      slackDuration.observe({ client, method }, seconds);
    },
  });
  return {
    telemetry,
    slack,
    httpRequest(method, route, status, seconds) {
      httpRequests.inc({ method, route, status });
      httpDuration.observe({ method, route }, seconds);
    },
    watchDatabase(isUp) {
      databaseUp = isUp;
    },
    async render() {
      // Ours first, then the process's; both registries use the same text format.
      return { contentType: registry.contentType, body: (await registry.metrics()) + (await processMetrics().metrics()) };
    },
  };
}

function domainTelemetry(registers: Registry[]): DomainTelemetry {
  const verifications = new Counter({
    name: "keyward_key_verifications_total",
    help: "Keys presented to POST /verify (use=verify) or as a REST bearer key (use=bearer), by outcome (valid, refused, error) and refusal reason.",
    labelNames: ["use", "outcome", "reason"],
    registers,
  });
  const cache = new Counter({
    name: "keyward_verify_cache_lookups_total",
    help: "Well-formed keys looked up: hit (verify cache), filtered (no key has its hash prefix; nothing read), miss (read from the database).",
    labelNames: ["result"],
    registers,
  });
  const passes = new Counter({ name: "keyward_reminder_passes_total", help: "Reminder passes, by result.", labelNames: ["result"], registers });
  const claims = new Counter({ name: "keyward_reminder_claims_total", help: "Reminder thresholds claimed by passes of this instance.", registers });
  const deliveries = new Counter({
    name: "keyward_reminder_deliveries_total",
    help: "What became of claimed reminders: sent, retry_later, undeliverable (given up), taken_over (by another pass), obsolete.",
    labelNames: ["outcome"],
    registers,
  });
  const passDuration = new Histogram({
    name: "keyward_reminder_pass_duration_seconds",
    help: "How long a completed reminder pass took.",
    buckets: secondsBuckets.pass,
    registers,
  });
  // Every series of a closed set starts at 0, so rate() and alerts see it before its first event.
  for (const use of keyUses) {
    verifications.inc({ use, outcome: "valid", reason: "none" }, 0);
    verifications.inc({ use, outcome: "error", reason: "none" }, 0);
    for (const reason of refusals) verifications.inc({ use, outcome: "refused", reason }, 0);
  }
  for (const result of lookups) cache.inc({ result }, 0);
  for (const result of ["completed", "failed"]) passes.inc({ result }, 0);
  for (const outcome of deliveryOutcomes) deliveries.inc({ outcome }, 0);
  return {
    keyChecked(use, result) {
      if (result === "valid" || result === "error") verifications.inc({ use, outcome: result, reason: "none" });
      else verifications.inc({ use, outcome: "refused", reason: result });
    },
    verifyLookup: (result) => cache.inc({ result }),
    reminderPass(report: PassReport) {
      passes.inc({ result: "completed" });
      claims.inc(report.claimed);
      const counts = {
        sent: report.sent,
        retry_later: report.retryLater,
        undeliverable: report.undeliverable,
        taken_over: report.takenOver,
        obsolete: report.obsolete,
      };
      for (const outcome of deliveryOutcomes) deliveries.inc({ outcome }, counts[outcome]);
      passDuration.observe(report.ms / 1000);
    },
    reminderPassFailed: () => passes.inc({ result: "failed" }),
  };
}
