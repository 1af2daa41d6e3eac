import type { MemberRepository } from "../domain/repositories.ts";
import type { Db } from "./prisma-store.ts";

export class PrismaMemberRepository implements MemberRepository {
  constructor(private readonly db: Db) {}

  async isWorkspaceAdmin(workspaceId: string, userId: string): Promise<boolean> {
    const row = await this.db.member.findUnique({ where: { workspaceId_userId: { workspaceId, userId } } });
    return row?.isWorkspaceAdmin ?? false;
  }

  async recordFacts(workspaceId: string, userId: string, facts: { isWorkspaceAdmin: boolean }, at: Date): Promise<void> {
    await this.db.member.upsert({
      where: { workspaceId_userId: { workspaceId, userId } },
      create: { workspaceId, userId, isWorkspaceAdmin: facts.isWorkspaceAdmin, updatedAt: at },
      update: { isWorkspaceAdmin: facts.isWorkspaceAdmin, updatedAt: at },
    });
  }
}
