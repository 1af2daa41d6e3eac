import type { WebClient } from "@slack/web-api";
import { notFound } from "../../domain/errors.ts";
import { findKeyCandidates, type LeakLocation } from "../../domain/leak-service.ts";
import { announceLeak } from "../leak-announcer.ts";
import { workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { decodeReplacementValue } from "../wire/leak-values.ts";
import { createKeyForm } from "./secret-forms.ts";
import { fromHome, openForm, pressListener, triggerOf, type ButtonArgs } from "./listener-support.ts";

/** A message event as Slack sends it (message.channels, message.groups, message.im), the fields read here. */
interface MessageEvent {
  type: "message";
  subtype?: string;
  channel?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  message?: { user?: string; bot_id?: string; text?: string; ts?: string; thread_ts?: string };
  previous_message?: { text?: string };
}

interface MessageContext {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
  botId?: string;
  botUserId?: string;
}

/** What is read of one message: where it is, who wrote it, its text (in memory only) and, edited, its text before. */
interface SeenMessage {
  channel: string;
  ts: string;
  threadTs: string;
  user: string | null;
  text: string;
  previous: string;
}

/** Subtypes whose text is a person's (or another app's) new message. Deletions, joins, topics and the rest carry none worth reading. */
const postedSubtypes = new Set([undefined, "thread_broadcast", "file_share", "me_message", "bot_message"]);

function seenMessage(event: MessageEvent, context: MessageContext): SeenMessage | null {
  const edited = event.subtype === "message_changed";
  if (!edited && !postedSubtypes.has(event.subtype)) return null;
  const message = edited ? event.message : event;
  if (!message || !event.channel || !message.ts || typeof message.text !== "string") return null;
  // keyward's own posts (Bolt's ignoreSelf drops most; an edit of one comes as message_changed from no bot).
  if ((message.bot_id && message.bot_id === context.botId) || (message.user && message.user === context.botUserId)) return null;
  return {
    channel: event.channel,
    ts: message.ts,
    threadTs: message.thread_ts ?? message.ts,
    user: message.user ?? null,
    text: message.text,
    previous: edited ? (event.previous_message?.text ?? "") : "",
  };
}

/**
 * Every message in a conversation the app is in: keys of this workspace in it are leaks (issue 15).
 * Bolt acknowledged the event before this runs. The text is read here, in memory, for strings that
 * pass keyward's checksum, and goes nowhere: not to the logs, the database, an audit event or any
 * message (SPEC rule 15). A candidate that is no live key of this workspace gets no answer at all.
 */
export const messagePosted =
  (deps: SlackDeps) =>
  async ({ event, client, context }: { event: MessageEvent; client: WebClient; context: MessageContext }): Promise<void> => {
    const seen = seenMessage(event, context);
    if (!seen) return;
    const candidates = findKeyCandidates(seen.text, seen.previous);
    if (candidates.length === 0) return;
    const workspaceId = workspaceOf(context);
    const locate = async (): Promise<LeakLocation> => ({
      kind: "slack",
      channel: seen.channel,
      ts: seen.ts,
      permalink: await permalinkOf(client, seen.channel, seen.ts),
      postedBy: seen.user,
    });
    for (const candidate of candidates) {
      try {
        const report = await deps.services.leaks.respond(candidate, { workspaceId, source: "slack" }, locate);
        if (report) await announceLeak(client, report, deps.logger, { channel: seen.channel, threadTs: seen.threadTs });
      } catch (error) {
        // Never the error's own text: a database error could quote what it was given.
        deps.logger.error({ workspaceId, channel: seen.channel, code: (error as { code?: unknown }).code }, "could not handle a leaked key");
      }
    }
  };

/** The message's link for the audit event and the creator; null when Slack will not give one. */
async function permalinkOf(client: WebClient, channel: string, ts: string): Promise<string | null> {
  try {
    const answer = await client.chat.getPermalink({ channel, message_ts: ts });
    return typeof answer.permalink === "string" && /^https:\/\/\S{1,500}$/.test(answer.permalink) ? answer.permalink : null;
  } catch {
    return null;
  }
}

/** **Create a replacement** on the creator's DM: the create form, filled in with the leaked key's role, name and description. */
export const createReplacementButton = pressListener(async (deps, args: ButtonArgs) => {
  const keyId = decodeReplacementValue(args.action.value);
  const trigger = triggerOf(args);
  await openForm(deps, trigger, "Create an API key", async ({ actor, user }) => {
    if (!keyId) throw notFound("That key");
    const leaked = await deps.services.leaks.replacementTemplate(actor, keyId);
    return createKeyForm(deps, actor, user.tz, { channelId: args.body.channel?.id, home: fromHome(args.body) }, leaked, "leaked");
  });
});
