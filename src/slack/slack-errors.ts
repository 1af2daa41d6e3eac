import { isDomainError, type ErrorCode } from "../domain/errors.ts";

/** What a Slack user can do next, for the codes where there is something. */
const nextSteps: Partial<Record<ErrorCode, string>> = {
  permission_denied: "Ask a keyward Admin if you need this.",
  role_exceeds_actor: "Choose a role whose permissions you hold yourself.",
  ambiguous_reference: "Choose the one you mean from its row menu in `/keys list`, or use the key's id instead of its name.",
  unavailable: "Try again in a minute.",
  approval_required: "Ask for it with `/keys request`: someone else approves it.",
  policy_violation: "See `/keys policy` for this workspace's limits.",
};

/**
 * The one mapping from domain error codes to what a Slack user reads. Domain messages are written
 * for people already; this adds the next step where there is one. `hints`: a form's own next
 * steps, where the general one would not fit it (a roll cannot change the role).
 */
export function slackErrorText(error: unknown, reference?: string, hints: Partial<Record<ErrorCode, string>> = {}): string {
  if (isDomainError(error)) {
    const next = hints[error.code] ?? nextSteps[error.code];
    return next ? `${error.message} ${next}` : error.message;
  }
  // Never the exception's own text: it may hold internals. The reference ties the log line to the report.
  return `Something went wrong on our side and nothing was changed.${reference ? ` (reference ${reference})` : ""}`;
}

/** Field errors from the domain, if the error carries any (for `response_action: "errors"`). */
export function domainFieldErrors(error: unknown): Record<string, string> | undefined {
  return isDomainError(error) ? error.details?.fields : undefined;
}
