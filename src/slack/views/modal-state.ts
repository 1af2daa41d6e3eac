import { inputActionId, inputBlockIds } from "../ids.ts";

/** `view.state.values` as Slack sends it (SLACK-NOTES §3). */
export type StateValues = Record<string, Record<string, StateValue>>;
export interface StateValue {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: Array<{ value: string }>;
  selected_date?: string | null;
  selected_user?: string | null;
  selected_conversation?: string | null;
}

/** Flattens each input block's single element to its string (or string[]) answer. */
export function readValues(values: StateValues | undefined): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [blockId, actions] of Object.entries(values ?? {})) {
    const v = actions?.[inputActionId];
    if (!v) continue;
    out[blockId] =
      v.selected_options?.map((o) => o.value) ??
      v.selected_option?.value ??
      v.selected_date ??
      v.selected_user ??
      v.selected_conversation ??
      v.value ??
      undefined;
  }
  return out;
}

/** Domain field names → input block ids, for `response_action: "errors"`. */
const fieldToBlock: Record<string, string> = {
  name: inputBlockIds.name,
  description: inputBlockIds.description,
  role: inputBlockIds.role,
  expiresOn: inputBlockIds.expiresOn,
  expiresAt: inputBlockIds.expiresOn,
  timeZone: inputBlockIds.expiresOn,
  kind: inputBlockIds.kind,
  permissions: inputBlockIds.permissions,
  user: inputBlockIds.user,
  graceUntil: inputBlockIds.grace,
  integration: inputBlockIds.integration,
  alias: inputBlockIds.alias,
  secret: inputBlockIds.secret,
  isDefault: inputBlockIds.isDefault,
  reminderChannel: inputBlockIds.channel,
};

/** `overrides` lets a form put a domain field in a block of another name (a role's `name`, say). */
export function blockForField(field: string, fallback: string, overrides: Record<string, string> = {}): string {
  const top = field.split(".")[0]!;
  return overrides[top] ?? fieldToBlock[top] ?? fallback;
}

export function fieldErrorsToBlocks(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  fallback: string = inputBlockIds.name,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const block = blockForField(String(issue.path[0] ?? ""), fallback, overrides);
    errors[block] ??= issue.message;
  }
  return errors;
}
