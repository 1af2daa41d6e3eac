// Inputs shared by the add, rotate and channel modals (their private_metadata: wire/form-metadata.ts). The secret input
// never has an initial value: a secret goes from the person to the service and nowhere else.
import type { KnownBlock } from "@slack/types";
import { inputActionId, inputBlockIds as b } from "../ids.ts";
import { plain } from "./format.ts";
import { slackChannelIdPattern } from "../../domain/schemas.ts";

/** Slack caps a plain_text_input at 3000 characters; longer secrets (the domain takes 4096) go through REST. */
const secretMaxLength = 3000;

export function secretInput(label: string): KnownBlock {
  return {
    type: "input",
    block_id: b.secret,
    label: plain(label),
    hint: plain("Stored encrypted. It is never shown again in Slack: only its last 4 characters."),
    element: { type: "plain_text_input", action_id: inputActionId, max_length: secretMaxLength, placeholder: plain("Paste the token or key") },
  };
}

export function expiryInput(timeZone: string, label: string): KnownBlock {
  return {
    type: "input",
    block_id: b.expiresOn,
    optional: true,
    label: plain(label),
    hint: plain(`The end of that day in your time zone (${timeZone}). Leave it empty if the secret does not expire: no reminders are posted then.`),
    element: { type: "datepicker", action_id: inputActionId, placeholder: plain("When the third party expires it") },
  };
}

/**
 * The channel a form should start with: the conversation the command was typed in (or whose
 * message held the button), when it is a channel reminders can go to. A DM cannot hold them, and
 * a form opened from the Home tab has no conversation at all, so those start empty.
 */
export function currentChannelOf(channelId: string | null | undefined): string | null {
  return channelId && slackChannelIdPattern.test(channelId) ? channelId : null;
}

export function channelInput(initial: string | null, optional: boolean): KnownBlock {
  return {
    type: "input",
    block_id: b.channel,
    optional,
    label: plain("Reminder channel"),
    hint: plain("Expiry reminders are posted there, with the rotation steps. Invite the app to the channel so it can post."),
    element: {
      type: "conversations_select",
      action_id: inputActionId,
      placeholder: plain("Choose a channel"),
      filter: { include: ["public", "private"], exclude_bot_users: true },
      ...(initial ? { initial_conversation: initial } : {}),
    },
  };
}

/** A form field's answer as text ("" when empty), for the domain schemas. */
export function textAnswer(raw: string | string[] | undefined): string {
  return typeof raw === "string" ? raw : "";
}
