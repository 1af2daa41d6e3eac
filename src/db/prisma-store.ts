import type { Repositories, Store } from "../domain/repositories.ts";
import { DomainError } from "../domain/errors.ts";
import { isDatabaseUnreachable } from "./database-errors.ts";
import type { Prisma, PrismaClient } from "./generated/client.ts";
import { PrismaDigestRepository } from "./prisma-digest-repository.ts";
import { PrismaApiKeyRepository } from "./prisma-api-key-repository.ts";
import { PrismaAuditRepository } from "./prisma-audit-repository.ts";
import { PrismaKeyRequestRepository } from "./prisma-key-request-repository.ts";
import { PrismaKeyUsageRepository } from "./prisma-key-usage-repository.ts";
import { PrismaInstallationRepository } from "./prisma-installation-repository.ts";
import { PrismaIntegrationRepository } from "./prisma-integration-repository.ts";
import { PrismaMemberRepository } from "./prisma-member-repository.ts";
import { PrismaPolicyRepository } from "./prisma-policy-repository.ts";
import { PrismaReminderRepository } from "./prisma-reminder-repository.ts";
import { PrismaRoleRepository, PrismaWorkspaceRepository } from "./prisma-role-repository.ts";
import { PrismaSlackInstallRepository } from "./prisma-slack-install-repository.ts";

export type Db = PrismaClient | Prisma.TransactionClient;

function repositoriesOver(db: Db): Repositories {
  return {
    workspaces: translated(new PrismaWorkspaceRepository(db)),
    roles: translated(new PrismaRoleRepository(db)),
    apiKeys: translated(new PrismaApiKeyRepository(db)),
    audit: translated(new PrismaAuditRepository(db)),
    members: translated(new PrismaMemberRepository(db)),
    integrations: translated(new PrismaIntegrationRepository(db)),
    installation: translated(new PrismaInstallationRepository(db)),
    slackInstalls: translated(new PrismaSlackInstallRepository(db)),
    policies: translated(new PrismaPolicyRepository(db)),
    keyRequests: translated(new PrismaKeyRequestRepository(db)),
    keyUsage: translated(new PrismaKeyUsageRepository(db)),
  };
}

/** PostgreSQL's SQLSTATE, wherever the driver or adapter put it. */
function sqlStateOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } };
      cause?: unknown;
    };
    for (const candidate of [e.code, e.meta?.code, e.meta?.driverAdapterError?.cause?.originalCode]) {
      if (typeof candidate === "string" && /^[0-9A-Z]{5}$/.test(candidate) && !candidate.startsWith("P")) return candidate;
    }
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return undefined;
}

/** Every repository method's storage errors come out as domain errors (see translateStorageError). */
function translated<T extends object>(repository: T): T {
  return new Proxy(repository, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          const result = value.apply(target, args);
          return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(translateStorageError(error))) : result;
        } catch (error) {
          throw translateStorageError(error);
        }
      };
    },
  });
}

/** The domain's Store over Prisma: repositories, the reminder ledger, and transactions that hand the same repositories a tx client. */
export function createPrismaStore(prisma: PrismaClient): Store {
  return {
    ...repositoriesOver(prisma),
    reminders: translated(new PrismaReminderRepository(prisma)),
    digests: translated(new PrismaDigestRepository(prisma)),
    async transaction(work) {
      try {
        return await prisma.$transaction((tx) => work(repositoriesOver(tx)), { timeout: 15_000, maxWait: 10_000 });
      } catch (error) {
        throw translateStorageError(error);
      }
    },
  };
}

/**
 * A unique-constraint race surfaces as a conflict, and a database that cannot be reached as
 * "unavailable" (503 over REST, "try again" in Slack), not as a 500. The transaction that
 * failed was rolled back, so nothing is half-written.
 */
function translateStorageError(error: unknown): unknown {
  if (error instanceof DomainError || !error || typeof error !== "object") return error;
  if ((error as { code?: string }).code === "P2002") return new DomainError("conflict", "That conflicts with a record that was just written. Try again.");
  const sqlState = sqlStateOf(error);
  // 23: integrity (foreign key, unique, check); 22: data the column cannot hold (a NUL byte, year 10000).
  if (sqlState?.startsWith("23")) return new DomainError("conflict", "That conflicts with other records; nothing was changed.");
  if (sqlState?.startsWith("22"))
    return new DomainError("validation_failed", "A value is outside what can be stored (for example a NUL character, or a date too far away).");
  if (isDatabaseUnreachable(error))
    return new DomainError("unavailable", "The database cannot be reached right now; nothing was changed. Try again in a minute.");
  return error;
}
