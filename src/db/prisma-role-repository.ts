import type { DigestSettings } from "../domain/digest-types.ts";
import type { RoleRepository, WorkspaceRepository } from "../domain/repositories.ts";
import { isLeakMode, type LeakSettings } from "../domain/leak-settings.ts";
import { isPermission, type BuiltInRoleKey } from "../domain/permissions.ts";
import type { Role } from "../domain/types.ts";
import type { Role as RoleRow } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

export function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    builtIn: (row.builtIn as BuiltInRoleKey | null) ?? null,
    // A permission removed from the code base stays in old rows; it grants nothing.
    permissions: row.permissions.filter(isPermission),
  };
}

export class PrismaWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly db: Db) {}

  async ensure(workspaceId: string, builtIns: Parameters<WorkspaceRepository["ensure"]>[1]): Promise<void> {
    await this.db.workspace.upsert({ where: { id: workspaceId }, create: { id: workspaceId }, update: {} });
    await this.db.role.createMany({
      data: builtIns.map((r) => ({ id: r.id, workspaceId, name: r.name, builtIn: r.key, permissions: r.permissions })),
      skipDuplicates: true,
    });
    // Built-in roles follow the code: a release that changes them changes every workspace.
    for (const r of builtIns) {
      await this.db.role.updateMany({ where: { workspaceId, builtIn: r.key }, data: { permissions: r.permissions, name: r.name } });
    }
  }

  async list(limit: number): Promise<string[]> {
    const rows = await this.db.workspace.findMany({ select: { id: true }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: limit });
    return rows.map((r) => r.id);
  }

  async approvalsChannel(workspaceId: string): Promise<string | null> {
    return (await this.db.workspace.findUnique({ where: { id: workspaceId }, select: { approvalsChannel: true } }))?.approvalsChannel ?? null;
  }

  async setApprovalsChannel(workspaceId: string, channel: string | null): Promise<void> {
    await this.db.workspace.updateMany({ where: { id: workspaceId }, data: { approvalsChannel: channel } });
  }

  async digestSettings(workspaceId: string): Promise<DigestSettings | null> {
    const row = await this.db.workspace.findUnique({
      where: { id: workspaceId },
      select: { digestChannel: true, digestWeekday: true, digestHour: true, digestTimeZone: true, digestAppId: true },
    });
    return row ? toDigestSettings(row) : null;
  }

  async setDigestSettings(workspaceId: string, settings: DigestSettings | null, nextAt: Date | null): Promise<void> {
    await this.db.workspace.updateMany({
      where: { id: workspaceId },
      data: {
        digestChannel: settings?.channel ?? null,
        digestWeekday: settings?.weekday ?? null,
        digestHour: settings?.hour ?? null,
        digestTimeZone: settings?.timeZone ?? null,
        digestAppId: settings?.appId ?? null,
        digestNextAt: settings ? nextAt : null,
      },
    });
  }

  async leakSettings(workspaceId: string): Promise<LeakSettings> {
    const row = await this.db.workspace.findUnique({ where: { id: workspaceId }, select: { securityChannel: true, leakMode: true } });
    return { securityChannel: row?.securityChannel ?? null, leakMode: isLeakMode(row?.leakMode) ? row.leakMode : "revoke" };
  }

  async setLeakSettings(workspaceId: string, changes: Partial<LeakSettings>): Promise<void> {
    await this.db.workspace.updateMany({ where: { id: workspaceId }, data: changes });
  }
}

/** A workspace row's digest columns as a setting; null unless all of them are there. */
export function toDigestSettings(row: {
  digestChannel: string | null;
  digestWeekday: number | null;
  digestHour: number | null;
  digestTimeZone: string | null;
  digestAppId: string | null;
}): DigestSettings | null {
  if (!row.digestChannel || row.digestWeekday === null || row.digestHour === null || !row.digestTimeZone) return null;
  return { channel: row.digestChannel, weekday: row.digestWeekday, hour: row.digestHour, timeZone: row.digestTimeZone, appId: row.digestAppId };
}

export class PrismaRoleRepository implements RoleRepository {
  constructor(private readonly db: Db) {}

  async list(workspaceId: string): Promise<Role[]> {
    const rows = await this.db.role.findMany({ where: { workspaceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    return rows.map(toRole);
  }

  async findById(workspaceId: string, id: string): Promise<Role | null> {
    const row = await this.db.role.findFirst({ where: { workspaceId, id } });
    return row ? toRole(row) : null;
  }

  async findByName(workspaceId: string, name: string): Promise<Role | null> {
    const row = await this.db.role.findFirst({ where: { workspaceId, name: { equals: name, mode: "insensitive" } } });
    return row ? toRole(row) : null;
  }

  async findBuiltIn(workspaceId: string, key: BuiltInRoleKey): Promise<Role | null> {
    const row = await this.db.role.findFirst({ where: { workspaceId, builtIn: key } });
    return row ? toRole(row) : null;
  }

  async create(role: Role & { createdBy: string; createdAt: Date }): Promise<Role> {
    const row = await this.db.role.create({
      data: {
        id: role.id,
        workspaceId: role.workspaceId,
        name: role.name,
        builtIn: role.builtIn,
        permissions: role.permissions,
        createdBy: role.createdBy,
        createdAt: role.createdAt,
      },
    });
    return toRole(row);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.db.role.deleteMany({ where: { workspaceId, id } });
  }

  async usage(workspaceId: string, id: string): Promise<{ keys: number; assignments: number }> {
    const [keys, assignments] = await Promise.all([
      // Deleted keys still name their role (the tombstone keeps it), so they count too.
      this.db.apiKey.count({ where: { workspaceId, roleId: id } }),
      this.db.roleAssignment.count({ where: { workspaceId, roleId: id } }),
    ]);
    return { keys, assignments };
  }

  async assignmentOf(workspaceId: string, userId: string): Promise<Role | null> {
    const row = await this.db.roleAssignment.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, include: { role: true } });
    return row && row.role.workspaceId === workspaceId ? toRole(row.role) : null;
  }

  async assign(workspaceId: string, userId: string, roleId: string, by: string, at: Date): Promise<void> {
    await this.db.roleAssignment.upsert({
      where: { workspaceId_userId: { workspaceId, userId } },
      create: { workspaceId, userId, roleId, assignedBy: by, assignedAt: at },
      update: { roleId, assignedBy: by, assignedAt: at },
    });
  }

  async unassign(workspaceId: string, userId: string): Promise<boolean> {
    const { count } = await this.db.roleAssignment.deleteMany({ where: { workspaceId, userId } });
    return count > 0;
  }

  async holdersOf(workspaceId: string, roleId: string, limit: number): Promise<string[]> {
    const rows = await this.db.roleAssignment.findMany({
      where: { workspaceId, roleId },
      orderBy: [{ assignedAt: "asc" }, { userId: "asc" }],
      take: limit,
      select: { userId: true },
    });
    return rows.map((r) => r.userId);
  }
}
