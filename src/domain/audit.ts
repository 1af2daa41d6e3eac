// The audit log: what may be written to it, how it is written, and how it is read.
import type { DomainContext } from "./context.ts";
import { denied } from "./errors.ts";
import type { Repositories } from "./repositories.ts";
import { newId } from "./runtime.ts";
import type { Actor, AuditEvent } from "./types.ts";

/**
 * Every audit action the domain records. recordAudit takes only these, so a new action cannot
 * be written without being listed here, and the surfaces that read the log (Slack's audit
 * message maps each to a verb) are checked against this list.
 */
export const auditActions = [
  "api_key.create",
  "api_key.update",
  "api_key.delete",
  "api_key.roll",
  "api_key.roll_reverted",
  "api_key.snooze",
  "api_key.leak",
  "role.create",
  "role.assign",
  "role.unassign",
  "role.delete",
  "integration.add",
  "integration.rotate",
  "integration.set_default",
  "integration.set_channel",
  "integration.delete",
  "integration.reveal",
  "integration.snooze",
  "policy.update",
  "policy.apply_max_lifetime",
  "key_request.create",
  "key_request.approve",
  "key_request.deny",
  "key_request.expire",
  "key_request.undelivered",
  "workspace.set_approvals_channel",
  "workspace.set_digest",
  "workspace.set_security_channel",
  "workspace.set_leak_mode",
] as const;

export type AuditAction = (typeof auditActions)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (auditActions as readonly string[]).includes(value);
}

interface AuditTarget {
  type: string;
  id: string;
  name?: string | null;
}

/** Appends an audit event inside the caller's transaction. Details must never hold secret material. */
export async function recordAudit(
  ctx: Pick<DomainContext, "clock" | "random">,
  tx: Repositories,
  actor: Pick<Actor, "workspaceId" | "userId" | "source" | "keyId">,
  action: AuditAction,
  target: AuditTarget,
  details?: Record<string, unknown>,
): Promise<AuditEvent> {
  const event: AuditEvent = {
    id: newId(ctx.clock, ctx.random),
    workspaceId: actor.workspaceId,
    actorId: actor.userId,
    action,
    targetType: target.type,
    targetId: target.id,
    targetName: target.name ?? null,
    source: actor.source,
    details: actor.keyId ? { ...details, viaKeyId: actor.keyId } : (details ?? null),
    createdAt: ctx.clock.now(),
  };
  await tx.audit.append(event);
  return event;
}

export const auditListMax = 100;

/** Reading the log: for those holding audit.view, newest first. */
export class AuditService {
  constructor(private readonly ctx: Pick<DomainContext, "store">) {}

  async latest(actor: Actor, count = 20): Promise<AuditEvent[]> {
    if (!actor.permissions.has("audit.view")) throw denied("read the audit log");
    const limit = Math.min(Math.max(1, Math.trunc(count) || 20), auditListMax);
    return this.ctx.store.audit.latest(actor.workspaceId, limit);
  }
}
