import { ConfigError, loadConfig } from "../config/config.ts";
import { resolveServerSecrets } from "../config/local-secrets.ts";
import { reencryptSecrets } from "../domain/rekey-service.ts";
import { createSecretCipher, keyFingerprint } from "../domain/secret-cipher.ts";
import { createLogger } from "../logger.ts";
import { createDomainContext } from "../server/domain-wiring.ts";
import { CliError, runOnOwnerOrHere } from "./owner-or-here.ts";

/**
 * `npm run rekey`: after adding a new version to KEYWARD_ENCRYPTION_KEYS (e.g. `1:<old>,2:<new>`),
 * re-encrypts every integration secret with the newest key. Afterwards the old version can be
 * removed from the ring. Safe to re-run. While `npm start` runs on the embedded database, the
 * running keyward does it (it must already seal with the same newest key:
 * the version and the key's fingerprint are compared).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const secrets = await resolveServerSecrets(config);
  const cipher = createSecretCipher(secrets.encryptionKeys);
  const { result, ranBy } = await runOnOwnerOrHere(
    config,
    logger,
    { command: "rekey", keyVersion: cipher.currentVersion, keyFingerprint: keyFingerprint(secrets.encryptionKeys) },
    async (db) => ({
      ...(await reencryptSecrets(createDomainContext(config, db, secrets))),
      keyVersion: cipher.currentVersion,
    }),
  );
  logger.info({ ...result, ranBy }, "re-encryption done");
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError || error instanceof CliError
      ? error.message
      : `re-encryption failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
