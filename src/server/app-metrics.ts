import type { DomainTelemetry } from "../domain/telemetry.ts";
import type { SlackTelemetry } from "../slack/slack-telemetry.ts";

/**
 * Which WebClient made a Slack call: Bolt's (listeners, respond()) or the reminders'. The one
 * auth.test at start-up is not counted: it runs before anything serves, and its failure stops start-up.
 */
export type SlackClientName = "bolt" | "reminders";

/**
 * The app's metrics, as the composition root sees them. Nothing here imports prom-client: the
 * implementation (./metrics.ts) is loaded only when METRICS_PORT is set, so an instance without
 * metrics pays neither its load time nor its memory.
 */
export interface AppMetrics {
  telemetry: DomainTelemetry;
  slack(client: SlackClientName): SlackTelemetry;
  /** route: a template or `unmatched`; status: the HTTP status, or `aborted` when the client left first. */
  httpRequest(method: string, route: string, status: string, seconds: number): void;
  /** keyward_database_up asks this at each scrape (the readiness check's cached answer). */
  watchDatabase(isUp: () => Promise<boolean>): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export async function loadMetrics(): Promise<AppMetrics> {
  const { createMetrics } = await import("./metrics.ts");
  return createMetrics();
}
