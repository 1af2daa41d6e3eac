/**
 * Every failure the domain reports carries a stable code. Surfaces translate codes:
 * src/api/http-errors.ts to HTTP statuses, src/slack/slack-errors.ts to Slack messages.
 */
export const errorCodes = [
  "validation_failed",
  "malformed_request",
  "permission_denied",
  "not_found",
  "ambiguous_reference",
  "conflict",
  "role_not_found",
  "role_exceeds_actor",
  "role_in_use",
  "expiry_in_past",
  "invalid_time_zone",
  "policy_violation",
  "approval_required",
  "unauthenticated",
  "method_not_allowed",
  "rate_limited",
  "unavailable",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A field-level problem, keyed by the input's field name (surfaces map it to a block or JSON path). */
export type FieldErrors = Record<string, string>;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: { fields?: FieldErrors; [key: string]: unknown },
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

export const denied = (what: string): DomainError => new DomainError("permission_denied", `You do not have permission to ${what}.`);

export const notFound = (what: string): DomainError => new DomainError("not_found", `${what} was not found.`);
