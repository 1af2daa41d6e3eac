// How reminder passes are wired: their own Web API client and the service over the database. Used
// by the server (src/server/keyward.ts) and by `npm run reminders` when it runs the pass itself.
import type { FetchFunction, WebClient } from "@slack/web-api";
import { type Config, reminderSlackTimeoutMs } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import { createPrismaStore } from "../db/prisma-store.ts";
import type { DomainContext } from "../domain/context.ts";
import type { ReminderMessages } from "../domain/reminder-messages.ts";
import { ReminderService } from "../domain/reminder-service.ts";
import type { Clock } from "../domain/runtime.ts";
import { boltLogger, type Logger } from "../logger.ts";
import { createSlackReminderNotifier } from "./slack-reminder-notifier.ts";

/** Reminders get their own WebClient: no retries, no waiting on rate limits; the next pass retries. */
export async function createReminderClient(config: Config, logger: Logger, fetch?: FetchFunction): Promise<WebClient> {
  const { WebClient } = await import("@slack/web-api");
  return new WebClient(config.slack.botToken, {
    slackApiUrl: config.slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: reminderSlackTimeoutMs,
    logger: boltLogger(logger),
    fetch,
  });
}

export function createReminderService(
  config: Config,
  db: Database,
  clock: Clock,
  logger: Logger,
  client: WebClient,
  messages?: ReminderMessages,
  telemetry?: DomainContext["telemetry"],
): ReminderService {
  return new ReminderService(
    createPrismaStore(db.prisma).reminders,
    createSlackReminderNotifier(client, logger),
    clock,
    config.reminders.days,
    200,
    config.reminders.leaseSeconds * 1000,
    undefined,
    messages,
    telemetry,
  );
}
