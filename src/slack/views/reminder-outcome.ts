import type { ReminderChangeOutcome } from "../../domain/reminder-messages.ts";
import type { Source } from "../../domain/types.ts";
import { escapeMrkdwn, isPerson, plainDay, plainInstant, slackDate } from "./format.ts";

/** Who changed a reminder's subject: a person, or a program with its key. */
export interface ReminderChangedBy {
  userId: string;
  source: Source;
  /** The API key a program acted with, as `name …last4`: never its id. */
  keyLabel?: string;
}

/** What happened to a reminder's subject after it was posted: the message is updated in place to say so. */
export type ReminderAfterView =
  | (ReminderChangeOutcome & { at: Date; by: ReminderChangedBy })
  /** Rotated (`now`: as stored now) or deleted (null) while the reminder was being posted: who and when are not known here. */
  | { what: "superseded"; at: Date; now: { last4: string; expiresAt: Date | null; expiryTimeZone: string | null } | null };

/** Rotated or deleted: nothing left to do from this message, so it loses its steps and buttons. */
export const isSettled = (after: ReminderAfterView): boolean => after.what !== "snoozed";

/** A person as a mention; a program by its key's name, never by an id. */
function actor(by: ReminderChangedBy): string {
  const viaRest = by.source === "api" ? " over the REST API" : "";
  if (isPerson(by.userId)) return `<@${by.userId}>${viaRest}`;
  if (by.keyLabel) return `API key *${escapeMrkdwn(by.keyLabel)}*${viaRest}`;
  return by.source === "api" ? "a program over the REST API" : "keyward";
}

/** The header (plain text) of an updated reminder. */
export function outcomeHeadline(
  subject: string,
  after: ReminderAfterView,
  expiry: { expiresAt: Date; timeZone: string | null | undefined; expired: boolean },
): string {
  if (after.what === "rotated") return `:white_check_mark: ${subject} rotated`;
  if (after.what === "deleted") return `:wastebasket: ${subject} deleted`;
  if (after.what === "superseded") return after.now ? `:white_check_mark: ${subject} rotated` : `:wastebasket: ${subject} deleted`;
  return `:zzz: ${subject} ${expiry.expired ? "expired on" : "expires on"} ${plainDay(expiry.expiresAt, expiry.timeZone)}`;
}

/** The line that says who did what, when (each reader sees the time in their own zone). */
export function outcomeLine(after: ReminderAfterView, integration: string): string {
  if (after.what === "superseded") {
    if (!after.now)
      return `:wastebasket: *Deleted* while this reminder was being posted: the configuration and its secret are gone, so there is nothing left to rotate.`;
    const expiry = after.now.expiresAt ? `expires ${slackDate(after.now.expiresAt, "{date_long_pretty}")}` : "has no expiry";
    return `:white_check_mark: *Rotated* while this reminder was being posted: the secret is now \`…${escapeMrkdwn(after.now.last4)}\` and ${expiry}. Nothing left to do here.`;
  }
  const who = `${actor(after.by)} ${slackDate(after.at)}`;
  switch (after.what) {
    case "rotated": {
      const expiry = after.expiresAt ? `expires ${slackDate(after.expiresAt, "{date_long_pretty}")}` : "has no expiry";
      return `:white_check_mark: *Rotated* by ${who}: the new secret \`…${escapeMrkdwn(after.last4)}\` ${expiry}. Nothing left to do here but step 4: watch *${escapeMrkdwn(integration)}* for failed calls that still use the old key.`;
    }
    case "deleted":
      return `:wastebasket: *Deleted* by ${who}: the configuration and its secret are gone, so there is nothing left to rotate.`;
    case "snoozed":
      return `:zzz: *Snoozed* by ${who}: the next reminder comes no sooner than ${slackDate(after.until)}. *Rotate now* still works.`;
  }
}

/** What the reminder was about, once it is settled (its facts would otherwise read as current). */
export function settledContext(last4: string, expiresAt: Date, expired: boolean): string {
  return `This reminder was about the secret \`…${escapeMrkdwn(last4)}\`, which ${expired ? "expired" : "expires"} ${slackDate(expiresAt, "{date_long_pretty}")}.`;
}

/** The top-level text of an updated reminder: plain dates, as notifications and previews show it. `subject` is escaped already. */
export function outcomeText(
  subject: string,
  after: ReminderAfterView,
  expiry: { expiresAt: Date; timeZone: string | null | undefined; expired: boolean },
): string {
  if (after.what === "superseded") {
    if (!after.now) return `${subject} was deleted while this reminder was being posted: nothing left to rotate.`;
    const expires = after.now.expiresAt ? `expires on ${plainDay(after.now.expiresAt, after.now.expiryTimeZone)}` : "has no expiry";
    return `${subject} was rotated while this reminder was being posted: the secret is now …${escapeMrkdwn(after.now.last4)} and ${expires}. Nothing to do.`;
  }
  const who = isPerson(after.by.userId)
    ? `<@${after.by.userId}>`
    : after.by.keyLabel
      ? `API key ${escapeMrkdwn(after.by.keyLabel)}`
      : after.by.source === "api"
        ? "a program"
        : "keyward";
  const when = plainInstant(after.at);
  switch (after.what) {
    case "rotated": {
      const expires = after.expiresAt ? `expires on ${plainDay(after.expiresAt, after.expiryTimeZone)}` : "has no expiry";
      return `${subject} was rotated by ${who} on ${when}: the new secret …${escapeMrkdwn(after.last4)} ${expires}. Nothing to do.`;
    }
    case "deleted":
      return `${subject} was deleted by ${who} on ${when}: nothing left to rotate.`;
    case "snoozed":
      return `${subject} ${expiry.expired ? "expired on" : "expires on"} ${plainDay(expiry.expiresAt, expiry.timeZone)}: snoozed by ${who} until ${plainInstant(after.until)}; rotate it with Rotate now (in place, no gap).`;
  }
}
