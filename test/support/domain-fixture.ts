import { randomBytes, randomUUID } from "node:crypto";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import { createSecretCipher } from "../../src/domain/secret-cipher.ts";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import type { DomainContext } from "../../src/domain/context.ts";
import type { BuiltInRoleKey } from "../../src/domain/permissions.ts";
import type { Actor, Source } from "../../src/domain/types.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { createTestDatabase } from "./test-database.ts";
import { ManualClock, seededRandom } from "./fixed-runtime.ts";

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export interface DomainFixture {
  db: TestDatabase;
  ctx: DomainContext;
  services: DomainServices;
  clock: ManualClock;
  /** A fresh workspace id, so each test builds its own data. */
  workspace(): string;
  /** An actor holding a built-in role (assigned through the store, as an Admin would). */
  actor(workspaceId: string, role: BuiltInRoleKey | null, options?: { userId?: string; source?: Source }): Promise<Actor>;
  close(): Promise<void>;
}

export const fixtureStart = new Date("2026-11-27T15:00:00Z");

export async function createDomainFixture(kind: "pglite" | "postgres", options: { adminUserIds?: string[] } = {}): Promise<DomainFixture> {
  const db = await createTestDatabase(kind);
  const clock = new ManualClock(fixtureStart);
  const ctx: DomainContext = {
    store: createPrismaStore(db.prisma),
    clock,
    random: seededRandom(randomUUID()),
    hasher: createKeyHasher(randomBytes(32)),
    adminUserIds: new Set(options.adminUserIds ?? []),
    cipher: createSecretCipher({ current: 1, keys: new Map([[1, randomBytes(32)]]) }),
    reminderDays: [30, 14, 7, 3, 1, 0],
  };
  const services = createDomainServices(ctx);
  let counter = 0;
  return {
    db,
    ctx,
    services,
    clock,
    workspace: () => `T${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`,
    async actor(workspaceId, role, opts = {}) {
      const userId = opts.userId ?? `U${String(++counter).padStart(4, "0")}${randomUUID().slice(0, 4).toUpperCase()}`;
      await services.access.ensureWorkspace(workspaceId);
      if (role) {
        const found = await ctx.store.roles.findBuiltIn(workspaceId, role);
        await ctx.store.roles.assign(workspaceId, userId, found!.id, "setup", clock.now());
      }
      return services.access.actorForUser(workspaceId, userId, { isWorkspaceAdmin: false }, opts.source ?? "slack");
    },
    close: () => db.close(),
  };
}
