import type { KnownBlock } from "@slack/types";
import type { Capabilities } from "../../domain/capabilities.ts";
import { slashCommand } from "../ids.ts";
import { escapeMrkdwn, mention, mrkdwn, strong } from "./format.ts";

interface HelpView {
  capabilities: Capabilities;
  roleName: string | null;
  /** Set when the help answers a command we could not read. */
  problem?: string;
  /** Whom to ask for a role (user ids), shown to someone who has none. */
  admins?: string[];
}

/** What someone without a role reads: who can give them one, as mentions. */
export function noRoleLine(admins: readonly string[] = []): string {
  const ask = "You have no keyward role yet: ask a keyward Admin to assign you one";
  if (admins.length === 0) return `${ask}. Slack workspace owners and admins are keyward Admins.`;
  const named = admins.map(mention);
  const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(", ")} or ${named.at(-1)}`;
  return `${ask}: ${list}.`;
}

/** `/keys` and `/keys help`: only what this person can actually do. */
export function helpMessage(view: HelpView): { text: string; blocks: KnownBlock[] } {
  const c = view.capabilities;
  const lines: string[] = [];
  if (c.viewKeys) lines.push(`\`${slashCommand} list [page]\` list the workspace's API keys`);
  if (c.createKinds.length > 0) {
    lines.push(`\`${slashCommand} create\` create ${c.createKinds.length === 1 ? "a personal" : "an"} API key (the secret is shown to you once)`);
  }
  if (c.createKinds.length > 0) {
    lines.push(
      `\`${slashCommand} edit <name|id>\` rename or re-describe a key`,
      `\`${slashCommand} delete <name|id>\` delete a key`,
      `\`${slashCommand} roll <name|id>\` replace a key; the old one works until a grace deadline`,
    );
  }
  if (c.requestKeys) lines.push(`\`${slashCommand} request\` ask for a key you may not create yourself; an approver decides`);
  if (c.setApprovals)
    lines.push(
      `\`${slashCommand} approvals [#channel|here|off]\` where key requests are put to approvers (without a channel: DMs to Admins)`,
      `\`${slashCommand} digest [#channel|here|off] [weekday] [hour]\` the weekly key hygiene digest (default Monday 9:00, your time zone)`,
      `\`${slashCommand} security [#channel|here|off|alert-only|revoke]\` where leaked keys are reported, and whether they are revoked`,
    );
  if (c.viewKeys) lines.push(`\`${slashCommand} roles\` list roles${c.editRoles ? ", create custom roles and assign them" : ""}`);
  if (c.viewIntegrations)
    lines.push(`\`${slashCommand} integrations [list [integration]]\` third-party keys: alias, last 4, default, expiry, reminder channel`);
  if (c.editIntegrations) {
    lines.push(
      `\`${slashCommand} integrations add\` store a third-party key under an alias`,
      `\`${slashCommand} integrations rotate|default|delete|channel <integration> <alias>\` rotate in place, make default, delete, set the reminder channel`,
    );
  }
  if (c.viewAudit) lines.push(`\`${slashCommand} audit [n]\` the latest audit events`);
  if (c.editPolicy) lines.push(`\`${slashCommand} policy\` the workspace policy: maximum lifetimes, required description, roles needing approval, reminders`);
  else if (c.requestKeys) lines.push(`\`${slashCommand} policy\` read the limits keys here are held to (only Admins change them)`);
  const who = view.roleName ? `Your role here is ${strong(view.roleName)}.` : noRoleLine(view.admins);
  const blocks: KnownBlock[] = [];
  if (view.problem) blocks.push({ type: "section", block_id: "help_problem", text: mrkdwn(`:warning: ${escapeMrkdwn(view.problem)}`) });
  blocks.push({ type: "section", block_id: "help_role", text: mrkdwn(who) });
  // Escaped: the usage placeholders (`<name|id>`) would otherwise read as Slack links, even in code.
  if (lines.length > 0) blocks.push({ type: "section", block_id: "help_commands", text: mrkdwn(escapeMrkdwn(lines.join("\n"))) });
  blocks.push({ type: "context", block_id: "help_more", elements: [mrkdwn(`\`${slashCommand} help\` shows this again. The Home tab has the same overview.`)] });
  return { text: helpSummary(view, lines.length), blocks };
}

/** The top-level text: the problem, if any, and what this person can do. */
function helpSummary(view: HelpView, commands: number): string {
  const can = view.roleName
    ? `As ${escapeMrkdwn(view.roleName)} you can use ${commands === 1 ? "1 command" : `${commands} commands`} of ${slashCommand}.`
    : noRoleLine(view.admins);
  return view.problem ? `${escapeMrkdwn(view.problem)} ${can}` : `keyward help: ${can}`;
}
