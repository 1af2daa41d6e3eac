// What the person reads after an integration change: names and last 4 only, never a secret.
// These texts are mrkdwn (channel links and dates must render), so user parts are escaped here.
import type { KnownBlock, ModalView } from "@slack/types";
import { callbackIds } from "../ids.ts";
import { escapeMrkdwn, mention, mrkdwn, plain, slackDate, strong } from "./format.ts";

/** A configuration as the notices name it. */
interface Named {
  integration: string;
  alias: string;
  last4: string;
}

const nameOf = (c: Pick<Named, "integration" | "alias">) => strong(`${c.integration}/${c.alias}`);
const last4Of = (c: Pick<Named, "last4">) => `\`…${escapeMrkdwn(c.last4)}\``;

export const addedText = (c: Named & { isDefault: boolean }) =>
  `Added ${nameOf(c)} (${last4Of(c)})${c.isDefault ? `, the default for ${escapeMrkdwn(c.integration)}` : ""}.`;

export const rotatedText = (c: Named) => `Rotated ${nameOf(c)}: it now holds ${last4Of(c)}, under the same alias. Watch the integration for errors.`;

export const madeDefaultText = (c: Named) => `${nameOf(c)} (${last4Of(c)}) is now the default for ${escapeMrkdwn(c.integration)}.`;

export const channelText = (c: Pick<Named, "integration" | "alias"> & { reminderChannel: string | null }) =>
  c.reminderChannel ? `Reminders for ${nameOf(c)} go to <#${c.reminderChannel}> now.` : `Reminders for ${nameOf(c)} are no longer posted in a channel.`;

export const deletedText = (c: Named & { isDefault: boolean }) =>
  `Deleted ${nameOf(c)} (${last4Of(c)}).${c.isDefault ? ` ${escapeMrkdwn(c.integration)} has no default now: make another configuration the default.` : ""}`;

/** "Snooze" on a reminder: the next one comes no sooner than `until` (null: no expiry, so none is due). */
export function snoozedText(c: Pick<Named, "integration" | "alias">, until: Date | null): string {
  if (!until) return `${nameOf(c)} has no expiry, so no reminder is due.`;
  return `Snoozed ${nameOf(c)}: the next reminder comes no sooner than ${slackDate(until)}.`;
}

/** An ephemeral answer whose text is already mrkdwn (see the top of this file). */
export function integrationNoticeMessage(text: string, emoji = ""): { text: string; blocks: KnownBlock[] } {
  return { text, blocks: [{ type: "section", block_id: "notice", text: mrkdwn(`${emoji ? `${emoji} ` : ""}${text}`) }] };
}

export function integrationNoticeModal(title: string, text: string): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.notice,
    title: plain(title, 24),
    close: plain("Close", 24),
    blocks: [{ type: "section", block_id: "notice", text: mrkdwn(text) }],
  };
}

/** The follow-up in the reminder's thread after a "Rotate now" (SPEC reminder step 4). */
export function rotatedInThreadMessage(userId: string, c: Named): { text: string; blocks: KnownBlock[] } {
  const text = `${mention(userId)} rotated ${escapeMrkdwn(c.integration)}/${escapeMrkdwn(c.alias)} (…${escapeMrkdwn(c.last4)}). Step 4: watch the integration for errors.`;
  return { text, blocks: [{ type: "section", block_id: "rotated", text: mrkdwn(`:white_check_mark: ${text}`) }] };
}
