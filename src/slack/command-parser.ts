import { auditListMax } from "../domain/audit.ts";
import type { LeakMode } from "../domain/leak-settings.ts";
import { slackChannelIdPattern } from "../domain/schemas.ts";

/** `/keys …` text → a subcommand with checked arguments, or a usage problem to show. */
export type KeysCommand =
  | { kind: "help" }
  | { kind: "create" }
  | { kind: "list"; page: number }
  | { kind: "edit"; ref: string }
  | { kind: "delete"; ref: string }
  | { kind: "roll"; ref: string }
  | { kind: "roles" }
  | { kind: "policy" }
  | { kind: "audit"; count: number }
  | { kind: "integrations"; command: IntegrationsCommand }
  | { kind: "request" }
  /** `set` absent: show the approvals channel; a channel id, `here` (where typed) or null (`off`: DMs to Admins). */
  | { kind: "approvals"; set?: ApprovalsTarget }
  /** `set` absent: show the digest setting. */
  | { kind: "digest"; set?: DigestTarget }
  /** `set` absent: show where leaks go and what is done with them; a channel (as approvals takes one), or the leak mode. */
  | { kind: "security"; set?: ApprovalsTarget | { mode: LeakMode } }
  | { kind: "usage"; problem: string };

/**
 * `/keys digest #channel [weekday] [hour]` (weekday and hour in either order; default Monday, 9), or
 * `off`. The zone is the setting Admin's (Slack's users.info tz), looked up by the listener.
 */
export type DigestTarget = { off: true } | { where: Exclude<ApprovalsTarget, { off: true }>; weekday: number; hour: number };

/** ISO weekdays by name (1 Monday … 7 Sunday), full and short. */
const weekdays = new Map<string, number>(
  ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].flatMap((name, i) => [
    [name, i + 1],
    [name.slice(0, 3), i + 1],
  ]),
);
export const weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export const defaultDigestWeekday = 1;
export const defaultDigestHour = 9;

/**
 * Where `/keys approvals` puts requests: a channel id (from a channel link or typed), `here` (where
 * typed), a plain `#name` (the manifest does not escape channels, so a name typed by hand arrives as
 * text: only the channel typed in can be matched to it), or `off` (DMs to Admins).
 */
export type ApprovalsTarget = { channel: string } | { here: true } | { channelName: string } | { off: true };

/** `/keys integrations …`: the integration and alias are checked by the domain, not here. */
export type IntegrationsCommand =
  | { op: "list"; integration?: string }
  | { op: "add" }
  | { op: "rotate" | "default" | "delete" | "channel"; integration: string; alias: string };

const integrationsUsage =
  "`integrations` takes `list [integration]`, `add`, or `rotate`, `default`, `delete` or `channel` followed by `<integration> <alias>`.";

// The limits are exported for the fuzz tests, which check that a parsed page or count stays within them.
export const maxListPage = 1000;
/** The audit service's own limit: one number for both. */
export const maxAuditCount = auditListMax;

function positive(text: string | undefined, fallback: number, max: number): number | null {
  if (text === undefined) return fallback;
  if (!/^\d{1,6}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= max ? n : null;
}

export function parseKeysCommand(text: string): KeysCommand {
  const trimmed = text.trim().replace(/\s+/g, " ");
  const [word = "", ...rest] = trimmed.split(" ");
  const sub = word.toLowerCase();
  const arg = rest.join(" ");
  switch (sub) {
    case "":
    case "help":
      return { kind: "help" };
    case "create":
    case "new":
      return rest.length === 0 ? { kind: "create" } : { kind: "usage", problem: "`create` takes no arguments: the form asks for everything." };
    case "list":
    case "ls": {
      const page = positive(rest[0], 1, maxListPage);
      if (page === null || rest.length > 1) return { kind: "usage", problem: `\`list\` takes a page number from 1 to ${maxListPage}.` };
      return { kind: "list", page };
    }
    case "edit":
    case "rename":
      return arg ? { kind: "edit", ref: arg } : { kind: "usage", problem: "`edit` needs the key's name or id." };
    case "delete":
    case "rm":
      return arg ? { kind: "delete", ref: arg } : { kind: "usage", problem: "`delete` needs the key's name or id." };
    case "roll":
    case "rotate":
      return arg ? { kind: "roll", ref: arg } : { kind: "usage", problem: "`roll` needs the key's name or id." };
    case "roles":
      return { kind: "roles" };
    case "policy":
      return rest.length === 0 ? { kind: "policy" } : { kind: "usage", problem: "`policy` takes no arguments: the form shows the whole policy." };
    case "audit": {
      const count = positive(rest[0], 20, maxAuditCount);
      if (count === null || rest.length > 1) return { kind: "usage", problem: `\`audit\` takes a number of events from 1 to ${maxAuditCount}.` };
      return { kind: "audit", count };
    }
    case "integrations":
    case "integration": {
      const command = parseIntegrations(rest);
      return command ? { kind: "integrations", command } : { kind: "usage", problem: integrationsUsage };
    }
    case "request":
      return rest.length === 0 ? { kind: "request" } : { kind: "usage", problem: "`request` takes no arguments: the form asks for everything." };
    case "approvals":
    case "approval": {
      if (rest.length === 0) return { kind: "approvals" };
      const set = rest.length === 1 ? parseApprovalsTarget(rest[0]!) : null;
      return set ? { kind: "approvals", set } : { kind: "usage", problem: approvalsUsage };
    }
    case "digest": {
      if (rest.length === 0) return { kind: "digest" };
      const set = parseDigestTarget(rest);
      return set ? { kind: "digest", set } : { kind: "usage", problem: digestUsage };
    }
    case "security": {
      if (rest.length === 0) return { kind: "security" };
      const set = rest.length === 1 ? (parseLeakMode(rest[0]!) ?? parseApprovalsTarget(rest[0]!)) : null;
      return set ? { kind: "security", set } : { kind: "usage", problem: securityUsage };
    }
    default:
      return { kind: "usage", problem: `There is no \`${clipWord(word)}\` command.` };
  }
}

const approvalsUsage = "`approvals` takes a channel: `#channel`, a channel id, `here` for this channel, or `off` to ask Admins by DM.";

const digestUsage =
  "`digest` takes a channel and, if you like, a weekday and an hour (0–23, your time zone): `/keys digest #channel monday 9`, `here` for this channel, or `off`.";

/** An hour 0–23, as `9`, `09`, `9h` or `9:00`. */
function parseHour(word: string): number | null {
  const match = /^(\d{1,2})(?::00|h)?$/.exec(word);
  if (!match) return null;
  const hour = Number(match[1]);
  return hour <= 23 ? hour : null;
}

function parseDigestTarget(words: string[]): DigestTarget | null {
  const [first = "", ...more] = words;
  const where = parseApprovalsTarget(first);
  if (!where) return null;
  if ("off" in where) return more.length === 0 ? { off: true } : null;
  let weekday: number | null = null;
  let hour: number | null = null;
  for (const word of more) {
    const day = weekdays.get(word.toLowerCase());
    const h = parseHour(word);
    if (day !== undefined && weekday === null) weekday = day;
    else if (h !== null && hour === null) hour = h;
    else return null;
  }
  return { where, weekday: weekday ?? defaultDigestWeekday, hour: hour ?? defaultDigestHour };
}

const securityUsage =
  "`security` takes a channel for leak reports (`#channel`, a channel id, `here`, or `off`), or what to do with a leaked key: `revoke` (the default) or `alert-only`.";

function parseLeakMode(word: string): { mode: LeakMode } | null {
  const lower = word.toLowerCase();
  if (lower === "revoke") return { mode: "revoke" };
  if (lower === "alert-only" || lower === "alert_only" || lower === "alert") return { mode: "alert_only" };
  return null;
}

/** A channel link (`<#C123|name>`, `<#C123>`), a bare channel id, `#name`, `here` or `off`. */
function parseApprovalsTarget(word: string): ApprovalsTarget | null {
  const lower = word.toLowerCase();
  if (lower === "here") return { here: true };
  if (lower === "off" || lower === "none") return { off: true };
  const name = /^#([a-z0-9][a-z0-9._-]{0,79})$/.exec(lower)?.[1];
  if (name) return { channelName: name };
  const id = /^<#([^|>]{1,40})(?:\|[^>]{0,80})?>$/.exec(word)?.[1] ?? word;
  return id.length <= 40 && slackChannelIdPattern.test(id) && /^\w+$/.test(id) ? { channel: id } : null;
}

const namedOps = ["rotate", "default", "delete", "channel"] as const;
type NamedOp = (typeof namedOps)[number];
const isNamedOp = (op: string): op is NamedOp => (namedOps as readonly string[]).includes(op);

function parseIntegrations(words: string[]): IntegrationsCommand | null {
  const [first = "list", ...args] = words;
  const op = first.toLowerCase();
  if (op === "list" || op === "ls") return args.length <= 1 ? { op: "list", integration: args[0] } : null;
  if (op === "add" || op === "new") return args.length === 0 ? { op: "add" } : null;
  if (!isNamedOp(op) || args.length !== 2) return null;
  return { op, integration: args[0]!, alias: args[1]! };
}

/** At most 30 UTF-16 units of what the person typed, never half a surrogate pair, safe inside a code span. */
function clipWord(word: string): string {
  const safe = word.replace(/`/g, "'");
  if (safe.length <= 30) return safe;
  let out = "";
  for (const point of safe) {
    if (out.length + point.length > 30) break;
    out += point;
  }
  return `${out}…`;
}
