import type { IntegrationConfig } from "./integration-types.ts";
import type { ReminderSubjectNow, ReminderSubjectType } from "./reminder-types.ts";
import type { Actor, Source } from "./types.ts";

/** Who changed a subject: a person (a Slack user id) or a program (`key:<id>`), and through which surface. */
export interface ReminderChangeActor {
  userId: string;
  source: Source;
  /** The API key a program (or a person over REST) acted with. */
  keyId?: string;
}

/** What became of a reminder's subject after its reminders were posted. */
export type ReminderChangeOutcome =
  | { what: "rotated"; last4: string; expiresAt: Date | null; expiryTimeZone: string | null }
  | { what: "snoozed"; until: Date }
  | { what: "deleted" }
  /**
   * Not a change anyone makes: the reminder pass's withdraw of a reminder whose subject was rotated
   * or deleted while it was posted (`now`: what it is now; null: deleted), kept here when Slack
   * refused the rewrite for a passing reason, so a later pass re-applies it.
   */
  | { what: "superseded"; now: ReminderSubjectNow | null };

export type ReminderMessageChange = ReminderChangeOutcome & {
  workspaceId: string;
  subjectType: ReminderSubjectType;
  subjectId: string;
  /** The subject as its reminders showed it: before the change. */
  subject: Pick<IntegrationConfig, "integration" | "alias" | "last4" | "isDefault" | "expiryTimeZone" | "createdBy" | "rotatedBy"> & {
    /** The expiry its reminders were about: only messages about it are updated (older ones were settled when it changed). */
    expiresAt: Date;
  };
  at: Date;
  by: ReminderChangeActor;
};

/**
 * The reminder messages already posted about a subject, brought up to date after a change (who
 * did what, when; buttons removed or changed), so nobody acts on a stale reminder. A port: the
 * domain never calls Slack itself. Best effort: it never rejects, and a failure never undoes the change.
 */
export interface ReminderMessages {
  refresh(change: ReminderMessageChange): Promise<void>;
  /** Re-applies the updates Slack refused for a passing reason (429, 5xx, timeout); the reminder pass calls it. Never rejects. */
  retryDeferred?(): Promise<void>;
}

/** A change as the ledger keeps it while its update waits for a retry: JSON, dates as ISO strings. */
export const encodeChange = (change: ReminderMessageChange): string => JSON.stringify(change);

export function decodeChange(json: unknown): ReminderMessageChange {
  const raw = (typeof json === "string" ? JSON.parse(json) : json) as ReminderMessageChange & Record<string, unknown>;
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  const change = { ...raw, at: date(raw.at)!, subject: { ...raw.subject, expiresAt: date(raw.subject.expiresAt)! } } as ReminderMessageChange;
  if (change.what === "rotated") change.expiresAt = date(raw.expiresAt);
  if (change.what === "snoozed") change.until = date(raw.until)!;
  if (change.what === "superseded" && change.now) change.now = { ...change.now, expiresAt: date(change.now.expiresAt) };
  return change;
}

/**
 * Called once a change has committed; not awaited, so the change's answer does not wait on Slack.
 * Without a port (no bot token, domain tests) it does nothing.
 */
export function refreshReminderMessages(
  port: ReminderMessages | undefined,
  actor: Actor,
  config: IntegrationConfig,
  at: Date,
  outcome: ReminderChangeOutcome,
): void {
  // No expiry, no reminders: nothing posted can be stale.
  if (!port || !config.expiresAt) return;
  const { integration, alias, last4, isDefault, expiresAt, expiryTimeZone, createdBy, rotatedBy } = config;
  const change: ReminderMessageChange = {
    ...outcome,
    workspaceId: config.workspaceId,
    subjectType: "integration",
    subjectId: config.id,
    subject: { integration, alias, last4, isDefault, expiresAt, expiryTimeZone, createdBy, rotatedBy },
    at,
    by: { userId: actor.userId, source: actor.source, ...(actor.keyId ? { keyId: actor.keyId } : {}) },
  };
  // The port promises never to reject; this guard keeps a broken one from crashing the process.
  port.refresh(change).catch(() => undefined);
}
