// Posts weekly digests on the reminders' Slack client (no retries, no waiting on rate limits: the
// next pass retries), each with its ledger id in the message's metadata, so a retry whose earlier
// attempt got through (the process died, the call timed out) finds it instead of posting again.
import type { WebClient } from "@slack/web-api";
import type { DigestClaim, DigestNotifier, DigestOutcome, DigestView } from "../domain/digest-types.ts";
import type { Logger } from "../logger.ts";
import { digestMessage } from "../slack/views/digest-message.ts";
import { errorCode, isPassing } from "../slack/slack-api-errors.ts";

const digestEventType = "keyward_digest";
/** How far before the slot the history check reaches back (instances' and Slack's clocks disagree a little). */
const historyMarginMs = 10 * 60_000;

/** The digest delivery a message says it is, or null. */
export function digestDeliveryIdOf(message: unknown): string | null {
  const meta = (message as { metadata?: { event_type?: string; event_payload?: { delivery_id?: unknown } } }).metadata;
  const id = meta?.event_type === digestEventType ? meta.event_payload?.delivery_id : undefined;
  return typeof id === "string" ? id : null;
}

/** `clientOf`: the workspace's client (OAuth: its own installation's; null: not installed, so it waits). */
export function createSlackDigestNotifier(clientOf: (workspaceId: string) => Promise<WebClient | null>, logger: Logger): DigestNotifier {
  /** The earlier attempt's post in the channel's recent history; "unchecked" when it could not be read. */
  async function earlierPost(client: WebClient, claim: DigestClaim): Promise<string | null | "unchecked"> {
    try {
      // No attempt was made before the week's slot: history from then on (less a margin for clocks
      // that disagree) holds the earlier post however busy the channel, where the last 200 messages may not.
      const oldest = ((claim.dueAt.getTime() - historyMarginMs) / 1000).toFixed(6);
      const history = await client.conversations.history({ channel: claim.channel, oldest, limit: 200, include_all_metadata: true });
      return history.messages?.find((m) => digestDeliveryIdOf(m) === claim.deliveryId)?.ts ?? null;
    } catch (error) {
      logger.warn({ channel: claim.channel, slackError: errorCode(error) }, "could not check for an earlier digest post");
      return "unchecked";
    }
  }

  return {
    async deliver(claim: DigestClaim, view: DigestView): Promise<DigestOutcome> {
      const client = await clientOf(claim.workspaceId);
      if (!client) return { status: "retry", error: "not_installed" };
      // The channel of the week's first claim, not the one set now: a retry after a change posts where it checked.
      const channel = claim.channel;
      if (claim.attempts > 0) {
        const found = await earlierPost(client, claim);
        if (found === "unchecked") return { status: "retry", error: "could not check for an earlier post of this retry" };
        if (found) return { status: "sent", channel, ts: found, note: "found the earlier attempt's post; not posted again" };
      }
      try {
        const posted = await client.chat.postMessage({
          channel,
          ...(digestMessage(view) as { text: string }),
          metadata: { event_type: digestEventType, event_payload: { delivery_id: claim.deliveryId } },
        });
        return { status: "sent", channel, ts: posted.ts ?? "" };
      } catch (error) {
        const code = errorCode(error);
        if (isPassing(code)) return { status: "retry", error: code };
        // Not in the channel, archived, …: this week's digest is not posted; `/keys digest` tells why.
        logger.warn({ channel, slackError: code, workspaceId: claim.workspaceId }, "Slack refused the weekly digest");
        return { status: "undeliverable", error: code };
      }
    },
  };
}
