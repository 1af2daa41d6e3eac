import type { PolicyRepository, PolicySettings } from "../domain/repositories.ts";
import { noPolicy, type PolicyRole, type WorkspacePolicy } from "../domain/policy-rules.ts";
import { isPermission } from "../domain/permissions.ts";
import type { Db } from "./prisma-store.ts";

/** The advisory lock class of workspace policies (see readForKeyChange); any constant int4 no other lock uses. */
const policyLockClass = 0x6b7770; // "kwp"

export class PrismaPolicyRepository implements PolicyRepository {
  constructor(private readonly db: Db) {}

  async find(workspaceId: string): Promise<WorkspacePolicy> {
    const row = await this.db.workspacePolicy.findUnique({ where: { workspaceId } });
    if (!row) return noPolicy;
    const ids = [...new Set([...(row.personalMaxRoleId ? [row.personalMaxRoleId] : []), ...row.approvalRoleIds])];
    const roles = ids.length === 0 ? [] : await this.db.role.findMany({ where: { workspaceId, id: { in: ids } } });
    const byId = new Map<string, PolicyRole>(roles.map((r) => [r.id, { id: r.id, name: r.name, permissions: r.permissions.filter(isPermission) }]));
    return {
      maxLifetimeDays: { service: row.maxLifetimeServiceDays, personal: row.maxLifetimePersonalDays },
      requireDescription: row.requireDescription,
      // A role the policy names cannot be deleted (RoleService), so a missing one is not expected; it then bounds nothing.
      personalMaxRole: row.personalMaxRoleId ? (byId.get(row.personalMaxRoleId) ?? null) : null,
      approvalRoles: row.approvalRoleIds.flatMap((id) => byId.get(id) ?? []),
      reminderDays: row.reminderDays.length > 0 ? row.reminderDays : null,
      updatedAt: row.updatedAt,
      updatedBy: row.updatedBy,
    };
  }

  async readForKeyChange(workspaceId: string): Promise<WorkspacePolicy> {
    // No row to lock while no policy was ever set: a transaction-scoped advisory lock stands in.
    // The read after it is a new statement, so under READ COMMITTED it sees a change committed meanwhile.
    await this.db.$queryRaw`SELECT pg_advisory_xact_lock_shared(${policyLockClass}::int, hashtext(${workspaceId}::text))::text AS locked`;
    return this.find(workspaceId);
  }

  async lockForEdit(workspaceId: string): Promise<WorkspacePolicy> {
    await this.db.$queryRaw`SELECT pg_advisory_xact_lock(${policyLockClass}::int, hashtext(${workspaceId}::text))::text AS locked`;
    return this.find(workspaceId);
  }

  async save(workspaceId: string, s: PolicySettings, by: string, at: Date): Promise<void> {
    const data = {
      maxLifetimeServiceDays: s.maxLifetimeDays.service,
      maxLifetimePersonalDays: s.maxLifetimeDays.personal,
      requireDescription: s.requireDescription,
      personalMaxRoleId: s.personalMaxRoleId,
      approvalRoleIds: s.approvalRoleIds,
      reminderDays: s.reminderDays ?? [],
      updatedAt: at,
      updatedBy: by,
    };
    await this.db.workspacePolicy.upsert({ where: { workspaceId }, create: { workspaceId, ...data }, update: data });
  }

  async refersToRole(workspaceId: string, roleId: string): Promise<boolean> {
    const n = await this.db.workspacePolicy.count({
      where: { workspaceId, OR: [{ personalMaxRoleId: roleId }, { approvalRoleIds: { has: roleId } }] },
    });
    return n > 0;
  }

  async replanReminders(workspaceId: string, now: Date): Promise<void> {
    // Rows with no reminder left and an expiry past have nothing to re-plan; the ledger's unique
    // key keeps a threshold posted before from being posted again.
    await this.db.apiKey.updateMany({
      where: { workspaceId, deletedAt: null, OR: [{ nextReminderAt: { not: null } }, { expiresAt: { gt: now } }] },
      data: { nextReminderAt: now },
    });
    await this.db.integrationConfig.updateMany({
      where: { workspaceId, expiresAt: { not: null }, OR: [{ nextReminderAt: { not: null } }, { expiresAt: { gt: now } }] },
      data: { nextReminderAt: now },
    });
  }

  async reminderDaysOverrides(): Promise<Map<string, number[]>> {
    const rows = await this.db.workspacePolicy.findMany({
      where: { NOT: { reminderDays: { isEmpty: true } } },
      select: { workspaceId: true, reminderDays: true },
    });
    return new Map(rows.map((r) => [r.workspaceId, r.reminderDays]));
  }
}
