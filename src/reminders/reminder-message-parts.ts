// One configuration's part of a combined reminder message (several configurations due in one
// channel, one message): read the message, swap that part, write it back, one change at a time.
import type { KnownBlock, MessageMetadata } from "@slack/types";
import { randomUUID } from "node:crypto";
import type { WebClient } from "@slack/web-api";
import type { ReminderRepository } from "../domain/repositories.ts";
import { reminderPartBlockId } from "../slack/ids.ts";
import { withinMessageLimits, replaceReminderPart } from "../slack/views/reminder-message.ts";

type MessageKey = { workspaceId: string; channel: string; ts: string };

/**
 * Serialises the rewrites of one combined message. A part's update reads the whole message and
 * writes it back, so two at once (two configurations of one message rotated at the same moment)
 * would each write back the other's part as it was. In this process they queue on a promise
 * chain; across instances sharing the database, each takes the message's lease in the ledger
 * first (no transaction held while Slack answers). A lease still held by someone else after
 * `waitMs` fails with `message_busy`, a passing error: the update is deferred to a later pass.
 */
export interface MessageLock {
  run<T>(message: MessageKey, work: () => Promise<T>): Promise<T>;
}

interface MessageLockOptions {
  /** Longer than a read and a write to Slack at their timeouts (2 × 10 s), so a live holder keeps it. */
  leaseMs?: number;
  waitMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function createMessageLock(ledger?: Pick<ReminderRepository, "lockMessage" | "unlockMessage">, options: MessageLockOptions = {}): MessageLock {
  const { leaseMs = 30_000, waitMs = 30_000, pollMs = 100 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const holder = randomUUID();
  const chains = new Map<string, Promise<unknown>>();

  async function withLease<T>(message: MessageKey, work: () => Promise<T>): Promise<T> {
    if (!ledger) return work();
    for (let waited = 0; !(await ledger.lockMessage(message, holder, leaseMs)); waited += pollMs) {
      if (waited >= waitMs) throw Object.assign(new Error("message_busy"), { data: { error: "message_busy" } });
      await sleep(pollMs);
    }
    try {
      return await work();
    } finally {
      await ledger.unlockMessage(message, holder).catch(() => undefined);
    }
  }

  return {
    run(message, work) {
      const key = `${message.workspaceId}/${message.channel}/${message.ts}`;
      const previous = chains.get(key) ?? Promise.resolve();
      const mine = previous.then(
        () => withLease(message, work),
        () => withLease(message, work),
      );
      const tail = mine.catch(() => undefined);
      chains.set(key, tail);
      void tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
      });
      return mine;
    },
  };
}

interface StoredMessage {
  text?: string;
  blocks?: KnownBlock[];
  metadata?: MessageMetadata;
}

/**
 * The message with the part replaced; when that would make it too long for Slack (the others'
 * rewrites grew it), the part goes in shorter: without its context line, then without its
 * rotation steps, so the rewrite still lands (headline and buttons kept) instead of being refused.
 */
function fitted(blocks: KnownBlock[], subjectId: string, part: KnownBlock[]): KnownBlock[] | null {
  const full = replaceReminderPart(blocks, subjectId, part);
  if (!full || withinMessageLimits(full)) return full;
  const noContext = part.filter((b) => b.type !== "context");
  const shorter = replaceReminderPart(blocks, subjectId, noContext)!;
  if (withinMessageLimits(shorter)) return shorter;
  return replaceReminderPart(
    blocks,
    subjectId,
    noContext.filter((b) => b.block_id !== reminderPartBlockId("steps", subjectId)),
  )!;
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
  lock: MessageLock,
  message: MessageKey,
  subjectId: string,
  part: KnownBlock[],
): Promise<"updated" | "absent"> {
  return lock.run(message, async () => {
    const current = await readMessage(client, message.channel, message.ts);
    if (!current) throw Object.assign(new Error("message_not_found"), { data: { error: "message_not_found" } });
    const blocks = fitted(current.blocks ?? [], subjectId, part);
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
