import type { ReminderMessageChange } from "./reminder-messages.ts";

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
  | { status: "sent"; channel: string; ts: string; note?: string }
  /** A passing failure (429, 5xx, timeout): tried again on a later pass. */
  | { status: "retry"; error: string }
  /** Nowhere to post it, ever (no human owner, channel and DM both refused for good). */
  | { status: "undeliverable"; error: string };

export interface ReminderPlan {
  /** The threshold to post now (the most urgent due), or null. */
  threshold: number | null;
  /** When the next reminder falls due after it. */
  next: Date | null;
}

/**
 * The ledger and the due rows. Implementations claim in the database (row locks that skip rows
 * another instance holds, and a unique ledger row per subject, expiry and threshold), so that
 * each threshold is posted once across restarts and instances.
 */
export interface ReminderRepository {
  /** Claims due subjects of one type with id > after, at most `limit`; moves their next reminder on. */
  claimDue(input: {
    type: ReminderSubjectType;
    now: Date;
    after?: string;
    limit: number;
    instance: string;
    plan: (subject: ReminderSubject) => ReminderPlan;
  }): Promise<{ claims: ReminderClaim[]; lastId: string | null }>;
  /**
   * The database's clock. Claims and their leases are timed on it, not on any instance's clock, so
   * that one instance whose clock runs ahead (or jumps) cannot take over another's live claim.
   */
  databaseNow(): Promise<Date>;
  /**
   * Re-claims deliveries that failed for a passing reason before `passStart` (database time), or
   * whose claimant died: claimed or renewed more than `leaseMs` ago on the database's clock.
   */
  claimRetries(input: {
    passStart: Date;
    leaseMs: number;
    limit: number;
    instance: string;
    /** The subject's most urgent threshold due now; a retry of a less urgent one comes back obsolete (the due phase posts that one). */
    mostUrgentDue: (subject: ReminderSubject) => number | null;
  }): Promise<Array<ReminderClaim | { deliveryId: string; obsolete: string }>>;
  /**
   * Renews this instance's claim just before posting; false when another pass took the claim
   * over meanwhile (then this one must not post). The lease counts from here (database time), not from the claim.
   */
  renew(deliveryId: string, instance: string): Promise<boolean>;
  /**
   * Records the outcome (`at`: when it was sent); with `instance`, only while this instance still
   * holds the claim. A "retry" keeps the time of the first failure (the database's now() if there
   * was none), so giving up is timed on the database's clock, like the leases.
   */
  finish(deliveryId: string, outcome: ReminderOutcome | { status: "obsolete"; error: string }, at: Date, instance?: string): Promise<void>;
  /**
   * The reminder messages posted about a subject of this workspace and its expiry `expiresAt` (the
   * one before the change: messages about an earlier one are not rewritten with today's facts) and not settled yet, oldest
   * first; the caller applies a newer change, so an update of theirs still waiting for a retry is dropped.
   */
  postedMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]>;
  /**
   * Marks those messages settled (the subject was rotated or deleted) and returns them: only the
   * caller that settled a message updates it, so a later change cannot rewrite what happened.
   */
  settleMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]>;
  /** The subject's last 4 and expiry as stored now (null: deleted); read outside any claim. */
  subjectNow(type: ReminderSubjectType, subjectId: string): Promise<ReminderSubjectNow | null>;
  /**
   * Keeps a change whose chat.update Slack refused for a passing reason on its message's row, so a
   * later pass re-applies it (the row stays settled: no other change rewrites it meanwhile).
   */
  deferUpdate(deliveryId: string, change: ReminderMessageChange): Promise<void>;
  /** Takes (and clears) up to `limit` deferred updates, of any workspace: each goes to one caller only. */
  takeDeferredUpdates(limit: number): Promise<Array<{ message: PostedReminder; change: ReminderMessageChange }>>;
  /** Settles one delivery's message; true only for the caller that settled it (so it alone rewrites it). */
  settleDelivery(deliveryId: string): Promise<boolean>;
}

/** A reminder message in Slack, as the ledger knows it. */
export interface PostedReminder {
  deliveryId: string;
  channel: string;
  ts: string;
  /** The expiry and threshold the message was about. */
  expiresAt: Date;
  threshold: number;
}

/** A subject as the database has it now, to tell whether a claim's snapshot went stale; null: deleted (or no longer live). */
export interface ReminderSubjectNow {
  last4: string;
  expiresAt: Date | null;
  expiryTimeZone: string | null;
}

export interface ReminderNotifier {
  deliver(claim: ReminderClaim): Promise<ReminderOutcome>;
  /**
   * A reminder just posted whose subject was rotated or deleted while it went out (the change found
   * nothing to settle then): rewrite it as settled, without buttons. Best effort; never rejects.
   */
  withdraw?(claim: ReminderClaim, posted: { channel: string; ts: string }, now: ReminderSubjectNow | null, at: Date): Promise<void>;
}
