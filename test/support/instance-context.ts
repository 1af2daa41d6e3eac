import { randomBytes } from "node:crypto";
import type { Database } from "../../src/db/database.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import type { DomainContext } from "../../src/domain/context.ts";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import type { Clock } from "../../src/domain/runtime.ts";
import { createSecretCipher } from "../../src/domain/secret-cipher.ts";
import { seededRandom } from "./fixed-runtime.ts";

/**
 * The domain context of one "instance" over a shared database, for multi-instance tests: every
 * instance built with the same pepper hashes keys alike, as instances sharing one server do.
 */
export function instanceContext(database: Database, options: { clock: Clock; pepper: Buffer; seed: string }): DomainContext {
  return {
    store: createPrismaStore(database.prisma),
    clock: options.clock,
    random: seededRandom(options.seed),
    hasher: createKeyHasher(options.pepper),
    adminUserIds: new Set(),
    cipher: createSecretCipher({ current: 1, keys: new Map([[1, randomBytes(32)]]) }),
    reminderDays: [30, 7, 1],
  };
}
