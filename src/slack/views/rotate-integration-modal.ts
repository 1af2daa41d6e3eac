import type { ModalView } from "@slack/types";
import { updateConfigInputSchema, type UpdateConfigInput } from "../../domain/schemas.ts";
import { callbackIds, inputBlockIds as b } from "../ids.ts";
import { escapeMrkdwn, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { expiryInput, secretInput, textAnswer } from "./integration-inputs.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface RotateIntegrationModalView {
  integration: string;
  alias: string;
  last4: string;
  isDefault: boolean;
  expiresAt: Date | null;
  timeZone: string;
  /** The configuration id and, from a reminder, its thread; never a secret. */
  privateMetadata: string;
}

/** In-place rotation: a new secret (and expiry) under the same alias, default status kept. */
export function rotateIntegrationModal(view: RotateIntegrationModalView): ModalView {
  const name = strong(`${view.integration}/${view.alias}`);
  const expiry = view.expiresAt ? `expires ${slackDate(view.expiresAt)}` : "does not expire";
  return {
    type: "modal",
    callback_id: callbackIds.rotateIntegration,
    title: plain("Rotate a secret", 24),
    submit: plain("Rotate", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks: [
      {
        type: "section",
        block_id: "rotate_facts",
        text: mrkdwn(
          `${name}${view.isDefault ? " (the default)" : ""}: the current secret \`…${escapeMrkdwn(view.last4)}\` ${expiry}. ` +
            `Create the new secret in the third-party tool first; the alias${view.isDefault ? " and its default status" : ""} stay as they are.`,
        ),
      },
      secretInput("New secret"),
      expiryInput(view.timeZone, "New secret expires at the end of"),
    ],
  };
}

type ParsedRotation = { ok: true; input: UpdateConfigInput } | { ok: false; errors: Record<string, string> };

export function parseRotateIntegrationModal(values: StateValues, timeZone: string): ParsedRotation {
  const raw = readValues(values);
  const day = textAnswer(raw[b.expiresOn]);
  // A new secret gets its own expiry: an empty date means it does not expire (no reminders), not "keep the old date".
  const input: UpdateConfigInput = { secret: textAnswer(raw[b.secret]), ...(day ? { expiresOn: day, timeZone } : { expiresAt: null }) };
  const result = updateConfigInputSchema.safeParse(input);
  if (!result.success) return { ok: false, errors: fieldErrorsToBlocks(result.error.issues, b.secret) };
  return { ok: true, input };
}
