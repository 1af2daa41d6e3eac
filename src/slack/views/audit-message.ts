import type { KnownBlock } from "@slack/types";
import { isAuditAction, type AuditAction } from "../../domain/audit.ts";
import type { ActorName } from "../../domain/directory-service.ts";
import { actorText, escapeMrkdwn, literal, mention, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { chunkLines } from "./roles-message.ts";

export interface AuditEventView {
  action: string;
  actorId: string;
  targetType: string;
  targetName: string | null;
  targetId: string;
  source: string;
  createdAt: Date;
  /** What the event recorded beside it (a rename's old and new name, the role assigned); never a secret. */
  details?: Record<string, unknown> | null;
  /** Who `actorId` is, when looked up: a key by its name and last 4, never by its id. */
  actor?: ActorName;
  /** The key a person acted with over REST (`details.viaKeyId`), when looked up. */
  viaKey?: ActorName;
}

/** Every audit action as a verb phrase; the target follows it ("rolled key *ci-deploy*"). Exported for the tests, which check every action has one. */
export const auditVerbs: Record<AuditAction, string> = {
  "api_key.create": "created key",
  "api_key.update": "edited key",
  "api_key.delete": "deleted key",
  "api_key.roll": "rolled key",
  "api_key.roll_reverted": "undid the roll of key",
  "api_key.snooze": "snoozed the reminders of key",
  "api_key.leak": "handled the leak of key",
  "role.create": "created role",
  "role.assign": "assigned a role to",
  "role.unassign": "removed the role of",
  "role.delete": "deleted role",
  "integration.add": "added",
  "integration.rotate": "rotated",
  "integration.set_default": "made the default",
  "integration.set_channel": "set the reminder channel of",
  "integration.delete": "deleted",
  "integration.reveal": "revealed the secret of",
  "integration.snooze": "snoozed the reminders of",
  "policy.update": "changed the workspace policy",
  "policy.apply_max_lifetime": "applied the maximum lifetime to existing keys",
  "key_request.create": "asked for key",
  "key_request.approve": "approved the request for key",
  "key_request.deny": "denied the request for key",
  "key_request.expire": "let expire the request for key",
  "key_request.undelivered": "could not deliver the approved key",
  "workspace.set_approvals_channel": "set the approvals channel of",
  "workspace.set_digest": "set the weekly digest of",
  "workspace.set_security_channel": "set the security channel of",
  "workspace.set_leak_mode": "changed what happens to leaked keys in",
};

/** How a name is shown: bold in blocks, plain (escaped) in the top-level text. */
type NameStyle = (name: string) => string;

function describeTarget(e: AuditEventView, name: NameStyle): string {
  if (e.targetType === "user") return mention(e.targetId);
  return e.targetName ? name(e.targetName) : `a ${escapeMrkdwn(e.targetType.replace(/_/g, " "))}`;
}

const text = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

/** "renamed key *old* to *new*", "assigned role *Viewer* to @ana", else the verb and the target. */
function describeAction(e: AuditEventView, name: NameStyle): string {
  const target = describeTarget(e, name);
  const d = e.details ?? {};
  const rename = d.name as { from?: unknown; to?: unknown } | undefined;
  if (e.action === "api_key.update" && text(rename?.from) && text(rename?.to)) {
    return `renamed key ${name(text(rename!.from)!)} to ${name(text(rename!.to)!)}${d.descriptionChanged ? " and changed its description" : ""}`;
  }
  if (e.action === "api_key.update" && d.descriptionChanged) return `changed the description of key ${target}`;
  if (e.action === "role.assign" && text(d.role)) return `assigned role ${name(text(d.role)!)} to ${target}`;
  if (e.action === "role.unassign" && text(d.previous))
    return `removed role ${name(text(d.previous)!)} from ${target}${text(d.reason) ? ` (${escapeMrkdwn(text(d.reason)!)})` : ""}`;
  // The policy is the workspace's own: no target to name.
  if (e.action === "policy.update") return auditVerbs[e.action];
  if (e.action === "policy.apply_max_lifetime") return `${auditVerbs[e.action]} (${Number(d.shortened) || 0} shortened)`;
  // An action from a newer or older release than this one is shown by its code.
  const verb = isAuditAction(e.action) ? auditVerbs[e.action] : literal(e.action);
  return `${verb} ${target}`;
}

function line(e: AuditEventView): string {
  const via = e.viaKey ? ` with ${actorText(e.viaKey)}` : "";
  return `${slackDate(e.createdAt)}  ${actorText(e.actor ?? e.actorId)} ${describeAction(e, strong)}  _via ${escapeMrkdwn(e.source)}_${via}`;
}

/** The top-level text: how many, and the newest in words. */
function summary(events: AuditEventView[]): string {
  const newest = events[0];
  if (!newest) return "No audit events yet.";
  const what = `${actorText(newest.actor ?? newest.actorId)} ${describeAction(newest, escapeMrkdwn)}`;
  return `${events.length === 1 ? "The latest audit event" : `The latest ${events.length} audit events`}; newest: ${what} (${escapeMrkdwn(newest.source)})`;
}

export function auditMessage(events: AuditEventView[]): { text: string; blocks: KnownBlock[] } {
  const title = events.length === 1 ? "The latest audit event" : `The latest ${events.length} audit events`;
  const blocks: KnownBlock[] = [{ type: "header", block_id: "audit_header", text: plain(events.length === 0 ? "Audit log" : title, 150) }];
  if (events.length === 0) blocks.push({ type: "section", block_id: "audit_empty", text: mrkdwn("Nothing has happened yet.") });
  chunkLines(events.map(line), 2900)
    .slice(0, 45)
    .forEach((chunk, i) => {
      blocks.push({ type: "section", block_id: `audit_${i}`, text: mrkdwn(chunk) });
    });
  return { text: summary(events), blocks };
}
