import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { decodeReminderValue } from "../wire/reminder-values.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { snoozedText } from "../views/integration-notices.ts";
import { keySnoozedMessage } from "../views/key-reminder-notices.ts";
import { noticeModal } from "../views/notices.ts";
import { formRequest, openRotateIntegrationForm } from "./integration-listeners.ts";
import { callerOfRequest, pressListener, replyTo, tell, tellFailure, type ButtonArgs } from "./listener-support.ts";
import { openRollKeyForm } from "./roll-key-flow.ts";

/**
 * The buttons on reminder messages, an API key's (the owner's DM) and an integration's (its
 * channel): the value says which (reminder-values.ts).
 */

/** How far Snooze pushes the next reminder, for a key as for an integration: a day. */
const snoozeHours = 24;

/** Rotate now (an integration), Roll now or, for an expired key, Create a replacement (an API key). */
export const rotateFromReminderButton = pressListener(async (deps, args: ButtonArgs) => {
  const { body, action } = args;
  const request = formRequest(args);
  const target = decodeReminderValue(action.value);
  // An API key's reminder: the roll form, or for an expired key the create form filled in from it.
  if (target.type === "api_key") {
    return openRollKeyForm(deps, { ...request, ref: target.id, channelId: body.channel?.id, responseUrl: body.response_url });
  }
  // A reminder in a thread is answered in that thread; a top-level one starts its own.
  const threadTs = (body.message?.thread_ts as string | undefined) ?? body.message?.ts ?? body.container?.message_ts;
  await openRotateIntegrationForm(deps, { ...request, target: { id: target.id }, reminder: { channel: body.channel?.id, threadTs } });
});

/** Snooze: the next reminder comes a day later at the earliest, said ephemerally under the reminder, which stays as it is. */
export const snoozeReminderButton = pressListener(async (deps, { body, action, client, context, respond }: ButtonArgs) => {
  const target = decodeReminderValue(action.value);
  if (target.type === "api_key") {
    return snoozeKeyReminder(deps, {
      client,
      respond: body.response_url ? respond : undefined,
      triggerId: body.trigger_id,
      workspaceId: workspaceOf(context),
      userId: body.user.id,
      keyId: target.id,
    });
  }
  const reply = replyTo({ body, client, respond });
  try {
    const { actor } = await callerOfRequest(deps, { body, client, context });
    const config = await deps.services.integrations.snooze(actor, target.id, snoozeHours);
    const until = config.expiresAt ? new Date(deps.clock.now().getTime() + snoozeHours * 3600_000) : null;
    await tell(deps, reply, snoozedText(config, until), { emoji: ":zzz:", formatted: true });
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
});

/** Snooze on an API-key reminder: the key's next reminder comes a day later at the earliest. */
async function snoozeKeyReminder(
  deps: SlackDeps,
  args: { client: WebClient; respond?: RespondFn; triggerId: string; workspaceId: string; userId: string; keyId: string },
): Promise<void> {
  const reply = args.respond ? { client: args.client, respond: args.respond } : { client: args.client, triggerId: args.triggerId };
  try {
    const { actor } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const { key, until, snoozed } = await deps.services.keyReminders.snooze(actor, args.keyId, snoozeHours);
    const message = keySnoozedMessage({ ...key, until, snoozed });
    if (args.respond) await args.respond({ response_type: "ephemeral", replace_original: false, ...message });
    // API-key reminders are messages (a DM), so a response_url is always there; anywhere else, a modal.
    else await args.client.views.open({ trigger_id: args.triggerId, view: noticeModal("keyward", message.text, { formatted: true }) });
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
}
