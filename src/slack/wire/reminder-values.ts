// WIRE FORMAT, echoed back by Slack: the `value` of the buttons on reminder messages ("Rotate
// now", "Roll now", "Create a replacement", "Snooze", and "Snooze another day" on an updated
// reminder). Reminders stay in Slack for as long as people keep them, and a click comes back with
// the value posted then, so renaming a prefix strands every reminder already posted: every form
// written once must decode for good; add new forms, never rename or drop one.
//
//   integration configuration  `<configuration id>` (bare)
//   API key                    `apikey.<key id>`
//   API key, before issue 10   `key:<key id>`: still decoded; no longer written, since no message
//                              or view sent to Slack may carry `key:` followed by a UUID.
import { z } from "zod";

/** The decoded target (exported for the tests, which check that anything decodes to its shape). */
export const reminderButtonTargetSchema = z.object({ type: z.enum(["integration", "api_key"]), id: z.string() });
type ReminderButtonTarget = z.infer<typeof reminderButtonTargetSchema>;

const apiKeyPrefix = "apikey.";
const legacyApiKeyPrefix = "key:";

export function encodeReminderValue(target: ReminderButtonTarget): string {
  return target.type === "api_key" ? `${apiKeyPrefix}${target.id}` : target.id;
}

/** Any value decodes to a target; one naming nothing real is not found by the service that looks it up. */
export function decodeReminderValue(value: string | null | undefined): ReminderButtonTarget {
  const text = typeof value === "string" ? value : "";
  for (const prefix of [apiKeyPrefix, legacyApiKeyPrefix]) {
    if (text.startsWith(prefix)) return { type: "api_key", id: text.slice(prefix.length) };
  }
  return { type: "integration", id: text };
}
