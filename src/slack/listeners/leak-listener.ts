import type { WebClient } from "@slack/web-api";
import { notFound } from "../../domain/errors.ts";
import { findKeyCandidates, type LeakLocation, type LeakReport } from "../../domain/leak-service.ts";
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
  attachments?: unknown;
  blocks?: unknown;
  ts?: string;
  thread_ts?: string;
  message?: { subtype?: string; user?: string; bot_id?: string; text?: string; attachments?: unknown; blocks?: unknown; ts?: string; thread_ts?: string };
}

interface MessageContext {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall?: boolean;
  botId?: string;
  botUserId?: string;
}

/** What is read of one message: where it is, who wrote it, and its texts (in memory only). */
interface SeenMessage {
  channel: string;
  ts: string;
  threadTs: string;
  user: string | null;
  /** A bot posted it (an app's bot sends its bot user's id as `user` too): no person to note privately. */
  byBot: boolean;
  texts: string[];
}

/** Subtypes whose text is a person's (or another app's) new message. Deletions, joins, topics and the rest carry none worth reading. */
const postedSubtypes = new Set([undefined, "thread_broadcast", "file_share", "me_message", "bot_message"]);

function seenMessage(event: MessageEvent, context: MessageContext): SeenMessage | null {
  const edited = event.subtype === "message_changed";
  if (!edited && !postedSubtypes.has(event.subtype)) return null;
  const message = edited ? event.message : event;
  if (!message || !event.channel || !message.ts) return null;
  // keyward's own posts (Bolt's ignoreSelf drops most; an edit of one comes as message_changed from no bot).
  if ((message.bot_id && message.bot_id === context.botId) || (message.user && message.user === context.botUserId)) return null;
  return {
    channel: event.channel,
    ts: message.ts,
    threadTs: message.thread_ts ?? message.ts,
    user: message.user ?? null,
    byBot: Boolean(message.bot_id) || message.subtype === "bot_message" || event.subtype === "bot_message",
    // An edit is read whole: a key already answered for this message is not answered again (the leak ledger), whatever the previous text held.
    texts: textsOf(message),
  };
}

/** At most this many strings of one message are read (a payload is bounded by Slack, this bounds the walk). */
const maxTexts = 2000;

/**
 * Every text a message shows: its text, its attachments' (text, fallback, pretext, title, footer,
 * fields) and any `text` of its blocks at any depth (section text and fields, rich_text elements,
 * context). In memory only, handed straight to the candidate search.
 */
function textsOf(message: { text?: unknown; attachments?: unknown; blocks?: unknown }): string[] {
  const texts: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === "string" && value !== "" && texts.length < maxTexts) texts.push(value);
  };
  add(message.text);
  for (const attachment of Array.isArray(message.attachments) ? message.attachments : []) {
    const a = attachment as Record<string, unknown>;
    for (const field of ["text", "fallback", "pretext", "title", "footer", "author_name"]) add(a[field]);
    for (const f of Array.isArray(a.fields) ? a.fields : []) add((f as Record<string, unknown>)?.value);
    collectBlockTexts(a.blocks, add);
  }
  collectBlockTexts(message.blocks, add);
  return texts;
}

/** Walks blocks (and their elements, fields, nested blocks) for `text` strings, and text objects' `text`. */
function collectBlockTexts(value: unknown, add: (text: unknown) => void, depth = 0): void {
  if (depth > 12 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    for (const item of value) collectBlockTexts(item, add, depth + 1);
    return;
  }
  const node = value as Record<string, unknown>;
  if (typeof node.text === "string") add(node.text);
  else collectBlockTexts(node.text, add, depth + 1);
  // rich_text links carry the address in `url`; a key pasted as a link's target is still pasted.
  if (typeof node.url === "string") add(node.url);
  for (const child of ["elements", "fields", "blocks"]) collectBlockTexts(node[child], add, depth + 1);
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
    const candidates = findKeyCandidates(...seen.texts);
    if (candidates.length === 0) return;
    const workspaceId = workspaceOf(context);
    const location: LeakLocation = { kind: "slack", channel: seen.channel, ts: seen.ts, permalink: null, postedBy: seen.user };
    const answered: LeakReport[] = [];
    try {
      // Revoked and audited first; nothing waits for Slack before the key stops working.
      await deps.services.leaks.respondAll(candidates, { workspaceId, source: "slack" }, location, (report) => answered.push(report));
    } catch (error) {
      // Never the error's own text: a database error could quote what it was given.
      deps.logger.error({ workspaceId, channel: seen.channel, code: (error as { code?: unknown }).code }, "could not handle a leaked key");
    }
    if (answered.length === 0) return;
    // Every key answered is announced, even when a later one failed.
    const permalink = await permalinkOf(client, seen.channel, seen.ts);
    for (const report of answered)
      await announceLeak(client, { ...report, location: { ...location, permalink } }, deps, {
        channel: seen.channel,
        threadTs: seen.threadTs,
        messageTs: seen.ts,
        poster: seen.byBot ? null : seen.user,
      });
  };

/** The message's link for the announcements (after the revoke); null when Slack will not give one. */
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
