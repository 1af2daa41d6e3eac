// How reminders reach Slack: their own Web API client, the notifier that posts them, and the port
// that updates those already posted. Used by the server (src/server/keyward.ts) and by
// `npm run reminders` when it runs the pass itself; the pass is the domain's (createDomainServices).
import type { FetchFunction, WebClient } from "@slack/web-api";
import { type Config, reminderSlackTimeoutMs } from "../config/config.ts";
import type { ReminderNotifier } from "../domain/reminder-types.ts";
import type { Store } from "../domain/repositories.ts";
import { boltLogger, type Logger } from "../logger.ts";
import { createMessageLock } from "./reminder-message-parts.ts";
import { createSlackReminderMessages, type SlackReminderMessages } from "./slack-reminder-messages.ts";
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

/**
 * A server's reminder ports on one client: the notifier posts reminders, and after a rotation,
 * snooze or deletion (from Slack or REST alike, through the domain) the messages already posted
 * are updated on the same client.
 */
export function slackReminderPorts(
  client: WebClient,
  store: Pick<Store, "reminders" | "apiKeys">,
  logger: Logger,
): { reminderNotifier: ReminderNotifier; reminderMessages: SlackReminderMessages } {
  // One lock for both: a withdraw after a pass and a change's update of the same combined message queue on it.
  const lock = createMessageLock(store.reminders);
  return {
    reminderNotifier: createSlackReminderNotifier(client, logger, lock),
    reminderMessages: createSlackReminderMessages(client, store.reminders, logger, {
      describeKey: (workspaceId, keyId) => store.apiKeys.findStored(workspaceId, keyId),
      lock,
    }),
  };
}
