import type { KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { encodeReminderValue } from "../wire/reminder-values.ts";
import { escapeMrkdwn, mrkdwn, plain, slackDate, strong } from "./format.ts";

interface KeySnoozeView {
  id: string;
  name: string;
  last4: string;
  /** When the next reminder comes at the earliest; null: the key has expired, no reminder is left. */
  until: Date | null;
  /** False: nothing was snoozed, no reminder was left before `until` (a rolled key has none). Absent: snoozed. */
  snoozed?: boolean;
  /** The key was rolled: its replacement has reminders of its own. */
  replacedBy?: string | null;
}

/**
 * The answer to Snooze on an API-key reminder. A key that expired since the reminder was posted has
 * no reminder left to push: the answer offers what does help, a replacement (the same button as an
 * expired key's reminder, so it opens the create form filled in from the key).
 */
export function keySnoozedMessage(v: KeySnoozeView): { text: string; blocks: KnownBlock[] } {
  const key = `${strong(v.name)} (\`…${escapeMrkdwn(v.last4)}\`)`;
  if (v.until && v.snoozed === false) {
    const why = v.replacedBy ? " It was rolled; its replacement has reminders of its own." : ` None comes before ${slackDate(v.until)}.`;
    const text = `Nothing changed: no reminder of ${key} is left to snooze.${why}`;
    return { text, blocks: [{ type: "section", block_id: "notice", text: mrkdwn(`:zzz: ${text}`) }] };
  }
  if (v.until) {
    const text = `Snoozed ${key}: its next reminder comes no sooner than ${slackDate(v.until)}.`;
    return { text, blocks: [{ type: "section", block_id: "notice", text: mrkdwn(`:zzz: ${text}`) }] };
  }
  const text = `${key} has expired, so no reminder is left to snooze. It cannot be rolled; create a replacement instead.`;
  return {
    text,
    blocks: [
      { type: "section", block_id: "notice", text: mrkdwn(`:hourglass: ${text}`) },
      {
        type: "actions",
        block_id: "reminder_actions",
        elements: [
          {
            type: "button",
            action_id: actionIds.rotateFromReminder,
            text: plain("Create a replacement", 75),
            style: "primary",
            value: encodeReminderValue({ type: "api_key", id: v.id }),
          },
        ],
      },
    ],
  };
}
