import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import type { Actor, ApiKey } from "../domain/types.ts";
import type { Logger } from "../logger.ts";
import type { SlackDeps } from "./slack-deps.ts";
import { escapeMrkdwn, slackDate } from "./views/format.ts";
import { errorCode } from "./slack-api-errors.ts";

export type DeliveryRoute = "channel" | "dm" | "response_url";

interface DeliveryTarget {
  userId: string;
  /** Where the person typed the command, if they did. */
  channelId?: string;
  /** The command's response_url, if there was a command. */
  responseUrl?: string;
}

export interface DeliveryMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Where a delivered message went: the route, and the conversation it is in (for a link to it). */
interface Delivered {
  route: DeliveryRoute;
  /** The conversation holding the message: the channel typed in, or the DM. Unknown for a response_url of a command typed nowhere we were told of. */
  channelId?: string;
}

/**
 * Delivers a message ephemerally to one person (SPEC "Slack surface"): in the channel where they
 * typed the command; where Slack refuses that, through the command's response_url (it shows the
 * message where they typed, even in a channel the app is not in); else in their DM with the app.
 * Returns where it went, or null when no route worked. What failed is logged by error code only:
 * never the message, which may hold a secret.
 */
export async function deliverEphemeral(
  client: WebClient,
  target: DeliveryTarget,
  message: DeliveryMessage,
  options: { logger: Logger; isAllowedResponseUrl: (url: string) => boolean },
): Promise<Delivered | null> {
  const { logger } = options;
  if (target.channelId) {
    if (await attempt(logger, "channel", () => client.chat.postEphemeral({ channel: target.channelId!, user: target.userId, ...message }))) {
      return { route: "channel", channelId: target.channelId };
    }
  }
  if (target.responseUrl && options.isAllowedResponseUrl(target.responseUrl)) {
    const ok = await attempt(logger, "response_url", async () => {
      const response = await fetch(target.responseUrl!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // A response_url is Slack's, checked above; a redirect elsewhere is not followed with the secret.
        redirect: "error",
        body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...message }),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`response_url answered ${response.status}`);
    });
    if (ok) return { route: "response_url", channelId: target.channelId };
  }
  let dmId: string | undefined;
  const dm = await attempt(logger, "dm", async () => {
    const opened = await client.conversations.open({ users: target.userId });
    dmId = opened.channel?.id;
    if (!dmId) throw new Error("conversations.open returned no channel");
    await client.chat.postEphemeral({ channel: dmId, user: target.userId, ...message });
  });
  return dm ? { route: "dm", channelId: dmId } : null;
}

async function attempt(logger: Logger, route: DeliveryRoute, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (error) {
    const code = errorCode(error);
    logger.warn({ route, slackError: code }, "ephemeral delivery failed on this route");
    return false;
  }
}

/** What became of a new secret's one delivery (never the secret itself). */
export type DeliveryOutcome =
  | { state: "delivered"; route: DeliveryRoute; channelId?: string }
  /** No route worked: the key was removed again (rule 4). `oldKeyStops`: an undone roll could not bring the old key back (another key took its name). */
  | { state: "undelivered"; oldKeyStops?: Date }
  /** Shown, but the key could not be switched on: the sweep removes it. */
  | { state: "not_activated" };

/**
 * Delivers a new secret to its creator and then activates the key; when no route works, the key
 * is removed again (rule 4: no live key whose secret nobody saw) and the creator is told, without
 * the secret. Shared by the create and roll forms, and by nothing that knows which one it was.
 */
export async function deliverOrUndo(
  deps: SlackDeps,
  client: WebClient,
  target: DeliveryTarget,
  message: DeliveryMessage,
  key: ApiKey,
  actor: Actor,
): Promise<DeliveryOutcome> {
  const keyName = key.name;
  const delivered = await deliverEphemeral(client, target, message, deps);
  if (delivered) {
    if (await activateWithRetry(deps, actor, key.id)) return { state: "delivered", ...delivered };
    // Shown but never switched on: the sweep removes it; the creator must not rely on it.
    const text = `Your key ${escapeMrkdwn(keyName)} was shown to you but could not be switched on; it will be removed shortly. Please create a new one.`;
    await deliverEphemeral(client, target, { text, blocks: [] }, deps).catch(() => null);
    return { state: "not_activated" };
  }
  let oldKeyNote = "";
  let oldKeyStops: Date | undefined;
  try {
    const outcome = await deps.services.keys.discardUndelivered(actor, key, "delivery_failed");
    deps.logger.warn({ keyName }, "secret could not be delivered; the key was removed again");
    // An undone roll normally brings the old key back; not when another key took its name meanwhile.
    const reverted = outcome.discarded ? outcome.revertedRoll : null;
    if (reverted && !reverted.revived) {
      oldKeyStops = reverted.worksUntil;
      oldKeyNote = ` The key it was to replace was not brought back, because another key is named ${escapeMrkdwn(keyName)} now: it stops ${slackDate(reverted.worksUntil)}, as the roll set.`;
    }
  } catch (error) {
    deps.logger.error({ err: error, keyName }, "could not remove an undelivered key");
  }
  const text = `Your key ${escapeMrkdwn(keyName)} could not be shown to you, so it was removed again. Nothing new is live; try again from a channel the app is in, or from the app's Home tab.${oldKeyNote}`;
  await deliverEphemeral(client, target, { text, blocks: [] }, deps).catch(() => null);
  return oldKeyStops ? { state: "undelivered", oldKeyStops } : { state: "undelivered" };
}

async function activateWithRetry(deps: SlackDeps, actor: Actor, keyId: string): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await deps.services.keys.activate(actor, keyId);
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, keyId, attempt }, "could not activate a delivered key");
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  return false;
}

/**
 * response_url comes back to us in private_metadata, which a forged submission could set; only
 * Slack's hooks host is followed, and loopback only when the Slack API itself is on loopback
 * (the offline test harness, or a local proxy).
 */
export function responseUrlPolicy(slackApiUrl: string): (url: string) => boolean {
  const loopbackApi = isLoopback(slackApiUrl);
  return (url) => {
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "https:" && parsed.hostname === "hooks.slack.com") return true;
      return loopbackApi && isLoopback(url);
    } catch {
      return false;
    }
  };
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
  } catch {
    return false;
  }
}
