import type { MemberFacts, MemberRepository } from "../domain/repositories.ts";
import type { Prisma } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

export class PrismaMemberRepository implements MemberRepository {
  constructor(private readonly db: Db) {}

  async factsOf(workspaceId: string, userId: string): Promise<MemberFacts> {
    const row = await this.db.member.findUnique({ where: { workspaceId_userId: { workspaceId, userId } } });
    return { known: row !== null, isWorkspaceAdmin: row?.isWorkspaceAdmin ?? false, deactivatedAt: row?.deactivatedAt ?? null };
  }

  /** Writes only what differs from the row (or creates it), so an unchanged fact costs no write. */
  async recordFacts(workspaceId: string, userId: string, facts: { isWorkspaceAdmin: boolean; deactivated?: boolean }, at: Date): Promise<void> {
    const differs: Prisma.MemberWhereInput[] = [{ isWorkspaceAdmin: { not: facts.isWorkspaceAdmin } }];
    // Deactivated again: the first time it was seen stays, so only a row not yet marked changes.
    if (facts.deactivated === true) differs.push({ deactivatedAt: null });
    if (facts.deactivated === false) differs.push({ deactivatedAt: { not: null } });
    const { count } = await this.db.member.updateMany({
      where: { workspaceId, userId, OR: differs },
      data: { isWorkspaceAdmin: facts.isWorkspaceAdmin, updatedAt: at, ...(facts.deactivated === false ? { deactivatedAt: null } : {}) },
    });
    if (facts.deactivated === true && count === 1)
      await this.db.member.updateMany({ where: { workspaceId, userId, deactivatedAt: null }, data: { deactivatedAt: at } });
    if (count === 0) {
      await this.db.member.createMany({
        data: [{ workspaceId, userId, isWorkspaceAdmin: facts.isWorkspaceAdmin, deactivatedAt: facts.deactivated ? at : null, updatedAt: at }],
        skipDuplicates: true,
      });
    }
  }

  async workspaceAdmins(workspaceId: string, limit: number): Promise<string[]> {
    const rows = await this.db.member.findMany({
      where: { workspaceId, isWorkspaceAdmin: true, deactivatedAt: null },
      orderBy: { userId: "asc" },
      take: limit,
      select: { userId: true },
    });
    return rows.map((r) => r.userId);
  }
}
