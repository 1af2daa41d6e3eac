import type { ModalView } from "@slack/types";
import { descriptionMax, nameLimits, updateKeyInputSchema } from "../../domain/schemas.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { encodeEditFormMetadata } from "../wire/form-metadata.ts";
import { literal, mrkdwn, plain } from "./format.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface EditKeyModalView {
  keyId: string;
  name: string;
  description: string;
  roleName: string;
  last4: string;
  /** Default `{"keyId":…}`; a form opened from a list carries where it came from too (wire/form-metadata.ts). */
  privateMetadata?: string;
}

/** Only name and description can change (SPEC rule 6); the rest is shown, not editable. */
export function editKeyModal(view: EditKeyModalView): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.editKey,
    title: plain("Rename an API key", 24),
    submit: plain("Save", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata ?? encodeEditFormMetadata(view.keyId),
    blocks: [
      {
        type: "context",
        block_id: "key_facts",
        elements: [mrkdwn(`\`…${view.last4}\` · ${literal(view.roleName)} · role, kind and expiry cannot change; create a new key instead.`)],
      },
      {
        type: "input",
        block_id: b.name,
        label: plain("Name"),
        hint: plain(`Unique among live keys; at most ${nameLimits.max} characters. The secret stays the same: programs notice nothing.`),
        element: { type: "plain_text_input", action_id: inputActionId, initial_value: view.name, max_length: nameLimits.max, placeholder: plain("ci-deploy") },
      },
      {
        type: "input",
        block_id: b.description,
        optional: true,
        label: plain("Description"),
        hint: plain("Who uses the key and where it is stored. Leave it empty to remove the description."),
        element: {
          type: "plain_text_input",
          action_id: inputActionId,
          multiline: true,
          max_length: descriptionMax,
          placeholder: plain("Deploys from GitHub Actions; stored as DEPLOY_KEY"),
          ...(view.description ? { initial_value: view.description } : {}),
        },
      },
    ],
  };
}

export function parseEditKeyModal(values: StateValues) {
  const raw = readValues(values);
  const result = updateKeyInputSchema.safeParse({ name: raw[b.name] ?? "", description: raw[b.description] ?? "" });
  if (result.success) return { ok: true as const, input: result.data };
  return { ok: false as const, errors: fieldErrorsToBlocks(result.error.issues) };
}
