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

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** One element's answer; anything not shaped as Slack sends it counts as no answer. */
function answerOf(v: StateValue): string | string[] | undefined {
  if (Array.isArray(v.selected_options)) {
    return v.selected_options.map((o) => text((o as { value?: unknown } | null)?.value)).filter((x): x is string => x !== undefined);
  }
  return (
    text((v.selected_option as { value?: unknown } | null | undefined)?.value) ??
    text(v.selected_date) ??
    text(v.selected_user) ??
    text(v.selected_conversation) ??
    text(v.value)
  );
}

/**
 * Flattens each input block's single element to its string (or string[]) answer. The result has
 * no prototype, so a block named `__proto__` (a forged payload) is just a key like any other.
 */
export function readValues(values: StateValues | undefined): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = Object.create(null);
  if (!values || typeof values !== "object") return out;
  for (const [blockId, actions] of Object.entries(values)) {
    const v = actions && typeof actions === "object" ? (actions as Record<string, unknown>)[inputActionId] : undefined;
    if (!v || typeof v !== "object") continue;
    out[blockId] = answerOf(v as StateValue);
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
  reason: inputBlockIds.reason,
};

/** `overrides` lets a form put a domain field in a block of another name (a role's `name`, say). */
export function blockForField(field: string, fallback: string, overrides: Record<string, string> = {}): string {
  const top = field.split(".")[0]!;
  // The whole dotted path first: a form may show parts of one field in blocks of their own.
  return overrides[field] ?? overrides[top] ?? fieldToBlock[top] ?? fallback;
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
