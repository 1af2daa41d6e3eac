import type { MemberFacts, MemberRepository } from "../domain/repositories.ts";
import type { Db } from "./prisma-store.ts";

export class PrismaMemberRepository implements MemberRepository {
  constructor(private readonly db: Db) {}

  async factsOf(workspaceId: string, userId: string): Promise<MemberFacts> {
    const row = await this.db.member.findUnique({ where: { workspaceId_userId: { workspaceId, userId } } });
    return { known: row !== null, isWorkspaceAdmin: row?.isWorkspaceAdmin ?? false, deactivatedAt: row?.deactivatedAt ?? null };
  }

  async recordFacts(workspaceId: string, userId: string, facts: { isWorkspaceAdmin: boolean; deactivated?: boolean }, at: Date): Promise<void> {
    const where = { workspaceId_userId: { workspaceId, userId } };
    await this.db.member.upsert({
      where,
      create: { workspaceId, userId, isWorkspaceAdmin: facts.isWorkspaceAdmin, deactivatedAt: facts.deactivated ? at : null, updatedAt: at },
      update: { isWorkspaceAdmin: facts.isWorkspaceAdmin, updatedAt: at, ...(facts.deactivated === false ? { deactivatedAt: null } : {}) },
    });
    // Deactivated again: the first time it was seen stays.
    if (facts.deactivated) await this.db.member.updateMany({ where: { workspaceId, userId, deactivatedAt: null }, data: { deactivatedAt: at } });
  }
}
