import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { callerOf, type SlackDeps } from "../slack-deps.ts";
import { keySnoozedMessage } from "../views/key-reminder-notices.ts";
import { noticeModal } from "../views/notices.ts";
import { tellFailure } from "./listener-support.ts";

/** As an integration's snooze: a day. */
export const keySnoozeHours = 24;

/**
 * Snooze on an API-key reminder (the owner's DM): the key's next reminder comes a day later at the
 * earliest. Answered ephemerally under the reminder; the reminder itself stays as it is.
 */
export async function snoozeKeyReminder(
  deps: SlackDeps,
  args: { client: WebClient; respond?: RespondFn; triggerId: string; workspaceId: string; userId: string; keyId: string },
): Promise<void> {
  const reply = args.respond ? { client: args.client, respond: args.respond } : { client: args.client, triggerId: args.triggerId };
  try {
    const { actor } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const { key, until, snoozed } = await deps.services.keyReminders.snooze(actor, args.keyId, keySnoozeHours);
    const message = keySnoozedMessage({ ...key, until, snoozed });
    if (args.respond) await args.respond({ response_type: "ephemeral", replace_original: false, ...message });
    // API-key reminders are messages (a DM), so a response_url is always there; anywhere else, a modal.
    else await args.client.views.open({ trigger_id: args.triggerId, view: noticeModal("keyward", message.text, { formatted: true }) });
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
}
