import type { KnownBlock } from "@slack/types";
import { thresholdLabel } from "../../domain/reminder-schedule.ts";
import { slashCommand } from "../ids.ts";
import { actionIds } from "../ids.ts";
import { escapeMrkdwn, isPerson, mention, mrkdwn, plain, plainDay, slackDate } from "./format.ts";
import { isSettled, outcomeHeadline, outcomeLine, outcomeText, settledContext, type ReminderAfterView } from "./reminder-outcome.ts";

export interface ReminderMessageView {
  subjectType: "integration" | "api_key";
  /** The configuration id, or the API key's id. */
  subjectId: string;
  integration: string | null;
  alias: string | null;
  name: string;
  last4: string;
  isDefault: boolean;
  expiresAt: Date;
  threshold: number;
  /** Local days to the expiry day when posted; what the headline says (the threshold when absent). */
  daysLeft?: number;
  /** A line for the owner when the reminder could not go where it should have. */
  note?: string;
  ownerId: string;
  /** Who last rotated the configuration: the reminder mentions them (or else the creator) when a person. */
  rotatedBy?: string | null;
  /** The zone the expiry day was chosen in, so the top-level text names that day. */
  expiryTimeZone?: string | null;
  /** Set when the posted reminder is updated in place after a rotation, snooze or deletion. */
  after?: ReminderAfterView;
}

/** The person to mention on an integration reminder: whoever last rotated it, or added it; programs are not mentioned. */
function responsiblePerson(v: ReminderMessageView): { userId: string; did: "last rotated it" | "added it" } | null {
  if (isPerson(v.rotatedBy)) return { userId: v.rotatedBy, did: "last rotated it" };
  return isPerson(v.ownerId) ? { userId: v.ownerId, did: "added it" } : null;
}

/** The fastest safe path first: Rotate now replaces the secret in place, so callers never see a gap. */
function integrationSteps(v: ReminderMessageView): string[] {
  const integration = escapeMrkdwn(v.integration ?? "");
  const alias = escapeMrkdwn(v.alias ?? "");
  return [
    `*Fastest safe path: Rotate now* (in place, no gap). Create a new key in *${integration}*, press *Rotate now* and paste it: keyward replaces the secret in place, keeping the alias \`${alias}\`${v.isDefault ? " and its default status" : ""}, so callers get the new key on their next look-up. Then watch ${integration} for failed calls that still use the old key.`,
    `*Or by hand:*`,
    `1. Create a new key in *${integration}*.`,
    `2. Note the alias \`${alias}\` and remove the old configuration: \`${slashCommand} integrations delete ${integration} ${alias}\`.`,
    `3. Create a new configuration with the same alias \`${alias}\` (\`${slashCommand} integrations add\`)${v.isDefault ? ", and make it the default: this one is the default for " + integration : ""}.`,
    `4. Watch ${integration} afterwards for failed calls that still use the old key.`,
  ];
}

function apiKeySteps(v: ReminderMessageView): string[] {
  const name = escapeMrkdwn(v.name);
  return [
    `1. Roll it: \`${slashCommand} roll ${name}\` issues a replacement with the same name and role; the old key keeps working for a grace period.`,
    `2. Put the new secret where the old one is used.`,
    `3. Check that nothing uses the old key before its grace period ends (its last use shows in \`${slashCommand} list\`).`,
  ];
}

/**
 * The top-level text, which mobile notifications show alone: subject, expiry day (plain text, no
 * `<!date>` to render), the action, and whom it concerns. User text is escaped: `text` is mrkdwn.
 */
function reminderText(v: ReminderMessageView, left: number): string {
  const subject = v.subjectType === "integration" ? `${escapeMrkdwn(v.integration ?? "")}/${escapeMrkdwn(v.alias ?? "")}` : escapeMrkdwn(v.name);
  const day = plainDay(v.expiresAt, v.expiryTimeZone);
  const when = left < 0 ? `${thresholdLabel(left)} (${day})` : `${thresholdLabel(left)}, on ${day}`;
  if (v.subjectType !== "integration") return `${subject} ${when}: ${left < 0 ? "create a replacement" : "roll it with Rotate now"}.`;
  const person = responsiblePerson(v);
  return `${subject} ${when}: rotate it with Rotate now (in place, no gap).${person ? ` <@${person.userId}> ${person.did}.` : ""}`;
}

/** The reminder posted before (and once after) an expiry, with the rotation steps filled in; `after` set: the same message updated in place. */
export function reminderMessage(v: ReminderMessageView): { text: string; blocks: KnownBlock[] } {
  if (v.after && v.subjectType === "integration") return updatedIntegrationReminder(v, v.after);
  const what = v.subjectType === "integration" ? `${escapeMrkdwn(v.integration ?? "")} key \`${escapeMrkdwn(v.alias ?? "")}\`` : `API key *${escapeMrkdwn(v.name)}*`;
  const left = v.daysLeft ?? v.threshold;
  const headline = `${v.subjectType === "integration" ? `${v.integration}/${v.alias}` : v.name} ${thresholdLabel(left)}`;
  const facts =
    v.subjectType === "integration"
      ? integrationFacts(v, left)
      : [`*Key:* ${escapeMrkdwn(v.name)}`, `*Owner:* ${mention(v.ownerId)}`, `*Last 4:* \`…${v.last4}\``, `*${left < 0 ? "Expired" : "Expires"}:* ${slackDate(v.expiresAt)}`];
  const buttonValue = v.subjectType === "integration" ? v.subjectId : `key:${v.subjectId}`;
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "reminder_header", text: plain(`:hourglass: ${headline}`, 150) },
    { type: "section", block_id: "reminder_facts", fields: facts.map((f) => mrkdwn(f, 2000)) },
    {
      type: "section",
      block_id: "reminder_steps",
      text: mrkdwn(`*To rotate ${what}:*\n${(v.subjectType === "integration" ? integrationSteps(v) : apiKeySteps(v)).join("\n")}`),
    },
    {
      type: "actions",
      block_id: "reminder_actions",
      elements: [
        { type: "button", action_id: actionIds.rotateFromReminder, text: plain("Rotate now", 75), style: "primary", value: buttonValue },
        { type: "button", action_id: actionIds.snoozeReminder, text: plain("Snooze", 75), value: buttonValue },
      ],
    },
  ];
  if (v.note) blocks.unshift({ type: "section", block_id: "reminder_note", text: mrkdwn(`:warning: ${v.note}`) });
  return { text: reminderText(v, left), blocks };
}

function personFact(v: ReminderMessageView): string[] {
  const person = responsiblePerson(v);
  if (!person) return [];
  return [`*${person.did === "added it" ? "Added" : "Last rotated"} by:* ${mention(person.userId)}`];
}

function integrationFacts(v: ReminderMessageView, left: number): string[] {
  return [
    `*Integration:* ${escapeMrkdwn(v.integration ?? "")}`,
    `*Alias:* \`${escapeMrkdwn(v.alias ?? "")}\``,
    `*Last 4:* \`…${escapeMrkdwn(v.last4)}\``,
    `*${left < 0 ? "Expired" : "Expires"}:* ${slackDate(v.expiresAt)}`,
    `*Default:* ${v.isDefault ? "yes" : "no"}`,
    ...personFact(v),
  ];
}

/**
 * A posted integration reminder after a change: who did what, when, first; rotated or deleted, it
 * keeps only what it was about; snoozed, it keeps its steps and Rotate now, and says until when.
 * Block ids stay those of the reminder, so a press on a copy Slack still shows lands the same way.
 */
function updatedIntegrationReminder(v: ReminderMessageView, after: ReminderAfterView): { text: string; blocks: KnownBlock[] } {
  const left = v.daysLeft ?? v.threshold;
  const expiry = { expiresAt: v.expiresAt, timeZone: v.expiryTimeZone, expired: left < 0 };
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "reminder_header", text: plain(outcomeHeadline(`${v.integration}/${v.alias}`, after, expiry), 150) },
    { type: "section", block_id: "reminder_outcome", text: mrkdwn(outcomeLine(after, v.integration ?? "")) },
  ];
  if (isSettled(after)) {
    blocks.push({ type: "context", block_id: "reminder_was", elements: [mrkdwn(settledContext(v.last4, v.expiresAt, expiry.expired))] });
  } else {
    blocks.push(
      { type: "section", block_id: "reminder_facts", fields: integrationFacts(v, left).map((f) => mrkdwn(f, 2000)) },
      { type: "section", block_id: "reminder_steps", text: mrkdwn(`*To rotate ${escapeMrkdwn(v.integration ?? "")} key \`${escapeMrkdwn(v.alias ?? "")}\`:*\n${integrationSteps(v).join("\n")}`) },
      {
        type: "actions",
        block_id: "reminder_actions",
        elements: [
          { type: "button", action_id: actionIds.rotateFromReminder, text: plain("Rotate now", 75), style: "primary", value: v.subjectId },
          { type: "button", action_id: actionIds.snoozeReminder, text: plain("Snooze another day", 75), value: v.subjectId },
        ],
      },
    );
  }
  const subject = `${escapeMrkdwn(v.integration ?? "")}/${escapeMrkdwn(v.alias ?? "")}`;
  return { text: outcomeText(subject, after, expiry), blocks };
}
