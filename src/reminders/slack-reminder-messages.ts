import type { WebClient } from "@slack/web-api";
import type { ReminderChangeOutcome, ReminderMessageChange, ReminderMessages } from "../domain/reminder-messages.ts";
import type { PostedReminder } from "../domain/reminder-types.ts";
import type { ReminderRepository } from "../domain/repositories.ts";
import type { Logger } from "../logger.ts";
import type { ReminderChangedBy } from "../slack/views/reminder-outcome.ts";
import { reminderMessage, reminderPart, type ReminderMessageView } from "../slack/views/reminder-message.ts";
import { createMessageLock, type MessageLock, updateReminderPart } from "./reminder-message-parts.ts";
import { errorCode, isPassing } from "../slack/slack-api-errors.ts";

/** The change's outcome alone: what the message says happened. */
function outcomeOf(change: ReminderMessageChange): Exclude<ReminderChangeOutcome, { what: "superseded" }> {
  if (change.what === "rotated") return { what: "rotated", last4: change.last4, expiresAt: change.expiresAt, expiryTimeZone: change.expiryTimeZone };
  if (change.what === "snoozed") return { what: "snoozed", until: change.until };
  return { what: "deleted" };
}

export interface SlackReminderMessages extends ReminderMessages {
  /**
   * Shutdown, before the database closes: refuses new updates (refresh becomes a no-op) and waits
   * for the ones under way, at most `drainTimeoutMs`; one still waiting on Slack then is abandoned.
   */
  drain(): Promise<void>;
}

interface ReminderMessageOptions {
  /** A program's key by name and last 4 (never its id); absent or null: "a program". */
  describeKey?: (workspaceId: string, keyId: string) => Promise<{ name: string; last4: string } | null>;
  /** How long drain() waits for the updates under way (default 5 s). */
  drainTimeoutMs?: number;
  /** Serialises rewrites of one combined message (the notifier's own, so its withdraws queue with these); default: this process only. */
  lock?: MessageLock;
  /** OAuth installs: the client of the change's workspace, with its token (null: not installed; the update waits for a later pass). */
  clientFor?: (workspaceId: string) => Promise<WebClient | null>;
}

/**
 * Updates the reminder messages the ledger says were posted about a configuration, with
 * chat.update, after it was rotated, snoozed or deleted. The WebClient is the reminder pass's own
 * (no retries, no waiting on rate limits): an update refused for a passing reason (429, 5xx, timeout)
 * is kept on its ledger row and re-applied by a later reminder pass (retryDeferred); one refused for
 * good (message_not_found, …) is logged with Slack's error code and left as it is. Rotated or
 * deleted, messages are settled in the ledger first, so each is rewritten by whichever instance
 * settled it; changes of one subject are applied in order within this process, so a snooze's
 * update cannot land after a rotation's.
 */
export function createSlackReminderMessages(
  client: WebClient,
  ledger: Pick<ReminderRepository, "postedMessages" | "settleMessages" | "deferUpdate" | "takeDeferredUpdates">,
  logger: Logger,
  options: ReminderMessageOptions = {},
): SlackReminderMessages {
  const lock = options.lock ?? createMessageLock();
  const inFlight = new Set<Promise<void>>();
  const lastBySubject = new Map<string, Promise<void>>();
  let closed = false;

  async function actorOf(change: ReminderMessageChange): Promise<ReminderChangedBy> {
    const { userId, source, keyId } = change.by;
    if (!keyId || !options.describeKey || !userId.startsWith("key:")) return { userId, source };
    const key = await options.describeKey(change.workspaceId, keyId).catch(() => null);
    return { userId, source, ...(key ? { keyLabel: `${key.name} …${key.last4}` } : {}) };
  }

  function viewFor(change: ReminderMessageChange, posted: PostedReminder, by: ReminderChangedBy): ReminderMessageView {
    const s = change.subject;
    return {
      subjectType: "integration",
      subjectId: change.subjectId,
      integration: s.integration,
      alias: s.alias,
      name: `${s.integration}/${s.alias}`,
      last4: s.last4,
      isDefault: s.isDefault,
      expiresAt: posted.expiresAt,
      expiryTimeZone: s.expiryTimeZone,
      threshold: posted.threshold,
      ownerId: s.createdBy,
      rotatedBy: s.rotatedBy,
      after: change.what === "superseded" ? { what: "superseded", at: change.at, now: change.now } : { ...outcomeOf(change), at: change.at, by },
    };
  }

  /**
   * A message about this configuration alone is rewritten whole, as before; a combined one (the
   * ledger says so) gets this configuration's part replaced, the others kept.
   */
  async function update(change: ReminderMessageChange, message: PostedReminder, by: ReminderChangedBy, client: WebClient): Promise<void> {
    const view = viewFor(change, message, by);
    if (message.shared) {
      await updateReminderPart(client, lock, { workspaceId: change.workspaceId, ...message }, change.subjectId, reminderPart(view));
      return;
    }
    await client.chat.update({ channel: message.channel, ts: message.ts, ...reminderMessage(view) });
  }

  async function run(change: ReminderMessageChange): Promise<void> {
    const { workspaceId, subjectType, subjectId } = change;
    const expiresAt = change.subject.expiresAt;
    const posted =
      change.what === "snoozed"
        ? await ledger.postedMessages(workspaceId, subjectType, subjectId, expiresAt)
        : await ledger.settleMessages(workspaceId, subjectType, subjectId, expiresAt);
    if (posted.length === 0) {
      logger.debug({ configId: subjectId, change: change.what }, "no reminder messages to update after a change");
      return;
    }
    const updated = await apply(change, posted);
    logger.info({ configId: subjectId, change: change.what, updated, of: posted.length }, "reminder messages updated after a change");
  }

  /** Updates each message; one Slack refused for a passing reason keeps the change for a later pass. */
  async function apply(change: ReminderMessageChange, posted: PostedReminder[]): Promise<number> {
    const by = await actorOf(change);
    const workspaceClient = options.clientFor ? await options.clientFor(change.workspaceId) : client;
    if (!workspaceClient) {
      for (const message of posted) await ledger.deferUpdate(message.deliveryId, change);
      logger.info({ configId: change.subjectId, change: change.what }, "the workspace is not installed: its reminder messages are updated once it is again");
      return 0;
    }
    let updated = 0;
    for (const message of posted) {
      try {
        await update(change, message, by, workspaceClient);
        updated++;
      } catch (error) {
        const code = errorCode(error);
        const later = isPassing(code);
        if (later) await ledger.deferUpdate(message.deliveryId, change);
        const msg = later
          ? "could not update a reminder message after a change; a later reminder pass tries again"
          : "could not update a reminder message after a change; it stays as it was";
        logger.warn({ slackError: code, configId: change.subjectId, channel: message.channel, ts: message.ts, change: change.what }, msg);
      }
    }
    return updated;
  }

  /** Runs after the subject's earlier updates in this process, never beside them. */
  function enqueue(change: ReminderMessageChange, work: () => Promise<unknown>): Promise<void> {
    const key = `${change.workspaceId}/${change.subjectType}/${change.subjectId}`;
    const previous = lastBySubject.get(key) ?? Promise.resolve();
    const task: Promise<void> = previous
      .then(work)
      .then(() => undefined)
      .catch((error: unknown) =>
        logger.warn({ err: error, configId: change.subjectId, change: change.what }, "could not update the reminder messages after a change"),
      )
      .finally(() => {
        inFlight.delete(task);
        if (lastBySubject.get(key) === task) lastBySubject.delete(key);
      });
    inFlight.add(task);
    lastBySubject.set(key, task);
    return task;
  }

  return {
    refresh(change) {
      if (closed) {
        logger.debug({ configId: change.subjectId, change: change.what }, "shutting down: reminder messages not updated after a change");
        return Promise.resolve();
      }
      return enqueue(change, () => run(change));
    },
    async retryDeferred() {
      if (closed) return;
      try {
        const deferred = await ledger.takeDeferredUpdates(100);
        await Promise.all(deferred.map(({ message, change }) => enqueue(change, () => apply(change, [message]))));
        if (deferred.length > 0) logger.info({ retried: deferred.length }, "reminder message updates retried");
      } catch (error) {
        logger.warn({ err: error }, "could not retry the deferred reminder message updates");
      }
    },
    async drain() {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), options.drainTimeoutMs ?? 5_000);
        timer.unref();
      });
      const all = (async () => {
        while (inFlight.size > 0) await Promise.all([...inFlight]);
      })();
      if ((await Promise.race([all, deadline])) === "late")
        logger.warn({ pending: inFlight.size }, "shutting down with reminder message updates still waiting on Slack; they are abandoned");
      clearTimeout(timer);
    },
  };
}
