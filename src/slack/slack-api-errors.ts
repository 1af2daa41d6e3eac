// Slack Web API error codes, as keyward decides on them: passing (try again later), the channel's
// own refusal (tell someone who can fix it), and how to read the code off an error. One place for
// the reminders, the digest, key requests and leak announcements.

/** Errors after which the same call may well succeed later: the pass leaves the claim for a retry. */
const passing = new Set([
  "ratelimited",
  "rate_limited",
  "service_unavailable",
  "fatal_error",
  "internal_error",
  "request_timeout",
  "slack_webapi_rate_limited_error",
  "slack_webapi_http_error",
  "slack_webapi_request_error",
  // Not Slack's: another instance is rewriting the same combined message (reminder-message-parts.ts).
  "message_busy",
]);
export const isPassing = (code: string): boolean => passing.has(code);

/**
 * Errors that mean "not this channel": the owner is told in their DM instead of silence (a reminder's owner;
 * a leak's Admins, when it is the security channel: leak-announcer.ts).
 */
export const wrongChannel: ReadonlySet<string> = new Set(["channel_not_found", "not_in_channel", "is_archived", "restricted_action"]);

/** Slack's error code (`message_not_found`, `ratelimited`, …) or the WebClient's, for logs and decisions. */
export function errorCode(error: unknown): string {
  const e = error as { data?: { error?: string }; code?: string };
  return e.data?.error ?? e.code ?? "unknown";
}
