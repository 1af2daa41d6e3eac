import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config/config.ts";
import { resolveServerSecrets } from "../config/local-secrets.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { describeDatabaseUrl, isDatabaseUnreachable } from "../db/database-errors.ts";
import { keyChangedChannel } from "../db/prisma-api-key-repository.ts";
import type { DomainContext } from "../domain/context.ts";
import { DomainError } from "../domain/errors.ts";
import { reencryptSecrets } from "../domain/rekey-service.ts";
import { createDomainServices, type DomainServices } from "../domain/index.ts";
import { checkPepper } from "../domain/pepper-check.ts";
import { upgradeSecretBindings } from "../domain/rekey-service.ts";
import { keyFingerprint, type KeyRing } from "../domain/secret-cipher.ts";
import { SlackInstallService } from "../domain/slack-install-service.ts";
import { createSlackTokenRefresh } from "../slack/slack-token-refresh.ts";
import type { Clock, RandomSource } from "../domain/runtime.ts";
import { apiPrefix, createApiHandler } from "../api/api-handler.ts";
import { FailedAuthentications } from "../api/failed-authentications.ts";
import { createGitlabHandler, gitlabPrefix } from "../api/gitlab-handler.ts";
import { announceLeak } from "../slack/leak-announcer.ts";
import { SecurityRefusalNotices } from "../slack/security-refusal-notices.ts";
import { sendError } from "../api/http-errors.ts";
import { sendJson } from "../api/http-json.ts";
import { boltLogger, type Logger } from "../logger.ts";
import type { ReminderService } from "../domain/reminder-service.ts";
import { digestPass, PeriodicPass, ReminderScheduler } from "../reminders/reminder-scheduler.ts";
import { createSlackDigestNotifier } from "../reminders/slack-digest-notifier.ts";
import { createReminderClient, reminderClientsByToken, slackReminderPorts } from "../reminders/reminder-wiring.ts";
import { startControlChannel, type ControlHandlers } from "./control-channel.ts";
import { keyCommandHandlers } from "./key-commands.ts";
import { responseUrlPolicy } from "../slack/secret-delivery.ts";
import type { SlackApp } from "../slack/slack-app.ts";
import { servedWorkspaceOf } from "../slack/served-workspace.ts";
import { workspaceOf } from "../slack/slack-deps.ts";
import type { WebClient } from "@slack/web-api";
import { keyRequestPass as runKeyRequestPass } from "../slack/key-request-messages.ts";
import { SlackUserDirectory } from "../slack/user-directory.ts";
import { createDomainContext } from "./domain-wiring.ts";
import { createObservability, type Observability } from "./observability.ts";

/** How long requests in flight at shutdown may take (main.ts exits regardless after 10 s). */
const inFlightGraceMs = 5_000;

interface KeywardOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  random?: RandomSource;
  /** Flush last-used times this often (ms). */
  lastUsedFlushMs?: number;
  /** False: no reminder passes on a timer (tests run them by hand). */
  reminderScheduler?: boolean;
  /** How long to wait for a PostgreSQL server that is not up yet (default 8 attempts, ≈ 35 s). */
  databaseRetry?: { attempts: number; baseDelayMs: number };
  /** How long a form submission may take before it is acknowledged with a "working on it" view (default 2000 ms). */
  ackBudgetMs?: number;
  /** Socket Mode: pong timeout, and the wait before each reconnect (default 5000 ms). */
  socketPingTimeoutMs?: number;
}

/** The running app, as startKeyward returns it (exported for the tests, which hold one). */
export interface Keyward {
  url: string;
  server: Server;
  db: Database;
  services: DomainServices;
  slack: SlackApp | null;
  /** Null without a bot token or OAuth installs: reminders go to Slack. */
  reminders: ReminderService | null;
  /** One key-request pass now (what the timer beside the reminder passes runs): expires week-old requests, rewrites stale messages; how many expired. */
  keyRequestPass(): Promise<number>;
  metricsUrl?: string;
  close(): Promise<void>;
}

/**
 * The composition root: secrets, database (migrated), domain, Slack, one HTTP server.
 * Routes: POST /slack/events (Bolt, HTTP mode only: Socket Mode takes Slack traffic over its WebSocket), GET /healthz, GET /readyz, /api/v1/… (REST),
 * /gitlab/v1/… (GitLab's token revocation, with GITLAB_REVOCATION_TOKEN); GET /metrics only on METRICS_PORT.
 */
export async function startKeyward(options: KeywardOptions): Promise<Keyward> {
  const { config, logger } = options;
  const secrets = await resolveServerSecrets(config);
  const db = await openDatabaseWithRetry(config, logger, options.databaseRetry ?? { attempts: 8, baseDelayMs: 500 });
  // A start-up that fails from here on (the port is taken, Slack refuses the token) undoes what it
  // started, newest first, and closes the database: on PGlite that gives DATA_DIR's lock back.
  const undo: Array<() => Promise<unknown> | void> = [];
  try {
    return await startOn(db, secrets, options, undo);
  } catch (error) {
    for (const step of undo.reverse())
      await Promise.resolve()
        .then(step)
        .catch((e: unknown) => logger.warn({ err: e }, "clean-up after a failed start-up failed"));
    await db.close().catch((e: unknown) => logger.warn({ err: e }, "could not close the database after a failed start-up"));
    throw error;
  }
}

async function startOn(
  db: Database,
  secrets: Awaited<ReturnType<typeof resolveServerSecrets>>,
  options: KeywardOptions,
  undo: Array<() => Promise<unknown> | void>,
): Promise<Keyward> {
  const { config, logger } = options;
  const ctx = createDomainContext(config, db, secrets, options);
  const { clock } = ctx;
  // Before anything is served or written: with another pepper than the database's, no key would verify.
  await checkPepper(ctx, {
    pepperFile: secrets.pepperFile,
    mayClaimUpgraded: true,
    onClaimed: () => logger.info("this database had no pepper check: recorded this instance's pepper; every later instance and npm run keys must use the same"),
  });
  const observed = await createObservability(config, db.sql, logger);
  // With a bot token, or OAuth installs, reminders go to Slack (and the domain has reminder passes); without either, none.
  const reminderClient =
    config.slack.botToken || config.slack.oauth ? await createReminderClient(config, logger, observed.slackFetch("reminders", config.slack.apiUrl)) : null;
  // OAuth: each reminder is posted with the token of its own workspace's installation, refreshed
  // (token rotation) by the same service, and so the same single refresh, as the requests' authorize.
  const slackTokenRefresh = config.slack.oauth
    ? await createSlackTokenRefresh(config.slack.oauth, config.slack.apiUrl, logger, observed.slackFetch("bolt", config.slack.apiUrl))
    : undefined;
  const installs = new SlackInstallService({
    ...ctx,
    slackTokenRefresh,
    onRefreshRefused: (workspaceId, code) =>
      logger.error({ workspaceId, code }, "Slack refused this workspace's refresh token: keyward must be reinstalled there (no refresh is tried until then)"),
  });
  const clientFor = config.slack.oauth
    ? reminderClientsByToken(
        config,
        logger,
        observed.slackFetch("reminders", config.slack.apiUrl),
        (workspaceId) => installs.tokenFor(workspaceId),
        (workspaceId) => installs.pauseIfUninstalled(workspaceId),
      )
    : undefined;
  const reminderPorts = reminderClient ? slackReminderPorts(reminderClient, ctx.store, logger, clientFor) : undefined;
  // Digests go out on the reminders' client (OAuth: each workspace's own), from the same periodic pass.
  const digestNotifier = reminderClient ? createSlackDigestNotifier(clientFor ?? (async () => reminderClient), logger) : undefined;
  const services = {
    ...createDomainServices({ ...ctx, ...reminderPorts, digestNotifier, telemetry: observed.metrics?.telemetry }),
    slackInstalls: installs,
  };
  const { reminders } = services;
  await upgradeBindings(ctx, logger);
  // Other instances' creations, deletions, rolls and activations reach this one's verify cache and
  // hash-prefix filter within milliseconds (the payload is a key id). A lost notification could hide
  // a key created elsewhere, so while the connection is down misses ask the database, and once it is
  // back the prefixes are read afresh.
  const reloadFilter = (why: string) => (error: unknown) =>
    logger.warn({ err: error }, `could not load the verify filter (${why}); unknown keys are looked up meanwhile`);
  await db.listen(keyChangedChannel, (keyId) => void services.keys.forget(keyId), {
    onListening: (listening) => void services.keys.notificationsHeard(listening).catch(reloadFilter("after reconnecting")),
  });
  await services.keys.loadHashFilter().catch(reloadFilter("at start"));
  // One memory for both surfaces that announce leaks: the Admins hear of a refusing security channel once an hour, whichever saw the leak.
  const refusalNotices = new SecurityRefusalNotices(clock);
  const slack = await startSlack(options, services, clock, observed, refusalNotices);
  const scheduler = reminders && options.reminderScheduler !== false ? new ReminderScheduler(reminders, config.reminders.intervalSeconds * 1000, logger) : null;
  // The digests' own pass (a slow Slack over many workspaces must not hold reminders up), when digests can be posted.
  const digestPasses =
    reminders && digestNotifier && options.reminderScheduler !== false ? digestPass(services.digests, config.reminders.intervalSeconds * 1000, logger) : null;
  // Key requests expire after 7 days, on the reminders' interval and client (OAuth: each workspace's own).
  const requestClientFor = clientFor ?? (async () => reminderClient);
  const keyRequestPass = () => (reminderClient ? runKeyRequestPass({ services, logger }, requestClientFor) : Promise.resolve(0));
  // Never two passes at once here (a slow Slack must not stack them up); other instances are kept off by the conditional updates.
  const requestPasses =
    reminderClient && options.reminderScheduler !== false
      ? new PeriodicPass("key request pass", keyRequestPass, config.reminders.intervalSeconds * 1000, logger)
      : null;
  requestPasses?.start();
  undo.push(() => requestPasses?.stop());
  // One count of failed authentications for both endpoints that take a credential.
  const failedAuth = new FailedAuthentications(clock, config.api.authFailuresPerMinute, config.api.trustProxy);
  const api = createApiHandler({ services, logger, failedAuth });
  // GitLab's revocation calls: the creator's DM and the security post go out with the key's workspace's client.
  // With one bot token, only for the bot token's own workspace: a key of another workspace in the
  // database (GitLab reports any) is revoked, but its location is never posted with this token.
  const leakClientFor = clientFor ?? singleWorkspaceClient(reminderClient);
  const gitlab = createGitlabHandler({
    services,
    clock,
    logger,
    token: config.gitlab.revocationToken,
    failedAuth,
    announce: async (report) => {
      const client = await leakClientFor(report.workspaceId);
      if (client) await announceLeak(client, report, { logger, refusalNotices });
    },
  });
  const served = observed.serve((req, res) => route(req, res, { slack, api, gitlab, isReady: () => !observed.readiness.stopped }), api);
  const server = createServer((req, res) => {
    // Once stopping, every answer ends its connection, so clients reconnect to another instance; a
    // request already in flight when shutdown began leaves its keep-alive connection idle
    // afterwards, and it is closed as soon as it is (else close() would wait for the client).
    if (observed.readiness.stopped) res.setHeader("connection", "close");
    res.once("finish", () => observed.readiness.stopped && setImmediate(() => server.closeIdleConnections()));
    served(req, res);
  });
  // Slack retries after 3 s; nothing we serve should hold a socket much longer.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  // Longer than clients' and load balancers' idle timeouts, so a reused idle socket is not reset under them.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, () => resolve());
  });
  undo.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await slack?.start();
  undo.push(() => slack?.stop());
  scheduler?.start();
  digestPasses?.start(5_000);
  undo.push(() => scheduler?.stop());
  undo.push(() => digestPasses?.stop());
  const metricsUrl = await observed.listen();
  undo.push(() => observed.close());
  // The embedded database is this process's alone: the CLIs ask it, over DATA_DIR/keyward.sock, to do their work.
  const control = db.kind === "pglite" ? await startControlChannel(config.dataDir, controlHandlers(ctx, services, secrets.encryptionKeys), logger) : null;
  // Housekeeping: last-used times and daily use counts, each in a few batched writes (a crash loses
  // at most this interval's counts), and keys whose delivery never finished. The latest tick's work
  // is kept so that shutdown waits for it before closing the database under it.
  let housekeeping: Promise<unknown> = Promise.resolve();
  const flush = setInterval(() => {
    housekeeping = Promise.allSettled([
      services.lastUsed.flush().catch((error: unknown) => logger.warn({ err: error }, "could not record last-used times")),
      services.usageCounter.flush().catch((error: unknown) => logger.warn({ err: error }, "could not record key usage; kept for the next flush")),
      services.usageCounter
        .pruneIfDue()
        .catch((error: unknown) => logger.warn({ err: error }, "could not delete key usage past 90 days; the next flush retries")),
      services.keys.sweepUndelivered().catch((error: unknown) => logger.warn({ err: error }, "could not sweep undelivered keys")),
    ]);
  }, options.lastUsedFlushMs ?? 10_000);
  flush.unref();
  // A backstop for anything the notifications could not tell (a connection silently half-open).
  const filterReload = setInterval(() => void services.keys.loadHashFilter().catch(reloadFilter("periodic")), 5 * 60_000);
  filterReload.unref();
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, database: db.kind, slack: slack ? (config.slack.appToken ? "socket-mode" : "http") : "off" }, "keyward is listening");
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    db,
    services,
    slack,
    reminders,
    keyRequestPass,
    metricsUrl,
    close: () =>
      (closed ??= (async () => {
        observed.readiness.stop();
        clearInterval(flush);
        clearInterval(filterReload);
        await control?.close();
        await scheduler?.stop();
        await digestPasses?.stop();
        await requestPasses?.stop();
        // Stop accepting, drop idle keep-alive sockets, let requests in flight finish.
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // A keep-alive connection busy at this moment would stay open until its client's idle
        // timeout (responses now say Connection: close, but a client may ignore it): requests in
        // flight get a grace period, then whatever is still open is closed.
        const cut = setTimeout(() => server.closeAllConnections(), inFlightGraceMs);
        await drained;
        clearTimeout(cut);
        await slack?.stop();
        await reminderPorts?.reminderMessages.drain();
        // A refresh under way has spent its single-use refresh token: its new pair must be stored.
        await installs.refreshesSettled();
        // The last tick's writes first (bounded like the flushes: a hung one is not waited for past 5 s).
        await Promise.race([housekeeping, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
        await services.lastUsed.flush().catch((error: unknown) => logger.warn({ err: error }, "last-used flush at shutdown failed"));
        await services.usageCounter.flush().catch((error: unknown) => logger.warn({ err: error }, "key usage flush at shutdown failed"));
        await db.close();
        await observed.close();
      })()),
  };
}

function controlHandlers(ctx: DomainContext, services: DomainServices, ring: KeyRing): ControlHandlers {
  const fingerprint = keyFingerprint(ring);
  return {
    ...keyCommandHandlers(services.operator, ctx.clock),
    "reminders.run": async () => {
      if (!services.reminders)
        throw new DomainError(
          "unavailable",
          `The running keyward (pid ${process.pid}) has no SLACK_BOT_TOKEN, so it posts no reminders: set it and restart it.`,
        );
      // The digests' pass too, as npm run reminders does on a server database: one command for cron runs both.
      const report = await services.reminders.runPass();
      return { ...report, digests: await services.digests.runPass() };
    },
    rekey: async ({ keyVersion, keyFingerprint: theirs }) => {
      const current = ctx.cipher.currentVersion;
      // Fingerprints, not keys, are compared and shown: they name a key without revealing it.
      if (keyVersion !== current || theirs !== fingerprint) {
        throw new DomainError(
          "conflict",
          `The running keyward (pid ${process.pid}) and this command have different key rings: keyward seals with key version ${current} (fingerprint ${fingerprint}), this command's KEYWARD_ENCRYPTION_KEYS ends at version ${keyVersion} (fingerprint ${theirs}). Restart keyward with the same key ring, then run npm run rekey again.`,
        );
      }
      return { ...(await reencryptSecrets(ctx)), keyVersion: current };
    },
  };
}

/** The bot token's client for its own workspace (asked once, by auth.test), none for any other. */
function singleWorkspaceClient(client: WebClient | null): (workspaceId: string) => Promise<WebClient | null> {
  let served: Promise<string | null> | undefined;
  const servedId = () => {
    served ??= client ? servedWorkspaceOf(client).then(workspaceOf) : Promise.resolve(null);
    // A failed auth.test is asked again next time.
    served.catch(() => {
      served = undefined;
    });
    return served;
  };
  return async (workspaceId) => (client && (await servedId()) === workspaceId ? client : null);
}

async function startSlack(
  options: KeywardOptions,
  services: DomainServices,
  clock: Clock,
  observed: Observability,
  refusalNotices: SecurityRefusalNotices,
): Promise<SlackApp | null> {
  const { slack } = options.config;
  if (slack.oauth && slack.signingSecret) return startOAuthSlack(options, services, clock, observed, refusalNotices);
  if (!slack.botToken || !(slack.signingSecret || slack.appToken)) return null;
  // Bolt and the Web API client load only when Slack is configured (about 25 MB and 120 ms of a start).
  const [{ WebClient }, { createSlackApp }] = await Promise.all([import("@slack/web-api"), import("../slack/slack-app.ts")]);
  // The bot token's own workspace is the only one served: a signed payload naming another is refused.
  const client = new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    timeout: 10_000,
    logger: boltLogger(options.logger),
  });
  const { botUserId, botId, ...served } = await servedWorkspaceOf(client);
  options.logger.info(
    { teamId: served.teamId, enterpriseId: served.enterpriseId, isEnterpriseInstall: served.isEnterpriseInstall },
    "serving this Slack workspace only",
  );
  return createSlackApp(
    {
      signingSecret: slack.signingSecret ?? "",
      botToken: slack.botToken,
      appToken: slack.appToken,
      apiUrl: slack.apiUrl,
      logger: options.logger,
      served,
      botUserId,
      botId,
      telemetry: observed.metrics?.slack("bolt"),
      socketPingTimeoutMs: options.socketPingTimeoutMs,
    },
    {
      services,
      clock,
      logger: options.logger,
      users: new SlackUserDirectory(clock, options.config.defaultTimeZone, options.logger, served),
      isAllowedResponseUrl: responseUrlPolicy(slack.apiUrl),
      defaultExpiryDays: 90,
      ackBudgetMs: options.ackBudgetMs,
      refusalNotices,
    },
  );
}

/**
 * OAuth installs (SLACK_CLIENT_ID…, config.ts refuses them beside SLACK_BOT_TOKEN): every workspace
 * installed through GET /slack/install is served, each with its own token; which workspace a request
 * is served as comes from its installation (slack-app.ts), not from a start-up auth.test.
 */
async function startOAuthSlack(
  options: KeywardOptions,
  services: DomainServices,
  clock: Clock,
  observed: Observability,
  refusalNotices: SecurityRefusalNotices,
): Promise<SlackApp> {
  const { slack } = options.config;
  const [{ createSlackApp }, { servedByInstall }, { botScopes }] = await Promise.all([
    import("../slack/slack-app.ts"),
    import("../slack/oauth-installs.ts"),
    import("../slack/ids.ts"),
  ]);
  const installs = services.slackInstalls;
  const servedFor = async (workspaceId: string) => {
    const install = await installs.find(workspaceId);
    return install ? servedByInstall(install) : null;
  };
  options.logger.info("serving the Slack workspaces installed through OAuth (GET /slack/install)");
  return createSlackApp(
    {
      signingSecret: slack.signingSecret ?? "",
      oauth: { ...slack.oauth!, scopes: botScopes, installs },
      apiUrl: slack.apiUrl,
      logger: options.logger,
      telemetry: observed.metrics?.slack("bolt"),
    },
    {
      services,
      clock,
      logger: options.logger,
      users: new SlackUserDirectory(clock, options.config.defaultTimeZone, options.logger, servedFor),
      isAllowedResponseUrl: responseUrlPolicy(slack.apiUrl),
      defaultExpiryDays: 90,
      ackBudgetMs: options.ackBudgetMs,
      refusalNotices,
      installs,
    },
  );
}

/**
 * Integration secrets sealed before ciphertexts were bound to workspace, integration and alias (and
 * not only to their row id) are re-encrypted once, at start-up, under the key version they had.
 * Each row is a compare-and-set, so instances starting together do not conflict; afterwards this
 * is one indexed query that finds nothing (or only rows that do not decrypt, which are left alone).
 */
async function upgradeBindings(ctx: DomainContext, logger: Logger): Promise<void> {
  const result = await upgradeSecretBindings(ctx);
  if (result.reencrypted > 0)
    logger.info({ reencrypted: result.reencrypted, skipped: result.skipped }, "integration secrets re-encrypted with their full binding");
  // Ids only (never secret material), and a bounded number of them.
  if (result.failed.length > 0)
    logger.warn({ count: result.failed.length, ids: result.failed.slice(0, 20) }, "integration secrets that do not decrypt were left as they are");
}

/**
 * A PostgreSQL server that is still starting (or briefly unreachable) is waited for with
 * exponential backoff; anything else, or running out of attempts, stops start-up with one line.
 */
async function openDatabaseWithRetry(config: Config, logger: Logger, retry: { attempts: number; baseDelayMs: number }): Promise<Database> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    } catch (error) {
      if (!config.databaseUrl || !isDatabaseUnreachable(error)) throw error;
      const where = describeDatabaseUrl(config.databaseUrl);
      if (attempt >= retry.attempts) throw new Error(`the database at ${where} is not reachable after ${attempt} attempts (${(error as Error).message}).`);
      const delay = Math.min(retry.baseDelayMs * 2 ** (attempt - 1), 10_000);
      logger.warn({ attempt, delayMs: delay, database: where }, "database not reachable yet; retrying");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

interface RouteDeps {
  slack: SlackApp | null;
  api: (req: IncomingMessage, res: ServerResponse) => void;
  gitlab: (req: IncomingMessage, res: ServerResponse) => void;
  isReady: () => boolean;
}

function route(req: IncomingMessage, res: ServerResponse, deps: RouteDeps): void {
  const path = (req.url ?? "/").split("?")[0]!;
  if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
    const ready = deps.isReady();
    sendJson(res, ready ? 200 : 503, { status: ready ? "ok" : "stopping" });
  } else if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) deps.api(req, res);
  else if (path.startsWith(`${gitlabPrefix}/`)) deps.gitlab(req, res);
  else if (path.startsWith("/slack/") && deps.slack?.httpHandler) deps.slack.httpHandler(req, res);
  else sendError(res, new DomainError("not_found", "There is nothing here."));
}
