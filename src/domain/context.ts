import type { DigestNotifier } from "./digest-types.ts";
import type { KeyHasher } from "./key-hasher.ts";
import type { ReminderMessages } from "./reminder-messages.ts";
import type { ReminderNotifier } from "./reminder-types.ts";
import type { SecretCipher } from "./secret-cipher.ts";
import type { DomainTelemetry } from "./telemetry.ts";
import type { Store } from "./repositories.ts";
import type { Clock, RandomSource } from "./runtime.ts";
import type { SlackTokenRefresh } from "./slack-install-service.ts";

/** What every domain service is built from: storage, time, randomness and the server's secrets. */
export interface DomainContext {
  store: Store;
  clock: Clock;
  random: RandomSource;
  hasher: KeyHasher;
  /** KEYWARD_ADMINS: Admin whatever Slack says. */
  adminUserIds: ReadonlySet<string>;
  /** Encrypts integration secrets at rest. */
  cipher: SecretCipher;
  /** REMINDER_DAYS: the thresholds, in days before the expiry day. */
  reminderDays: readonly number[];
  /** REMINDER_CLAIM_LEASE_SECONDS, in ms: how long a claimed reminder is its claimant's alone (absent: 2 minutes). */
  reminderLeaseMs?: number;
  /** Posts reminders (to Slack); absent without a bot token, and then there are no reminder passes. */
  reminderNotifier?: ReminderNotifier;
  /** Posts weekly digests (to Slack); absent without a bot token, and then digest passes post nothing. */
  digestNotifier?: DigestNotifier;
  /** Updates reminder messages already posted after a rotation, snooze or deletion (absent: nothing to update). */
  reminderMessages?: ReminderMessages;
  /** OAuth installs with token rotation: exchanges a refresh token (absent: tokens are never refreshed). */
  slackTokenRefresh?: SlackTokenRefresh;
  /** Counts verifications and cache look-ups for metrics (absent: nothing is counted). */
  telemetry?: DomainTelemetry;
}
