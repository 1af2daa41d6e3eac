import type { ModalView } from "@slack/types";
import { updateConfigInputSchema, type UpdateConfigInput } from "../../domain/schemas.ts";
import { callbackIds, inputBlockIds as b } from "../ids.ts";
import { mrkdwn, plain, strong } from "./format.ts";
import { channelInput, currentChannelOf, textAnswer } from "./integration-inputs.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface IntegrationChannelModalView {
  integration: string;
  alias: string;
  reminderChannel: string | null;
  /** The configuration id; never a secret. */
  privateMetadata: string;
  /** Where the form was opened from; the picker starts there when no channel is set yet. None from the Home tab. */
  currentChannel?: string | null;
}

/** Where a configuration's expiry reminders go; empty stops channel reminders. */
export function integrationChannelModal(view: IntegrationChannelModalView): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.integrationChannel,
    title: plain("Reminder channel", 24),
    submit: plain("Save", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks: [
      {
        type: "section",
        block_id: "channel_facts",
        text: mrkdwn(`Expiry reminders for ${strong(`${view.integration}/${view.alias}`)}. Leave the channel empty to stop posting them.`),
      },
      channelInput(view.reminderChannel ?? currentChannelOf(view.currentChannel), true),
    ],
  };
}

type ParsedChannel = { ok: true; input: UpdateConfigInput } | { ok: false; errors: Record<string, string> };

export function parseIntegrationChannelModal(values: StateValues): ParsedChannel {
  const channel = textAnswer(readValues(values)[b.channel]);
  const input: UpdateConfigInput = { reminderChannel: channel || null };
  const result = updateConfigInputSchema.safeParse(input);
  if (!result.success) return { ok: false, errors: fieldErrorsToBlocks(result.error.issues, b.channel) };
  return { ok: true, input };
}
