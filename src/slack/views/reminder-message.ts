import type { KnownBlock } from "@slack/types";
import { thresholdLabel } from "../../domain/reminder-schedule.ts";
import { slashCommand } from "../ids.ts";
import { actionIds } from "../ids.ts";
import { encodeReminderValue } from "../reminder-values.ts";
import { escapeMrkdwn, mention, mrkdwn, plain, slackDate } from "./format.ts";

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
}

function integrationSteps(v: ReminderMessageView): string[] {
  const integration = escapeMrkdwn(v.integration ?? "");
  const alias = escapeMrkdwn(v.alias ?? "");
  return [
    `1. Create a new key in *${integration}*.`,
    `2. Note the alias \`${alias}\` and remove the old configuration: \`${slashCommand} integrations delete ${integration} ${alias}\`.`,
    `3. Create a new configuration with the same alias \`${alias}\` (\`${slashCommand} integrations add\`)${v.isDefault ? ", and make it the default: this one is the default for " + integration : ""}.`,
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

/** The reminder's buttons; an expired API key gets only "Create a replacement" (no reminder is left to snooze). */
function reminderButtons(v: ReminderMessageView, expired: boolean) {
  const value = encodeReminderValue({ type: v.subjectType, id: v.subjectId });
  const primary = v.subjectType === "integration" ? "Rotate now" : expired ? "Create a replacement" : "Roll now";
  const rotate = { type: "button" as const, action_id: actionIds.rotateFromReminder, text: plain(primary, 75), style: "primary" as const, value };
  const snooze = { type: "button" as const, action_id: actionIds.snoozeReminder, text: plain("Snooze", 75), value };
  return v.subjectType === "api_key" && expired ? [rotate] : [rotate, snooze];
}

/** The reminder posted before (and once after) an expiry, with the rotation steps filled in. */
export function reminderMessage(v: ReminderMessageView): { text: string; blocks: KnownBlock[] } {
  const what = v.subjectType === "integration" ? `${v.integration} key \`${v.alias}\`` : `API key *${escapeMrkdwn(v.name)}*`;
  const left = v.daysLeft ?? v.threshold;
  const expired = left < 0;
  const headline = `${v.subjectType === "integration" ? `${v.integration}/${v.alias}` : v.name} ${thresholdLabel(left)}`;
  const facts = [
    v.subjectType === "integration" ? `*Integration:* ${escapeMrkdwn(v.integration ?? "")}` : `*Key:* ${escapeMrkdwn(v.name)}`,
    v.subjectType === "integration" ? `*Alias:* \`${escapeMrkdwn(v.alias ?? "")}\`` : `*Owner:* ${mention(v.ownerId)}`,
    `*Last 4:* \`…${v.last4}\``,
    `*${left < 0 ? "Expired" : "Expires"}:* ${slackDate(v.expiresAt)}`,
  ];
  if (v.subjectType === "integration") facts.push(`*Default:* ${v.isDefault ? "yes" : "no"}`);
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "reminder_header", text: plain(`:hourglass: ${headline}`, 150) },
    { type: "section", block_id: "reminder_facts", fields: facts.map((f) => mrkdwn(f, 2000)) },
    {
      type: "section",
      block_id: "reminder_steps",
      text: mrkdwn(v.subjectType === "integration" ? `*To rotate ${what}:*\n${integrationSteps(v).join("\n")}` : `*To ${expired ? "replace" : "rotate"} ${what}:*\n${apiKeySteps(v, expired).join("\n")}`),
    },
    { type: "actions", block_id: "reminder_actions", elements: reminderButtons(v, expired) },
  ];
  if (v.note) blocks.unshift({ type: "section", block_id: "reminder_note", text: mrkdwn(`:warning: ${v.note}`) });
  return { text: headline, blocks };
}
