// How reminders reach Slack: their own Web API client, the notifier that posts them, and the port
// that updates those already posted. Used by the server (src/server/keyward.ts) and by
// `npm run reminders` when it runs the pass itself; the pass is the domain's (createDomainServices).
import type { FetchFunction, WebClient } from "@slack/web-api";
import { type Config, reminderSlackTimeoutMs } from "../config/config.ts";
import type { ReminderNotifier, ReminderOutcome } from "../domain/reminder-types.ts";
import type { Store } from "../domain/repositories.ts";
import { boltLogger, type Logger } from "../logger.ts";
import { createMessageLock, type MessageLock } from "./reminder-message-parts.ts";
import { createSlackReminderMessages, type SlackReminderMessages } from "./slack-reminder-messages.ts";
import { createSlackReminderNotifier, reminderGroups } from "./slack-reminder-notifier.ts";
import { remindersPerMessage } from "../slack/views/reminder-message.ts";

/**
 * Reminders get their own WebClient: no retries, no waiting on rate limits; the next pass retries.
 * `token`: OAuth installs, one client per workspace's token (reminderClientsByToken); default the bot token.
 */
export async function createReminderClient(config: Config, logger: Logger, fetch?: FetchFunction, token = config.slack.botToken): Promise<WebClient> {
  const { WebClient } = await import("@slack/web-api");
  return new WebClient(token, {
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
  clientFor?: ClientFor,
): { reminderNotifier: ReminderNotifier; reminderMessages: SlackReminderMessages } {
  // One lock for both: a withdraw after a pass and a change's update of the same combined message queue on it.
  const lock = createMessageLock(store.reminders);
  return {
    reminderNotifier: clientFor ? perWorkspaceNotifier(clientFor, logger, lock) : createSlackReminderNotifier(client, logger, lock),
    reminderMessages: createSlackReminderMessages(client, store.reminders, logger, {
      describeKey: (workspaceId, keyId) => store.apiKeys.findStored(workspaceId, keyId),
      lock,
      clientFor,
    }),
  };
}

/** OAuth installs: the reminder client of a workspace, with its own installation's token (null: not installed). */
export type ClientFor = (workspaceId: string) => Promise<WebClient | null>;

/**
 * One client per token, made on first use; a refreshed or reinstalled token gets a new one. A
 * workspace with no installation (uninstalled while an event was lost, or used before OAuth in
 * single-token mode) is paused through `notInstalled`, as an uninstall would: its reminders and
 * deferred updates wait unclaimed (not given up after a day) until it is installed.
 */
export function reminderClientsByToken(
  config: Config,
  logger: Logger,
  fetch: FetchFunction | undefined,
  tokenFor: (workspaceId: string) => Promise<string | null>,
  notInstalled?: (workspaceId: string) => Promise<void>,
): ClientFor {
  const clients = new Map<string, Promise<WebClient>>();
  return async (workspaceId) => {
    const token = await tokenFor(workspaceId);
    if (!token) {
      await notInstalled?.(workspaceId).catch((error: unknown) =>
        logger.warn({ err: error, workspaceId }, "could not pause a workspace that is not installed"),
      );
      return null;
    }
    let client = clients.get(token);
    if (!client) {
      if (clients.size >= 1000) clients.clear(); // bounded: old tokens' clients are not kept forever
      client = createReminderClient(config, logger, fetch, token);
      clients.set(token, client);
    }
    return client;
  };
}

/** Not installed (uninstalled meanwhile): the claim waits; the workspace's pause keeps it unclaimed until a reinstall. */
const notInstalled: ReminderOutcome = { status: "retry", error: "not_installed" };

/**
 * The notifier of each claim's own workspace, on that workspace's client: every Slack call of a
 * reminder carries the token of the installation it concerns. A pass's combined messages are one
 * workspace's (the pass groups them by workspace and channel).
 */
// Exported for the notifier tests, which run every case on both notifiers.
export function perWorkspaceNotifier(clientFor: ClientFor, logger: Logger, lock: MessageLock): ReminderNotifier {
  const notifiers = new WeakMap<WebClient, ReminderNotifier>();
  async function notifierOf(workspaceId: string): Promise<ReminderNotifier | null> {
    const client = await clientFor(workspaceId);
    if (!client) return null;
    let notifier = notifiers.get(client);
    if (!notifier) {
      notifier = createSlackReminderNotifier(client, logger, lock);
      notifiers.set(client, notifier);
    }
    return notifier;
  }
  // Everything the one-token notifier does, passed through whole (its grouping, the pass's
  // beforePost hook, a withdraw's "later"): only the client differs.
  return {
    maxPerMessage: remindersPerMessage,
    groups: reminderGroups,
    async deliver(claim) {
      return (await notifierOf(claim.subject.workspaceId))?.deliver(claim) ?? notInstalled;
    },
    async deliverMany(claims, pace, beforePost) {
      const notifier = claims[0] ? await notifierOf(claims[0].subject.workspaceId) : null;
      return notifier?.deliverMany ? notifier.deliverMany(claims, pace, beforePost) : claims.map(() => notInstalled);
    },
    async withdraw(claim, posted, now, at) {
      const notifier = await notifierOf(claim.subject.workspaceId);
      // Not installed (meanwhile): kept for a later pass, which leaves a paused workspace's updates until it is back.
      return notifier ? notifier.withdraw?.(claim, posted, now, at) : "later";
    },
  };
}
