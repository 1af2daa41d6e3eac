import { ConfigError, loadConfig } from "../config/config.ts";
import { resolveServerSecrets } from "../config/local-secrets.ts";
import { openDatabase } from "../db/database.ts";
import { createPrismaStore } from "../db/prisma-store.ts";
import { reencryptSecrets } from "../domain/rekey-service.ts";
import { createSecretCipher } from "../domain/secret-cipher.ts";
import { createLogger } from "../logger.ts";

/**
 * `npm run rekey`: after adding a new version to KEYWARD_ENCRYPTION_KEYS (e.g. `1:<old>,2:<new>`),
 * re-encrypts every integration secret with the newest key. Afterwards the old version can be
 * removed from the ring. Safe to re-run.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const secrets = await resolveServerSecrets(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    const cipher = createSecretCipher(secrets.encryptionKeys);
    const result = await reencryptSecrets({ store: createPrismaStore(db.prisma), cipher });
    logger.info({ ...result, keyVersion: cipher.currentVersion }, "re-encryption done");
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `re-encryption failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
