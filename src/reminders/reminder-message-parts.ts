// One configuration's part of a combined reminder message (several configurations due in one
// channel, one message): read the message, swap that part, write it back, one change at a time.
import type { KnownBlock, MessageMetadata } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { replaceReminderPart } from "../slack/views/reminder-message.ts";

/**
 * The message writes under way, by channel and ts. A part's update reads the whole message and
 * writes it back, so two updates of one message at once (two configurations rotated at the same
 * moment) would each write back the other's part as it was: they run one after the other. Per
 * process: enough for PGlite (one process owns the database); see the report for PostgreSQL.
 */
const writes = new Map<string, Promise<unknown>>();

export function withMessageLock<T>(channel: string, ts: string, work: () => Promise<T>): Promise<T> {
  const key = `${channel}/${ts}`;
  const previous = writes.get(key) ?? Promise.resolve();
  const mine = previous.then(work, work);
  const tail = mine.catch(() => undefined);
  writes.set(key, tail);
  void tail.then(() => {
    if (writes.get(key) === tail) writes.delete(key);
  });
  return mine;
}

interface StoredMessage {
  text?: string;
  blocks?: KnownBlock[];
  metadata?: MessageMetadata;
}

/** The message as Slack has it now: the newest message at or before `ts`, which is the one at `ts` when it exists. */
async function readMessage(client: WebClient, channel: string, ts: string): Promise<StoredMessage | null> {
  const history = await client.conversations.history({ channel, latest: ts, inclusive: true, limit: 1, include_all_metadata: true });
  const [message] = history.messages ?? [];
  return message && message.ts === ts ? (message as StoredMessage) : null;
}

/**
 * Replaces one configuration's part of a combined message, keeping every other part as Slack has
 * it now (someone else's snooze or rotation included), its top-level text and its metadata (a
 * retry finds its earlier post by it). Rejects with Slack's error as chat.update would
 * (`message_not_found` when the message is gone); "absent" when it has no part about this configuration.
 */
export function updateReminderPart(
  client: WebClient,
  message: { channel: string; ts: string },
  subjectId: string,
  part: KnownBlock[],
): Promise<"updated" | "absent"> {
  return withMessageLock(message.channel, message.ts, async () => {
    const current = await readMessage(client, message.channel, message.ts);
    if (!current) throw Object.assign(new Error("message_not_found"), { data: { error: "message_not_found" } });
    const blocks = replaceReminderPart(current.blocks ?? [], subjectId, part);
    if (!blocks) return "absent";
    await client.chat.update({
      channel: message.channel,
      ts: message.ts,
      text: current.text ?? "",
      blocks,
      ...(current.metadata ? { metadata: current.metadata } : {}),
    });
    return "updated";
  });
}
