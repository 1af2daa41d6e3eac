import type { KnownBlock } from "@slack/types";
import { thresholdLabel } from "../../domain/reminder-schedule.ts";
import { actionIds, reminderPartBlockId, reminderPartSubject, slashCommand } from "../ids.ts";
import { encodeReminderValue } from "../wire/reminder-values.ts";
import { escapeMrkdwn, isPerson, mention, mrkdwn, plain, plainDay, slackDate, strong } from "./format.ts";
import { isSettled, outcomeHeadline, outcomeLine, outcomeText, settledContext, type ReminderAfterView } from "./reminder-outcome.ts";

/** The view model of a reminder message (exported for the tests, which build one). */
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
    `3. Create a new configuration with the same alias \`${alias}\` (\`${slashCommand} integrations add\`)${v.isDefault ? `, and make it the default: this one is the default for ${integration}` : ""}.`,
    `4. Watch ${integration} afterwards for failed calls that still use the old key.`,
  ];
}

/** What an API key's owner does, and what each button does: roll while the key works; once expired (it cannot be rolled), a new key in its place. */
function apiKeySteps(v: ReminderMessageView, expired: boolean): string[] {
  const name = escapeMrkdwn(v.name);
  if (expired) {
    return [
      `1. *Create a replacement* opens the create form filled in with this key's name, role, kind and description; choose its expiry and create it. (An expired key cannot be rolled.)`,
      `2. Put the new secret where the old one was used.`,
      `3. Delete the expired key (\`…${escapeMrkdwn(v.last4)}\`) from \`${slashCommand} list\` once nothing refers to it.`,
    ];
  }
  return [
    `1. *Roll now* opens the roll form: a replacement with the same name, role and kind, and a new expiry (suggested: this key's lifetime again, from today); the old key keeps working for the grace period you choose. The same: \`${slashCommand} roll ${name}\`.`,
    `2. Put the new secret where the old one is used.`,
    `3. Check that nothing uses the old key before its grace period ends (its last use shows in \`${slashCommand} list\`).`,
    `*Snooze* puts this key's next reminder off by a day.`,
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
  if (v.subjectType !== "integration")
    return `${subject} ${when}: ${left < 0 ? "create a replacement with Create a replacement" : "roll it with Roll now (a new expiry), or Snooze"}.`;
  const person = responsiblePerson(v);
  return `${subject} ${when}: rotate it with Rotate now (in place, no gap).${person ? ` <@${person.userId}> ${person.did}.` : ""}`;
}

const reminderValue = (v: ReminderMessageView) => encodeReminderValue({ type: v.subjectType, id: v.subjectId });

/** The reminder's buttons; an expired API key gets only "Create a replacement" (no reminder is left to snooze). */
function reminderButtons(v: ReminderMessageView, expired: boolean) {
  const value = reminderValue(v);
  const primary = v.subjectType === "integration" ? "Rotate now" : expired ? "Create a replacement" : "Roll now";
  const rotate = { type: "button" as const, action_id: actionIds.rotateFromReminder, text: plain(primary, 75), style: "primary" as const, value };
  const snooze = { type: "button" as const, action_id: actionIds.snoozeReminder, text: plain("Snooze", 75), value };
  return v.subjectType === "api_key" && expired ? [rotate] : [rotate, snooze];
}

/** The reminder posted before (and once after) an expiry, with the rotation steps filled in; `after` set: the same message updated in place. */
export function reminderMessage(v: ReminderMessageView): { text: string; blocks: KnownBlock[] } {
  if (v.after && v.subjectType === "integration") return updatedIntegrationReminder(v, v.after);
  const what = v.subjectType === "integration" ? `${escapeMrkdwn(v.integration ?? "")} key \`${escapeMrkdwn(v.alias ?? "")}\`` : `API key ${strong(v.name)}`;
  const left = v.daysLeft ?? v.threshold;
  const expired = left < 0;
  const headline = `${v.subjectType === "integration" ? `${v.integration}/${v.alias}` : v.name} ${thresholdLabel(left)}`;
  const facts =
    v.subjectType === "integration"
      ? integrationFacts(v, left)
      : [
          `*Key:* ${escapeMrkdwn(v.name)}`,
          `*Owner:* ${mention(v.ownerId)}`,
          `*Last 4:* \`…${escapeMrkdwn(v.last4)}\``,
          `*${left < 0 ? "Expired" : "Expires"}:* ${slackDate(v.expiresAt)}`,
        ];
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "reminder_header", text: plain(`:hourglass: ${headline}`, 150) },
    { type: "section", block_id: "reminder_facts", fields: facts.map((f) => mrkdwn(f, 2000)) },
    {
      type: "section",
      block_id: "reminder_steps",
      text: mrkdwn(
        v.subjectType === "integration"
          ? `*To rotate ${what}:*\n${integrationSteps(v).join("\n")}`
          : `*To ${expired ? "replace" : "rotate"}* ${what}:\n${apiKeySteps(v, expired).join("\n")}`,
      ),
    },
    { type: "actions", block_id: "reminder_actions", elements: reminderButtons(v, expired) },
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
      {
        type: "section",
        block_id: "reminder_steps",
        text: mrkdwn(`*To rotate ${escapeMrkdwn(v.integration ?? "")} key \`${escapeMrkdwn(v.alias ?? "")}\`:*\n${integrationSteps(v).join("\n")}`),
      },
      {
        type: "actions",
        block_id: "reminder_actions",
        elements: [
          { type: "button", action_id: actionIds.rotateFromReminder, text: plain("Rotate now", 75), style: "primary", value: reminderValue(v) },
          { type: "button", action_id: actionIds.snoozeReminder, text: plain("Snooze another day", 75), value: reminderValue(v) },
        ],
      },
    );
  }
  const subject = `${escapeMrkdwn(v.integration ?? "")}/${escapeMrkdwn(v.alias ?? "")}`;
  return { text: outcomeText(subject, after, expiry), blocks };
}

// --- Several configurations in one message -------------------------------------------------------

/** Block Kit's limit per message (SLACK-NOTES): the header plus each configuration's part must fit. */
const maxBlocksPerMessage = 50;
/** The most blocks one configuration's part takes, in any state (live and snoozed: 4; settled: 3). */
const blocksPerPart = 4;
/**
 * How many configurations one combined reminder message holds: the header and every part at its
 * largest stay within 50 blocks (1 + 12 × 4 = 49). Each part's texts stay within their own limits
 * (section text 3000, 10 fields of 2000, 2 buttons per actions block of 25), whatever the count.
 */
export const remindersPerMessage = Math.floor((maxBlocksPerMessage - 1) / blocksPerPart);

/**
 * The total text a combined message's blocks may carry. Slack refuses more with
 * msg_blocks_too_long, a limit it does not document: bolt-js #2509 found it at about 13,200
 * characters, and #2867 a message refused with 11,341 characters of text (the blocks' own
 * structure counts too). Below both, with room for a part's rewrite to grow (a rotation's
 * actor, a snooze's line) without reaching the limit.
 */
export const maxMessageTextChars = 10_000;

/** Every text string in the blocks (section texts and fields, buttons, context, header), summed. */
export function blocksTextLength(blocks: readonly unknown[]): number {
  let total = 0;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object")
      for (const [key, value] of Object.entries(node)) {
        if (key === "text" && typeof value === "string") total += value.length;
        else walk(value);
      }
  };
  walk(blocks);
  return total;
}

/** One message can carry these blocks: at most 50, and text within {@link maxMessageTextChars}. */
export const withinMessageLimits = (blocks: readonly unknown[]): boolean =>
  blocks.length <= maxBlocksPerMessage && blocksTextLength(blocks) <= maxMessageTextChars;

/**
 * A channel's reminders as messages, in order: each takes as many as fit (by blocks and by
 * measured text, at most `remindersPerMessage`); a part too long to share a message goes alone.
 */
export function reminderMessageGroups<T>(items: readonly T[], viewOf: (item: T) => ReminderMessageView): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    const next = [...current, item];
    if (current.length > 0 && (next.length > remindersPerMessage || !withinMessageLimits(combinedReminderMessage(next.map(viewOf)).blocks))) {
      groups.push(current);
      current = [item];
    } else current = next;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

const divider = (subjectId: string): KnownBlock => ({ type: "divider", block_id: reminderPartBlockId("divider", subjectId) });

/**
 * One configuration's part of a combined reminder: its headline and facts, the rotation steps, its
 * own Rotate now and Snooze (the value names the configuration, as on a single reminder), a
 * divider. With `after` set: the same part after a rotation, snooze or deletion.
 */
export function reminderPart(v: ReminderMessageView): KnownBlock[] {
  const id = v.subjectId;
  const left = v.daysLeft ?? v.threshold;
  const subject = `${v.integration}/${v.alias}`;
  const expiry = { expiresAt: v.expiresAt, timeZone: v.expiryTimeZone, expired: left < 0 };
  const steps = `*To rotate ${escapeMrkdwn(v.integration ?? "")} key \`${escapeMrkdwn(v.alias ?? "")}\`:*\n${integrationSteps(v).join("\n")}`;
  const facts = integrationFacts(v, left).map((f) => mrkdwn(f, 2000));
  if (!v.after) {
    return [
      {
        type: "section",
        block_id: reminderPartBlockId("facts", id),
        text: mrkdwn(`:hourglass: *${escapeMrkdwn(subject)} ${thresholdLabel(left)}*`),
        fields: facts,
      },
      { type: "section", block_id: reminderPartBlockId("steps", id), text: mrkdwn(steps) },
      { type: "actions", block_id: reminderPartBlockId("actions", id), elements: reminderButtons(v, false) },
      divider(id),
    ];
  }
  const headline = `*${escapeMrkdwn(outcomeHeadline(subject, v.after, expiry))}*\n${outcomeLine(v.after, v.integration ?? "")}`;
  if (isSettled(v.after)) {
    return [
      { type: "section", block_id: reminderPartBlockId("facts", id), text: mrkdwn(headline) },
      { type: "context", block_id: reminderPartBlockId("was", id), elements: [mrkdwn(settledContext(v.last4, v.expiresAt, expiry.expired))] },
      divider(id),
    ];
  }
  const value = reminderValue(v);
  return [
    { type: "section", block_id: reminderPartBlockId("facts", id), text: mrkdwn(headline), fields: facts },
    { type: "section", block_id: reminderPartBlockId("steps", id), text: mrkdwn(steps) },
    {
      type: "actions",
      block_id: reminderPartBlockId("actions", id),
      elements: [
        { type: "button", action_id: actionIds.rotateFromReminder, text: plain("Rotate now", 75), style: "primary", value },
        { type: "button", action_id: actionIds.snoozeReminder, text: plain("Snooze another day", 75), value },
      ],
    },
    divider(id),
  ];
}

/** Notification text at most this long: it lists every configuration, and says how many it left out past it. */
const maxSummaryChars = 3000;

/**
 * The top-level text of a combined reminder (what a notification shows alone): how many, each
 * configuration with its expiry day, and everyone it concerns (mentioned once each).
 */
function combinedText(views: ReminderMessageView[]): string {
  const items = views.map((v) => {
    const left = v.daysLeft ?? v.threshold;
    const day = plainDay(v.expiresAt, v.expiryTimeZone);
    return `${escapeMrkdwn(v.integration ?? "")}/${escapeMrkdwn(v.alias ?? "")} ${thresholdLabel(left)} (${day})`;
  });
  const people = [...new Set(views.map((v) => responsiblePerson(v)?.userId).filter((id): id is string => id !== undefined))];
  const head = `${views.length} integration keys to rotate with Rotate now (in place, no gap): `;
  const tail = people.length > 0 ? ` ${people.map((id) => `<@${id}>`).join(" ")}: you added or last rotated them.` : "";
  let listed = items.length;
  const text = (n: number) => `${head}${items.slice(0, n).join("; ")}${n < items.length ? `; and ${items.length - n} more` : ""}.${tail}`;
  while (listed > 1 && text(listed).length > maxSummaryChars) listed--;
  return text(listed);
}

/**
 * Several integration reminders due in one channel, as one message: a header, then each
 * configuration's part (at most `remindersPerMessage`). One view alone gives the single reminder,
 * unchanged, so a lone reminder looks as it always did.
 */
export function combinedReminderMessage(views: ReminderMessageView[]): { text: string; blocks: KnownBlock[] } {
  if (views.length === 1) return reminderMessage(views[0]!);
  if (views.length === 0 || views.length > remindersPerMessage) throw new Error(`a combined reminder holds 2 to ${remindersPerMessage} configurations`);
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "reminder_header", text: plain(`:hourglass: ${views.length} integration keys to rotate`, 150) },
    ...views.flatMap(reminderPart),
  ];
  return { text: combinedText(views), blocks };
}

/**
 * A combined message's blocks with one configuration's part replaced by `part`, the other parts
 * as they were (someone else's snooze or rotation included); null when the message has no part
 * about that configuration (then there is nothing to replace).
 */
export function replaceReminderPart(blocks: readonly KnownBlock[], subjectId: string, part: KnownBlock[]): KnownBlock[] | null {
  const first = blocks.findIndex((b) => reminderPartSubject(b.block_id) === subjectId);
  if (first < 0) return null;
  const rest = blocks.filter((b, i) => i < first || reminderPartSubject(b.block_id) !== subjectId);
  return [...rest.slice(0, first), ...part, ...rest.slice(first)];
}
