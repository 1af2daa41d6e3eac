import { denied } from "./errors.ts";
import type { DomainContext } from "./context.ts";
import type { Actor, AuditEvent } from "./types.ts";

export const auditListMax = 100;

export class AuditService {
  constructor(private readonly ctx: DomainContext) {}

  async latest(actor: Actor, count = 20): Promise<AuditEvent[]> {
    if (!actor.permissions.has("audit.view")) throw denied("read the audit log");
    const limit = Math.min(Math.max(1, Math.trunc(count) || 20), auditListMax);
    return this.ctx.store.audit.latest(actor.workspaceId, limit);
  }
}
