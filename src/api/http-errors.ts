import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { isDomainError, type ErrorCode } from "../domain/errors.ts";
import { sendJson } from "./http-json.ts";

/** The one mapping from domain error codes to HTTP statuses. */
const statusByCode: Record<ErrorCode, number> = {
  malformed_request: 400,
  unauthenticated: 401,
  permission_denied: 403,
  role_exceeds_actor: 403,
  not_found: 404,
  method_not_allowed: 405,
  ambiguous_reference: 409,
  conflict: 409,
  role_in_use: 409,
  validation_failed: 422,
  role_not_found: 422,
  expiry_in_past: 422,
  invalid_time_zone: 422,
  policy_violation: 422,
  approval_required: 422,
  rate_limited: 429,
  unavailable: 503,
};

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** A failure as status and JSON body; unexpected ones say nothing about internals, only a reference. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody; reference?: string } {
  if (isDomainError(error)) {
    const details = error.details && Object.keys(error.details).length > 0 ? error.details : undefined;
    return { status: statusByCode[error.code], body: { error: { code: error.code, message: error.message, ...(details ? { details } : {}) } } };
  }
  const reference = randomUUID().slice(0, 8);
  return {
    status: 500,
    reference,
    body: { error: { code: "internal", message: `Something went wrong on our side; nothing was changed. Reference ${reference}.` } },
  };
}

/** Every error answer on the main port (401, 404, 405, 429, 503, …): status from the code, the body from errorResponse. */
export function sendError(res: ServerResponse, error: unknown, extraHeaders: Record<string, string> = {}): void {
  const failure = errorResponse(error);
  sendJson(res, failure.status, failure.body, extraHeaders);
}
