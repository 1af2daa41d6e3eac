import type { AuditRepository } from "../domain/repositories.ts";
import type { AuditEvent, Source } from "../domain/types.ts";
import { Prisma } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

export class PrismaAuditRepository implements AuditRepository {
  constructor(private readonly db: Db) {}

  async append(event: AuditEvent): Promise<void> {
    await this.db.auditEvent.create({
      data: { ...event, details: event.details === null ? Prisma.DbNull : (event.details as Prisma.InputJsonValue) },
    });
  }

  async latest(workspaceId: string, limit: number): Promise<AuditEvent[]> {
    const rows = await this.db.auditEvent.findMany({ where: { workspaceId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: limit });
    return rows.map((row) => ({
      ...row,
      source: row.source as Source,
      details: (row.details as Record<string, unknown> | null) ?? null,
    }));
  }
}
