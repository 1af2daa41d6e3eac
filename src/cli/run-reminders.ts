import { ConfigError, loadConfig } from "../config/config.ts";
import { openDatabase } from "../db/database.ts";
import { systemClock } from "../domain/runtime.ts";
import { createLogger } from "../logger.ts";
import { createReminderService } from "../server/keyward.ts";

/** `npm run reminders`: one reminder pass, for cron; exits 0 when the pass ran. */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.slack.botToken) throw new ConfigError("Configuration error: SLACK_BOT_TOKEN is needed to post reminders.");
  const logger = createLogger(config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  try {
    const report = await createReminderService(config, db, systemClock, logger).runPass();
    logger.info({ report }, "reminder pass done");
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `reminder pass failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
