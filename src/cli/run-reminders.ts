import { ConfigError, loadConfig } from "../config/config.ts";
import { readLiveHolder } from "../db/data-dir-lock.ts";
import { createDomainServices } from "../domain/index.ts";
import { createLogger } from "../logger.ts";
import { createReminderClient } from "../reminders/reminder-wiring.ts";
import { createMessageLock } from "../reminders/reminder-message-parts.ts";
import { createSlackDigestNotifier } from "../reminders/slack-digest-notifier.ts";
import { createSlackReminderNotifier } from "../reminders/slack-reminder-notifier.ts";
import { createDomainContext } from "../server/domain-wiring.ts";
import { CliError, runOnOwnerOrHere } from "./owner-or-here.ts";

/**
 * `npm run reminders`: one reminder pass, then one weekly digest pass, for cron; exits 0 when they ran. While `npm start`
 * runs on the embedded database, the running keyward runs the pass and this prints its report.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // Only a pass run here needs the token: a running keyward on the embedded database posts with its own.
  // OAuth installs: each workspace's token is sealed in the database; a pass run here would need the
  // server's key ring, so only a running keyward (which runs passes on its timer) posts them.
  const noToken = () =>
    new ConfigError(
      config.slack.oauth
        ? "Configuration error: with OAuth installs, reminders are posted by the running keyward (its passes run every REMINDER_INTERVAL_SECONDS), not by npm run reminders on its own."
        : "Configuration error: SLACK_BOT_TOKEN is needed to post reminders.",
    );
  if (!config.slack.botToken && (config.databaseUrl || !(await readLiveHolder(config.dataDir)))) throw noToken();
  const { result, ranBy } = await runOnOwnerOrHere(config, logger, { command: "reminders.run" }, async (db) => {
    if (!config.slack.botToken) throw noToken();
    // The pass alone, as before: reminder messages whose update Slack deferred are retried by a server's passes.
    // A pass hashes and encrypts nothing, so it is wired without the server's secrets (and never creates them).
    const ctx = createDomainContext(config, db, null);
    const lock = createMessageLock(ctx.store.reminders);
    const client = await createReminderClient(config, logger);
    const reminderNotifier = createSlackReminderNotifier(client, logger, lock);
    // The weekly digests' pass runs after the reminders', on the same client (a digest not yet due posts nothing).
    const digestNotifier = createSlackDigestNotifier(async () => client, logger);
    const { reminders, digests } = createDomainServices({ ...ctx, reminderNotifier, digestNotifier });
    const report = await reminders!.runPass();
    return { ...report, digests: await digests.runPass() };
  });
  logger.info({ report: result, ranBy }, "reminder pass done");
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError || error instanceof CliError
      ? error.message
      : `reminder pass failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
