import type { WebClient } from "@slack/web-api";
import type { BeforePost, PaceFn, ReminderClaim, ReminderNotifier, ReminderOutcome } from "../domain/reminder-types.ts";
import type { Logger } from "../logger.ts";
import { combinedReminderMessage, reminderMessage, reminderMessageGroups, reminderPart, remindersPerMessage } from "../slack/views/reminder-message.ts";
import { slackUserIdPattern } from "../domain/schemas.ts";
import { errorCode, isPassing, wrongChannel } from "../slack/slack-api-errors.ts";
import { createMessageLock, type MessageLock, updateReminderPart } from "./reminder-message-parts.ts";

/** Slack asked this channel to slow down: the rest of it waits for the next pass. */
const rateLimited = new Set(["ratelimited", "rate_limited", "slack_webapi_rate_limited_error"]);
/** A refusal of a passing reason, marked when it was a 429. */
const retryOf = (code: string): ReminderOutcome => ({ status: "retry", error: code, ...(rateLimited.has(code) ? { rateLimited: true } : {}) });
/** A claim beforePost gave up (taken over, or settled as obsolete): the pass ignores this outcome. */
const notOurs: ReminderOutcome = { status: "retry", error: "no longer this pass's claim; not posted" };

/** The metadata event type every reminder message carries. */
const reminderEventType = "keyward_reminder";

/**
 * Every reminder carries its ledger ids, so a retry can tell whether an earlier attempt got
 * through: `delivery_id`, the first (what releases before issue 13 read, and all a single
 * reminder has), and for a combined one `delivery_ids`, all of them comma-separated (Slack's
 * metadata takes no arrays of strings).
 */
function metadataFor(claims: ReminderClaim[]) {
  const ids = claims.map((c) => c.deliveryId);
  return { event_type: reminderEventType, event_payload: { delivery_id: ids[0]!, ...(ids.length > 1 ? { delivery_ids: ids.join(",") } : {}) } };
}

/** The delivery ids a reminder message says it carries, in either form. */
export function deliveryIdsOf(message: unknown): string[] {
  const meta = (message as { metadata?: { event_type?: string; event_payload?: { delivery_id?: unknown; delivery_ids?: unknown } } }).metadata;
  if (meta?.event_type !== reminderEventType) return [];
  const { delivery_id: one, delivery_ids: many } = meta.event_payload ?? {};
  const all = typeof many === "string" ? many.split(",") : Array.isArray(many) ? many.map(String) : [];
  return typeof one === "string" ? [one, ...all] : all;
}

/** What a reminder message shows of a claim (the builders' view model). */
function viewOf(claim: ReminderClaim) {
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
}

/** A channel's claims as the messages they make (ReminderNotifier.groups): by measured size, whichever client posts them. */
export function reminderGroups(claims: ReminderClaim[]): ReminderClaim[][] {
  return reminderMessageGroups(claims, viewOf);
}

/**
 * Posts reminders through a WebClient that neither retries nor waits on rate limits: a refusal
 * comes back at once and the reminder pass retries it on a later pass (SPEC rule 10).
 */
export function createSlackReminderNotifier(client: WebClient, logger: Logger, lock: MessageLock = createMessageLock()): ReminderNotifier {
  async function dmChannel(userId: string): Promise<string | undefined> {
    const opened = await client.conversations.open({ users: userId });
    return opened.channel?.id;
  }

  /**
   * Our reminder posts in a channel's recent history, by delivery id; null when the history could
   * not be read (then a retry must not post again: it may be there).
   */
  async function postsIn(channel: string): Promise<Map<string, { ts: string; shared: boolean }> | null> {
    try {
      const history = await client.conversations.history({ channel, limit: 200, include_all_metadata: true });
      const found = new Map<string, { ts: string; shared: boolean }>();
      for (const m of history.messages ?? []) {
        const ids = deliveryIdsOf(m);
        for (const id of ids) if (m.ts) found.set(id, { ts: m.ts, shared: ids.length > 1 });
      }
      return found;
    } catch (error) {
      logger.warn({ channel, slackError: errorCode(error) }, "could not check for an earlier reminder post");
      return null;
    }
  }

  /**
   * A retried claim may already have been posted (the process died, or the call timed out, after
   * Slack took it): look for our own message with this delivery id before posting again.
   * "unchecked": a channel where it could be was not readable; posting again could post it twice.
   */
  async function findEarlierPost(claim: ReminderClaim): Promise<{ channel: string; ts: string; shared: boolean } | null | "unchecked"> {
    if (claim.attempts === 0) return null;
    const candidates = [
      claim.subject.channel,
      slackUserIdPattern.test(claim.subject.ownerId) ? await dmChannel(claim.subject.ownerId).catch(() => undefined) : undefined,
    ];
    let unchecked = false;
    for (const channel of candidates) {
      if (!channel) continue;
      const posts = await postsIn(channel);
      if (!posts) unchecked = true;
      const found = posts?.get(claim.deliveryId);
      if (found) return { channel, ...found };
    }
    return unchecked ? "unchecked" : null;
  }

  async function dm(userId: string, message: { text: string; blocks: unknown[] }, claim: ReminderClaim): Promise<ReminderOutcome> {
    if (!slackUserIdPattern.test(userId)) return { status: "undeliverable", error: "no person to remind (created by a program)" };
    try {
      const channel = await dmChannel(userId);
      if (!channel) return { status: "retry", error: "conversations.open returned no channel" };
      return { status: "sent", channel, ts: await post(channel, message, [claim]) };
    } catch (error) {
      const code = errorCode(error);
      return isPassing(code) ? retryOf(code) : { status: "undeliverable", error: code };
    }
  }

  /** The one call that posts a reminder, to a channel or a DM (a single or a combined one). */
  async function post(channel: string, message: { text: string; blocks: unknown[] }, claims: ReminderClaim[]): Promise<string> {
    const posted = await client.chat.postMessage({ channel, ...(message as { text: string }), metadata: metadataFor(claims) });
    return posted.ts ?? "";
  }

  /** A channel that refused for good (not there, bot not invited, archived): the owner hears it in their DM. */
  async function tellOwner(claim: ReminderClaim, channel: string, code: string): Promise<ReminderOutcome> {
    const s = claim.subject;
    logger.warn({ channel, slackError: code, configId: s.id }, "reminder channel refused the reminder; telling the owner");
    const note = `I could not post this reminder in <#${channel}> (${code}). Invite me there with \`/invite @keyward\`, or choose another channel with \`/keys integrations channel ${s.integration} ${s.alias}\`.`;
    const told = await dm(s.ownerId, reminderMessage({ ...viewOf(claim), note }), claim);
    return told.status === "sent" ? { ...told, note: `channel refused (${code}); owner told by DM` } : told;
  }

  async function postInChannel(claim: ReminderClaim, channel: string, pace: PaceFn = (p) => p()): Promise<ReminderOutcome> {
    try {
      return { status: "sent", channel, ts: await pace(() => post(channel, reminderMessage(viewOf(claim)), [claim])) };
    } catch (error) {
      const code = errorCode(error);
      if (isPassing(code)) return retryOf(code);
      if (!wrongChannel.has(code)) return { status: "undeliverable", error: code };
      return tellOwner(claim, channel, code);
    }
  }

  /**
   * Claims due in one channel, as one message. A retry already posted (found by its delivery id)
   * is not posted again, and one whose check could not be made waits for a later pass. A combined
   * post refused for good for what it holds (invalid_blocks, msg_too_long, …) falls back to one
   * post per claim, so one bad configuration does not take its neighbours down with it.
   */
  async function deliverInChannel(claims: ReminderClaim[], pace: PaceFn, beforePost: BeforePost): Promise<ReminderOutcome[]> {
    const channel = claims[0]!.subject.channel!;
    const outcomes = new Map<ReminderClaim, ReminderOutcome>();
    if (claims.some((c) => c.attempts > 0)) {
      const posts = await postsIn(channel);
      for (const claim of claims.filter((c) => c.attempts > 0)) {
        const found = posts?.get(claim.deliveryId);
        if (!posts) outcomes.set(claim, { status: "retry", error: "could not check for an earlier post of this retry" });
        else if (found) outcomes.set(claim, { status: "sent", channel, ...found, note: "found the earlier attempt's post; not posted again" });
      }
    }
    const rest = claims.filter((c) => !outcomes.has(c));
    if (rest.length === 1) outcomes.set(rest[0]!, await postInChannel(rest[0]!, channel, pace));
    else if (rest.length > 1) {
      for (const [claim, outcome] of await postCombined(rest, channel, pace, beforePost)) outcomes.set(claim, outcome);
    }
    return claims.map((c) => outcomes.get(c)!);
  }

  /**
   * After a refusal each claim is posted (or its owner told) on its own, up to a dozen paced posts:
   * `beforePost` renews its lease first, and one no longer ours is skipped.
   */
  async function postCombined(claims: ReminderClaim[], channel: string, pace: PaceFn, beforePost: BeforePost): Promise<Map<ReminderClaim, ReminderOutcome>> {
    const out = new Map<ReminderClaim, ReminderOutcome>();
    try {
      const ts = await pace(() => post(channel, combinedReminderMessage(claims.map(viewOf)), claims));
      for (const claim of claims) out.set(claim, { status: "sent", channel, ts, shared: true });
      return out;
    } catch (error) {
      const code = errorCode(error);
      if (isPassing(code)) {
        for (const claim of claims) out.set(claim, retryOf(code));
        return out;
      }
      if (wrongChannel.has(code)) {
        for (const claim of claims) out.set(claim, (await beforePost(claim)) ? await tellOwner(claim, channel, code) : notOurs);
        return out;
      }
      logger.warn({ channel, slackError: code, of: claims.length }, "a combined reminder was refused; posting its reminders one by one");
    }
    for (const [i, claim] of claims.entries()) {
      if (!(await beforePost(claim))) {
        out.set(claim, notOurs);
        continue;
      }
      const outcome = await postInChannel(claim, channel, pace);
      out.set(claim, outcome);
      // Slack asked the channel to slow down: the rest waits for the next pass, unposted.
      if (outcome.status === "retry" && outcome.rateLimited) {
        for (const later of claims.slice(i + 1)) out.set(later, outcome);
        break;
      }
    }
    return out;
  }

  return {
    async withdraw(claim, posted, now, at) {
      // API-key reminders have no settled form yet: a rolled key keeps its last 4 and expiry, so only a deletion gets here.
      if (claim.subject.type !== "integration") return undefined;
      const view = { ...viewOf(claim), after: { what: "superseded" as const, at, now } };
      try {
        if (posted.shared) await updateReminderPart(client, lock, { workspaceId: claim.subject.workspaceId, ...posted }, claim.subject.id, reminderPart(view));
        else await client.chat.update({ channel: posted.channel, ts: posted.ts, ...reminderMessage(view) });
        return undefined;
      } catch (error) {
        const code = errorCode(error);
        const later = isPassing(code);
        logger.warn(
          { slackError: code, configId: claim.subject.id, channel: posted.channel, ts: posted.ts },
          later
            ? "could not settle a reminder whose configuration changed while it was posted; a later reminder pass tries again"
            : "could not settle a reminder whose configuration changed while it was posted",
        );
        return later ? "later" : undefined;
      }
    },
    async deliver(claim: ReminderClaim): Promise<ReminderOutcome> {
      const earlier = await findEarlierPost(claim);
      if (earlier === "unchecked") return { status: "retry", error: "could not check for an earlier post of this retry" };
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
      return postInChannel(claim, s.channel);
    },
    maxPerMessage: remindersPerMessage,
    groups: reminderGroups,
    async deliverMany(claims, pace, beforePost = async () => true) {
      return deliverInChannel(claims, pace, beforePost);
    },
  };
}
