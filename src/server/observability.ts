import type { IncomingMessage, ServerResponse } from "node:http";
import type { FetchFunction } from "@slack/web-api";
import type { ApiHandler } from "../api/api-handler.ts";
import { sendJson } from "../api/http-json.ts";
import type { SqlConnection } from "../db/sql-connection.ts";
import type { Logger } from "../logger.ts";
import { observedFetch } from "../slack/slack-telemetry.ts";
import { loadMetrics, type AppMetrics, type SlackClientName } from "./app-metrics.ts";
import { observeRequests, routeLabel } from "./http-metrics.ts";
import { startMetricsServer, type MetricsServer } from "./metrics-server.ts";
import { databaseReadiness, type Readiness } from "./readiness.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Metrics (with METRICS_PORT) and readiness, as the composition root wires them in. */
export interface Observability {
  /** Null without METRICS_PORT: nothing is counted and prom-client is never loaded. */
  metrics: AppMetrics | null;
  readiness: Readiness;
  /** A fetch that counts a WebClient's calls; undefined without metrics (the WebClient keeps its own). */
  slackFetch(client: SlackClientName, apiUrl: string): FetchFunction | undefined;
  /** The main port's handler with GET /readyz answered first, and every request counted when metrics are on. */
  serve(handler: Handler, api: ApiHandler): Handler;
  /** Starts GET /metrics on METRICS_PORT, if set; returns its URL. */
  listen(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function createObservability(
  { metricsPort, metricsHost }: { metricsPort?: number; metricsHost?: string },
  sql: SqlConnection,
  logger: Logger,
): Promise<Observability> {
  const metrics = metricsPort === undefined ? null : await loadMetrics();
  const readiness = databaseReadiness(sql);
  metrics?.watchDatabase(() => readiness.databaseUp());
  let server: MetricsServer | undefined;
  return {
    metrics,
    readiness,
    slackFetch: (client, apiUrl) => (metrics ? observedFetch(apiUrl, metrics.slack(client)) : undefined),
    serve(handler, api) {
      const withReadiness: Handler = (req, res) => {
        const path = (req.url ?? "/").split("?")[0];
        if (path !== "/readyz" || (req.method !== "GET" && req.method !== "HEAD")) return handler(req, res);
        void readiness.check().then((report) => answerReadiness(res, report));
      };
      return metrics ? observeRequests(withReadiness, metrics, (req) => routeLabel(req, api.routeOf)) : withReadiness;
    },
    async listen() {
      if (metrics && metricsPort !== undefined) server = await startMetricsServer(metricsPort, metricsHost, metrics, logger);
      return server?.url;
    },
    close: async () => server?.close(),
  };
}

/** 200 or 503 with which checks failed, as codes: never an error's text, a host or a connection string. */
function answerReadiness(res: ServerResponse, report: Awaited<ReturnType<Readiness["check"]>>): void {
  const body = { status: report.ready ? "ready" : "not_ready", failed: report.failed, checks: report.checks };
  sendJson(res, report.ready ? 200 : 503, body, { "cache-control": "no-store" });
}
