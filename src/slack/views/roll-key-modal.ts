import type { ModalView } from "@slack/types";
import { maxGraceHours, type RollKeyInput, rollKeyInputSchema } from "../../domain/schemas.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { literal, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface RollKeyModalView {
  name: string;
  last4: string;
  roleName: string;
  expiresAt: Date;
  /** The replacement's default expiry day (the old key's lifetime again, from today), in `timeZone`. */
  defaultDay: string;
  /** The old key's lifetime in days, for the hint that explains the default. */
  lifetimeDays: number;
  /** The roller's Slack time zone: the chosen day ends there (rule 5). */
  timeZone: string;
  privateMetadata: string;
  /** The workspace policy's maximum lifetime for this key's kind, in words (null: none). */
  expiryLimit?: string | null;
}

const graceChoices: Array<[string, number]> = [
  ["Stop it now", 0],
  ["1 hour", 1],
  ["24 hours", 24],
  ["3 days", 72],
  ["7 days", maxGraceHours],
];

const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;

/** `/keys roll`: a replacement with the same name, role and kind and a new expiry; the old key works for a grace period. */
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
        text: mrkdwn(
          `${strong(view.name)} (\`…${view.last4}\`, ${literal(view.roleName)}, expires ${slackDate(view.expiresAt)}) gets a replacement with the same name, role and kind, and the expiry you choose below. Its secret is shown to you once.`,
        ),
      },
      {
        type: "input",
        block_id: b.expiresOn,
        label: plain("The new key expires at the end of"),
        hint: plain(
          `${view.expiryLimit ? `${view.expiryLimit} ` : ""}Suggested: ${days(view.lifetimeDays)} from today, this key's lifetime again${view.expiryLimit ? " (within the maximum)" : ""}. 23:59:59 on that day in your time zone (${view.timeZone}).`,
        ),
        element: { type: "datepicker", action_id: inputActionId, initial_date: view.defaultDay, placeholder: plain("The last day the new key works") },
      },
      {
        type: "input",
        block_id: b.grace,
        label: plain("Keep the old key working for"),
        hint: plain('Time to put the new secret everywhere the old one is used. Choose "Stop it now" if the old secret leaked.'),
        element: { type: "static_select", action_id: inputActionId, options, initial_option: options[2], placeholder: plain("Choose a grace period") },
      },
    ],
  };
}

/** Reads the submitted roll form; errors are keyed by its blocks (a past day is refused by the service, on the same block). */
export function parseRollKeyModal(values: StateValues, timeZone: string) {
  const raw = readValues(values);
  const errors: Record<string, string> = {};
  const grace = raw[b.grace];
  const hours = typeof grace === "string" ? Number(grace) : NaN;
  if (!graceChoices.some(([, h]) => h === hours)) errors[b.grace] = "Choose how long the old key keeps working.";
  const day = raw[b.expiresOn];
  if (typeof day !== "string" || day === "") errors[b.expiresOn] = "Choose the day the new key expires.";
  if (Object.keys(errors).length > 0) return { ok: false as const, errors };
  const candidate = { graceHours: hours, expiresOn: day as string, timeZone };
  const result = rollKeyInputSchema.safeParse(candidate);
  // The service parses again; it gets the input as the person gave it, the checks already passed.
  if (result.success) return { ok: true as const, input: candidate satisfies RollKeyInput };
  return { ok: false as const, errors: fieldErrorsToBlocks(result.error.issues, b.expiresOn) };
}
