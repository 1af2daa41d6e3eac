/** What a reminder is about: an integration configuration or an API key nearing its expiry. */
export type ReminderSubjectType = "integration" | "api_key";

export interface ReminderSubject {
  type: ReminderSubjectType;
  id: string;
  workspaceId: string;
  expiresAt: Date;
  /** The zone the expiry day was chosen in; null for an instant. */
  expiryTimeZone: string | null;
  /** Integration slug and alias, or the key's name. */
  integration: string | null;
  alias: string | null;
  name: string;
  last4: string;
  isDefault: boolean;
  /** Where an integration's reminders go; null for API keys (their creator's DM). */
  channel: string | null;
  /** The configuration's or key's creator: DM'd for API keys, told when a channel refuses. */
  ownerId: string;
  /** Who last rotated the configuration (a Slack user id, or `key:<id>` for a program); null if never. */
  rotatedBy?: string | null;
}

export interface ReminderClaim {
  deliveryId: string;
  threshold: number;
  attempts: number;
  /** When Slack first refused this threshold for a passing reason, on the database's clock (null: never yet). */
  firstFailedAt: Date | null;
  subject: ReminderSubject;
  /** Local days to the expiry day as the pass hands the claim to the notifier (what the reminder says). */
  daysLeft?: number;
}

export type ReminderOutcome =
  /** `shared`: the message holds other configurations' reminders too (a combined one). */
  | { status: "sent"; channel: string; ts: string; note?: string; shared?: boolean }
  /**
   * A passing failure (429, 5xx, timeout): tried again on a later pass. `rateLimited`: Slack asked
   * to slow down (429): the rest of that channel waits for the next pass, and it is no failure
   * that counts toward giving up.
   */
  | { status: "retry"; error: string; rateLimited?: boolean }
  /** Nowhere to post it, ever (no human owner, channel and DM both refused for good). */
  | { status: "undeliverable"; error: string };

export interface ReminderPlan {
  /** The threshold to post now (the most urgent due), or null. */
  threshold: number | null;
  /** When the next reminder falls due after it. */
  next: Date | null;
}

/** A reminder message in Slack, as the ledger knows it. */
export interface PostedReminder {
  deliveryId: string;
  channel: string;
  ts: string;
  /** The expiry and threshold the message was about. */
  expiresAt: Date;
  threshold: number;
  /** A combined message (several configurations' reminders): a change rewrites this one's part alone. */
  shared?: boolean;
}

/** A subject as the database has it now, to tell whether a claim's snapshot went stale; null: deleted (or no longer live). */
export interface ReminderSubjectNow {
  last4: string;
  expiresAt: Date | null;
  expiryTimeZone: string | null;
}

/** Runs one post to a channel in its turn: at least the channel's interval after the previous post there ended. */
export type PaceFn = <T>(post: () => Promise<T>) => Promise<T>;

/** Renews a claim's lease and checks it is still worth posting, right before a post; false: skip it. */
export type BeforePost = (claim: ReminderClaim) => Promise<boolean>;

export interface ReminderNotifier {
  deliver(claim: ReminderClaim): Promise<ReminderOutcome>;
  /**
   * Integration reminders due in one channel of one workspace (at most `maxPerMessage`), posted as
   * one message; one outcome per claim, in order. Each post to the channel goes through `pace`.
   * Absent: the pass delivers every claim alone. `beforePost` runs before each further post a
   * claim takes (one by one after a combined refusal, an owner's DM): false means the claim is no
   * longer this pass's (taken over, or stale and settled), so it is not posted; its outcome is then ignored.
   */
  deliverMany?(claims: ReminderClaim[], pace: PaceFn, beforePost?: BeforePost): Promise<ReminderOutcome[]>;
  /** How many claims one deliverMany call takes (one message's worth). */
  maxPerMessage?: number;
  /**
   * A channel's claims (daysLeft set) as the messages they make, in order: as many in each as fit
   * by size, at most `maxPerMessage`. Absent: `maxPerMessage` at a time.
   */
  groups?(claims: ReminderClaim[]): ReminderClaim[][];
  /**
   * A reminder just posted whose subject was rotated or deleted while it went out (the change found
   * nothing to settle then): rewrite it as settled, without buttons (`shared`: the message holds other
   * configurations too; only this one's part is rewritten). Best effort; never rejects: "later"
   * when Slack refused it for a passing reason (429, 5xx, message_busy), so the pass keeps it for a retry.
   */
  withdraw?(claim: ReminderClaim, posted: { channel: string; ts: string; shared?: boolean }, now: ReminderSubjectNow | null, at: Date): Promise<"later" | void>;
}
