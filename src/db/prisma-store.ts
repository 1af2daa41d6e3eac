import type { Repositories, Store } from "../domain/repositories.ts";
import { DomainError } from "../domain/errors.ts";
import type { Prisma, PrismaClient } from "./generated/client.ts";
import { PrismaApiKeyRepository } from "./prisma-api-key-repository.ts";
import { PrismaAuditRepository } from "./prisma-audit-repository.ts";
import { PrismaIntegrationRepository } from "./prisma-integration-repository.ts";
import { PrismaMemberRepository } from "./prisma-member-repository.ts";
import { PrismaRoleRepository, PrismaWorkspaceRepository } from "./prisma-role-repository.ts";

export type Db = PrismaClient | Prisma.TransactionClient;

function repositoriesOver(db: Db): Repositories {
  return {
    workspaces: new PrismaWorkspaceRepository(db),
    roles: new PrismaRoleRepository(db),
    apiKeys: new PrismaApiKeyRepository(db),
    audit: new PrismaAuditRepository(db),
    members: new PrismaMemberRepository(db),
    integrations: new PrismaIntegrationRepository(db),
  };
}

/** The domain's Store over Prisma: repositories, and transactions that hand the same repositories a tx client. */
export function createPrismaStore(prisma: PrismaClient): Store {
  return {
    ...repositoriesOver(prisma),
    async transaction(work) {
      try {
        return await prisma.$transaction((tx) => work(repositoriesOver(tx)), { timeout: 15_000, maxWait: 10_000 });
      } catch (error) {
        throw translateStorageError(error);
      }
    },
  };
}

/** A unique-constraint race surfaces as a conflict, not a 500. */
function translateStorageError(error: unknown): unknown {
  if (error && typeof error === "object" && (error as { code?: string }).code === "P2002") {
    return new DomainError("conflict", "That conflicts with a record that was just written. Try again.");
  }
  return error;
}
