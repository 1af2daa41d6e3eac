import { type Config, ConfigError, loadConfig } from "./config/config.ts";
import { createLogger } from "./logger.ts";
import { startKeyward } from "./server/keyward.ts";

/** `npm start`: configuration, then the whole app; SIGTERM/SIGINT stop it cleanly. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (!config.slack.oauth && (!config.slack.botToken || !(config.slack.signingSecret || config.slack.appToken))) {
    logger.warn(
      "Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or SLACK_APP_TOKEN and SLACK_BOT_TOKEN for Socket Mode) to serve /keys, or SLACK_SIGNING_SECRET with SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET for OAuth installs.",
    );
  }
  // The handlers go on before the start: /healthz answers before startKeyward returns (reminders and
  // metrics start after the port), and a signal in that window must wait for the start, then close.
  const started = startKeyward({ config, logger });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    started
      .then((app) => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await started;
}

main().catch((error: unknown) => {
  console.error(`keyward could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
