import type { ModalView } from "@slack/types";
import { addConfigInputSchema, integrationSlugSchema, type AddConfigInput } from "../../domain/schemas.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { plain } from "./format.ts";
import { channelInput, currentChannelOf, expiryInput, secretInput, textAnswer } from "./integration-inputs.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface AddIntegrationModalView {
  timeZone: string;
  /** Opaque to the builder (wire/form-metadata.ts encodes it); never a secret. */
  privateMetadata: string;
  /** Where the form was opened from (the command's channel); the reminder channel starts there. None from the Home tab. */
  currentChannel?: string | null;
}

const defaultOption = { text: plain("Make it the default for this integration", 75), value: "default" };

/** `/keys integrations add`: a third-party secret under an alias. */
export function addIntegrationModal(view: AddIntegrationModalView): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.addIntegration,
    title: plain("Add an integration key", 24),
    submit: plain("Add", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks: [
      {
        type: "input",
        block_id: b.integration,
        label: plain("Integration"),
        hint: plain("Its short name: lowercase letters, digits and dashes."),
        element: { type: "plain_text_input", action_id: inputActionId, max_length: 40, placeholder: plain("github") },
      },
      {
        type: "input",
        block_id: b.alias,
        label: plain("Alias"),
        hint: plain("What programs ask for. An alias that does not exist falls back to the integration's default."),
        element: { type: "plain_text_input", action_id: inputActionId, max_length: 64, placeholder: plain("cortex-github") },
      },
      secretInput("Secret"),
      expiryInput(view.timeZone, "Expires at the end of"),
      {
        type: "input",
        block_id: b.isDefault,
        optional: true,
        label: plain("Default"),
        hint: plain("The first configuration of an integration becomes its default anyway."),
        element: { type: "checkboxes", action_id: inputActionId, options: [defaultOption] },
      },
      channelInput(currentChannelOf(view.currentChannel), true),
    ],
  };
}

type ParsedAddIntegration = { ok: true; integration: string; input: AddConfigInput } | { ok: false; errors: Record<string, string> };

/** Validates with the domain's schemas; errors are keyed by input block for `response_action: "errors"`. */
export function parseAddIntegrationModal(values: StateValues, timeZone: string): ParsedAddIntegration {
  const raw = readValues(values);
  const day = textAnswer(raw[b.expiresOn]);
  const channel = textAnswer(raw[b.channel]);
  const checked = Array.isArray(raw[b.isDefault]) && raw[b.isDefault]!.includes("default");
  const input: AddConfigInput = {
    alias: textAnswer(raw[b.alias]),
    secret: textAnswer(raw[b.secret]),
    // Unchecked leaves the choice to the service: the first configuration becomes the default.
    ...(checked ? { isDefault: true } : {}),
    ...(channel ? { reminderChannel: channel } : {}),
    ...(day ? { expiresOn: day, timeZone } : {}),
  };
  const slug = integrationSlugSchema.safeParse(textAnswer(raw[b.integration]));
  const result = addConfigInputSchema.safeParse(input);
  const errors = result.success ? {} : fieldErrorsToBlocks(result.error.issues, b.alias);
  if (!slug.success) errors[b.integration] = slug.error.issues[0]?.message ?? "Give the integration's short name.";
  if (!slug.success || !result.success) return { ok: false, errors };
  // The service parses again; it gets the input as the person gave it, the checks already passed.
  return { ok: true, integration: slug.data, input };
}
