import type { WebClient } from "@slack/web-api";
import type { ReminderClaim, ReminderNotifier, ReminderOutcome } from "../domain/reminder-types.ts";
import type { Logger } from "../logger.ts";
import { reminderMessage } from "../slack/views/reminder-message.ts";
import { slackUserIdPattern } from "../domain/schemas.ts";

/** Errors after which the same call may well succeed later: the pass leaves the claim for a retry. */
const passing = new Set([
  "ratelimited",
  "rate_limited",
  "service_unavailable",
  "fatal_error",
  "internal_error",
  "request_timeout",
  "slack_webapi_rate_limited_error",
  "slack_webapi_http_error",
  "slack_webapi_request_error",
]);
export const isPassing = (code: string): boolean => passing.has(code);
/** Errors that mean "not this channel": the owner is told in their DM instead of silence. */
const wrongChannel = new Set(["channel_not_found", "not_in_channel", "is_archived", "restricted_action"]);

/** Slack's error code (`message_not_found`, `ratelimited`, …) or the WebClient's, for logs and decisions. */
export function errorCode(error: unknown): string {
  const e = error as { data?: { error?: string }; code?: string };
  return e.data?.error ?? e.code ?? "unknown";
}

/** The metadata event type every reminder message carries. */
const reminderEventType = "keyward_reminder";

/**
 * Posts reminders through a WebClient that neither retries nor waits on rate limits: a refusal
 * comes back at once and the reminder pass retries it on a later pass (SPEC rule 10).
 */
export function createSlackReminderNotifier(client: WebClient, logger: Logger): ReminderNotifier {
  /** Every reminder carries its ledger id, so a retry can tell whether an earlier attempt got through. */
  const metadataFor = (claim: ReminderClaim) => ({ event_type: reminderEventType, event_payload: { delivery_id: claim.deliveryId } });

  async function dmChannel(userId: string): Promise<string | undefined> {
    const opened = await client.conversations.open({ users: userId });
    return opened.channel?.id;
  }

  /**
   * A retried claim may already have been posted (the process died, or the call timed out, after
   * Slack took it): look for our own message with this delivery id before posting again.
   */
  async function findEarlierPost(claim: ReminderClaim): Promise<{ channel: string; ts: string } | null> {
    if (claim.attempts === 0) return null;
    const candidates = [
      claim.subject.channel,
      slackUserIdPattern.test(claim.subject.ownerId) ? await dmChannel(claim.subject.ownerId).catch(() => undefined) : undefined,
    ];
    for (const channel of candidates) {
      if (!channel) continue;
      try {
        const history = await client.conversations.history({ channel, limit: 200, include_all_metadata: true });
        const found = history.messages?.find((m) => {
          const meta = (m as { metadata?: { event_type?: string; event_payload?: { delivery_id?: string } } }).metadata;
          return meta?.event_type === reminderEventType && meta.event_payload?.delivery_id === claim.deliveryId;
        });
        if (found?.ts) return { channel, ts: found.ts };
      } catch (error) {
        logger.warn({ channel, slackError: errorCode(error) }, "could not check for an earlier reminder post");
      }
    }
    return null;
  }

  async function dm(userId: string, message: { text: string; blocks: unknown[] }, claim: ReminderClaim): Promise<ReminderOutcome> {
    if (!slackUserIdPattern.test(userId)) return { status: "undeliverable", error: "no person to remind (created by a program)" };
    try {
      const channel = await dmChannel(userId);
      if (!channel) return { status: "retry", error: "conversations.open returned no channel" };
      const posted = await client.chat.postMessage({ channel, ...(message as { text: string }), metadata: metadataFor(claim) });
      return { status: "sent", channel, ts: posted.ts ?? "" };
    } catch (error) {
      const code = errorCode(error);
      return passing.has(code) ? { status: "retry", error: code } : { status: "undeliverable", error: code };
    }
  }

  const viewOf = (claim: ReminderClaim) => {
    const s = claim.subject;
    return {
      subjectType: s.type,
      subjectId: s.id,
      integration: s.integration,
      alias: s.alias,
      name: s.name,
      last4: s.last4,
      isDefault: s.isDefault,
      expiresAt: s.expiresAt,
      threshold: claim.threshold,
      daysLeft: claim.daysLeft,
      ownerId: s.ownerId,
      rotatedBy: s.rotatedBy ?? null,
      expiryTimeZone: s.expiryTimeZone,
    };
  };

  return {
    async withdraw(claim, posted, now, at) {
      // API-key reminders have no settled form yet: a rolled key keeps its last 4 and expiry, so only a deletion gets here.
      if (claim.subject.type !== "integration") return;
      try {
        await client.chat.update({ channel: posted.channel, ts: posted.ts, ...reminderMessage({ ...viewOf(claim), after: { what: "superseded", at, now } }) });
      } catch (error) {
        logger.warn(
          { slackError: errorCode(error), configId: claim.subject.id, channel: posted.channel, ts: posted.ts },
          "could not settle a reminder whose configuration changed while it was posted",
        );
      }
    },
    async deliver(claim: ReminderClaim): Promise<ReminderOutcome> {
      const earlier = await findEarlierPost(claim);
      if (earlier) return { status: "sent", ...earlier, note: "found the earlier attempt's post; not posted again" };
      const s = claim.subject;
      const view = viewOf(claim);
      if (s.type === "api_key") return dm(s.ownerId, reminderMessage(view), claim);
      if (!s.channel) {
        return dm(
          s.ownerId,
          reminderMessage({
            ...view,
            note: `No reminder channel is set for ${s.integration}/${s.alias}, so this comes to you. Set one with \`/keys integrations channel ${s.integration} ${s.alias}\`.`,
          }),
          claim,
        );
      }
      try {
        const posted = await client.chat.postMessage({ channel: s.channel, ...reminderMessage(view), metadata: metadataFor(claim) });
        return { status: "sent", channel: s.channel, ts: posted.ts ?? "" };
      } catch (error) {
        const code = errorCode(error);
        if (passing.has(code)) return { status: "retry", error: code };
        if (!wrongChannel.has(code)) return { status: "undeliverable", error: code };
        logger.warn({ channel: s.channel, slackError: code, configId: s.id }, "reminder channel refused the reminder; telling the owner");
        const note = `I could not post this reminder in <#${s.channel}> (${code}). Invite me there with \`/invite @keyward\`, or choose another channel with \`/keys integrations channel ${s.integration} ${s.alias}\`.`;
        const told = await dm(s.ownerId, reminderMessage({ ...view, note }), claim);
        return told.status === "sent" ? { ...told, note: `channel refused (${code}); owner told by DM` } : told;
      }
    },
  };
}
