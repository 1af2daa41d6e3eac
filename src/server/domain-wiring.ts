import type { Config } from "../config/config.ts";
import type { ServerSecrets } from "../config/local-secrets.ts";
import type { Database } from "../db/database.ts";
import { createPrismaStore } from "../db/prisma-store.ts";
import type { DomainContext } from "../domain/context.ts";
import { createKeyHasher } from "../domain/key-hasher.ts";
import { cryptoRandom, systemClock, type Clock, type RandomSource } from "../domain/runtime.ts";
import { createSecretCipher } from "../domain/secret-cipher.ts";

/** Time and randomness: the system's, unless a test or benchmark injects its own. */
interface DomainRuntime {
  clock?: Clock;
  random?: RandomSource;
}

// A process that hashes and encrypts nothing (a reminder pass) is given no secrets, so a cron run
// never creates DATA_DIR/secrets; any use would be a bug, and says so at once.
const noSecrets = (): never => {
  throw new Error("This process was started without the server's secrets.");
};
const withoutSecrets = { hasher: { hash: noSecrets }, cipher: { currentVersion: 0, seal: noSecrets, open: noSecrets } };

/**
 * The one way a process wires the domain (the server, npm run keys, rekey and reminders alike):
 * storage over the open database, the secrets' hasher and cipher, and what the configuration says
 * of Admins and reminders. Ports to the outside world (Slack's reminder notifier and messages,
 * telemetry) are the composition root's to add: without them the domain does without.
 */
export function createDomainContext(config: Config, db: Database, secrets: ServerSecrets | null, runtime: DomainRuntime = {}): DomainContext {
  return {
    store: createPrismaStore(db.prisma),
    clock: runtime.clock ?? systemClock,
    random: runtime.random ?? cryptoRandom,
    ...(secrets ? { hasher: createKeyHasher(secrets.pepper), cipher: createSecretCipher(secrets.encryptionKeys) } : withoutSecrets),
    adminUserIds: config.adminUserIds,
    reminderDays: config.reminders.days,
    reminderLeaseMs: config.reminders.leaseSeconds * 1000,
  };
}
