import type { ModalView } from "@slack/types";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { literal, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { readValues, type StateValues } from "./modal-state.ts";

export interface RollKeyModalView {
  name: string;
  last4: string;
  roleName: string;
  expiresAt: Date;
  privateMetadata: string;
}

const graceChoices: Array<[string, number]> = [
  ["Stop it now", 0],
  ["1 hour", 1],
  ["24 hours", 24],
  ["3 days", 72],
  ["7 days", 168],
];

/** `/keys roll`: a replacement with the same name, role and kind; the old key works for a grace period. */
export function rollKeyModal(view: RollKeyModalView): ModalView {
  const options = graceChoices.map(([text, hours]) => ({ text: plain(text, 75), value: String(hours) }));
  return {
    type: "modal",
    callback_id: callbackIds.rollKey,
    title: plain("Roll an API key", 24),
    submit: plain("Roll", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks: [
      {
        type: "section",
        block_id: "roll_facts",
        text: mrkdwn(`${strong(view.name)} (\`…${view.last4}\`, ${literal(view.roleName)}) gets a replacement with the same name, role, kind and expiry (${slackDate(view.expiresAt)}). Its secret is shown to you once.`),
      },
      {
        type: "input",
        block_id: b.grace,
        label: plain("Keep the old key working for"),
        hint: plain("Time to put the new secret everywhere the old one is used. Choose \"Stop it now\" if the old secret leaked."),
        element: { type: "static_select", action_id: inputActionId, options, initial_option: options[2], placeholder: plain("Choose a grace period") },
      },
    ],
  };
}

export function parseRollKeyModal(values: StateValues) {
  const raw = readValues(values)[b.grace];
  const hours = typeof raw === "string" ? Number(raw) : NaN;
  if (!graceChoices.some(([, h]) => h === hours)) return { ok: false as const, errors: { [b.grace]: "Choose how long the old key keeps working." } };
  return { ok: true as const, input: { graceHours: hours } };
}
