import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import type { Clock } from "../../src/domain/runtime.ts";
import { dumpTables } from "./test-database.ts";
import { startFakeSlack, type FakeSlack, type FakeSlackOptions, type FakeUserInit } from "./fake-slack.ts";
import { startFakeSocketMode, type FakeSocketMode } from "./fake-socket-mode.ts";
import { createSlackDriver, type SlackDriver } from "./slack-driver.ts";
import { Changes, defaultTimeoutMs, Recorder, type Mark, type WaitOptions } from "./waits.ts";

export const signingSecret = "test-signing-secret-0123456789abcdef";
export const botToken = "xoxb-keyward-test-token";
export const channelId = "C0KEYWARD1";

export interface TestApp {
  keyward: Keyward;
  fake: FakeSlack;
  /** With `socketMode`: the fake's Socket Mode side, which the driver's requests go through. */
  socket?: FakeSocketMode;
  driver: SlackDriver;
  /** Every log line the app wrote (JSON text), at trace level. */
  logs: readonly string[];
  /** A place in `logs`: what is logged from now on is "since" it. */
  logMark(): Mark;
  /** The log lines (since the mark) that contain `text` or that it accepts, once the app wrote at least `count`. */
  waitForLogs(text: string | ((line: string) => boolean), count?: number, options?: WaitOptions): Promise<string[]>;
  /**
   * Resolves once the app has finished every Slack request it was handed (acks come first, the
   * listener's work after): what a request made the app do has happened, and what it did not do
   * will not happen any more.
   */
  idle(options?: Omit<WaitOptions, "since">): Promise<void>;
  /** Adds a Slack user (default zone America/New_York) who is a member of the test channel. */
  addUser(user: FakeUserInit): string;
  dump(): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** PostgreSQL: a database URL prepared by the caller. Default: embedded PGlite in a temp dir. */
  databaseUrl?: string;
  /** Run reminder passes on a timer too (default: only by hand, with keyward.reminders.runPass()). */
  reminderScheduler?: boolean;
  /** The fake Slack's team, enterprise, … (the token is always the harness's). */
  fake?: Omit<FakeSlackOptions, "token">;
  /**
   * How long a form answer may take before the app acks with a "working on it" view. Default here
   * 20 s, so that a busy CI machine does not turn a test about what a form answers into one about
   * timing; the slow-Slack tests set the app's real budget (2 s) and prove the late path.
   */
  ackBudgetMs?: number;
  /**
   * At close, every call the app made to Slack, every response_url post and every ack body is checked (issue 10's
   * Done-when): none carries `key:` and a UUID, and every message has a top-level text. A test that
   * sends such payloads itself on purpose (a message as an older release posted it) turns this off.
   */
  skipWireChecks?: boolean;
  /** Serve GET /metrics on a port of its own (METRICS_PORT=0: any free one); keyward.metricsUrl says where. */
  metrics?: boolean;
  /**
   * Socket Mode: SLACK_APP_TOKEN set and no signing secret, the app connects to the fake's Socket
   * Mode server, and the driver's commands, interactions and events go over that connection.
   */
  socketMode?: boolean;
  /**
   * OAuth installs instead of SLACK_BOT_TOKEN (SLACK_CLIENT_ID…): nothing is installed until a test
   * installs it (test/support/oauth-install.ts); `tokenExpiresIn` turns on token rotation in the fake.
   */
  oauth?: boolean | { tokenExpiresIn?: number };
}

export const oauthClient = { clientId: "1111.2222", clientSecret: "fake-client-secret-0123456789", stateSecret: "fake-state-secret-0123456789abcdef" };

/** The real app (real HTTP server, real Bolt receiver, real database) against a fake Slack. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // Slack's trigger ids live 3 s; the default here is longer so that a loaded CI machine does not
  // fail tests about what a form shows. The slow-Slack tests set Slack's real 3 s.
  const fake = await startFakeSlack({ triggerTtlMs: 30_000, ...options.fake, token: botToken });
  const socket = options.socketMode ? await startFakeSocketMode(fake) : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), "keyward-app-"));
  const logs = new Recorder<string>("app log", (line) => line.slice(0, 200));
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.record(String(chunk));
      done();
    },
  });
  if (options.oauth) {
    const rotation = typeof options.oauth === "object" ? options.oauth : {};
    fake.oauth.configure({ clientId: oauthClient.clientId, clientSecret: oauthClient.clientSecret, tokenExpiresIn: rotation.tokenExpiresIn });
  }
  const config = loadConfig({
    ...(socket ? { SLACK_APP_TOKEN: socket.appToken } : { SLACK_SIGNING_SECRET: signingSecret }),
    ...(options.oauth
      ? { SLACK_CLIENT_ID: oauthClient.clientId, SLACK_CLIENT_SECRET: oauthClient.clientSecret, SLACK_STATE_SECRET: oauthClient.stateSecret }
      : { SLACK_BOT_TOKEN: botToken }),
    SLACK_API_URL: fake.url,
    PORT: "0",
    DATA_DIR: dataDir,
    ...(options.databaseUrl
      ? {
          DATABASE_URL: options.databaseUrl,
          KEYWARD_PEPPER: "a".repeat(64),
          KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 7).toString("base64")}`,
        }
      : {}),
    LOG_LEVEL: "trace",
    ...(options.metrics ? { METRICS_PORT: "0" } : {}),
    ...options.env,
  });
  // Last-used times are flushed by hand in tests (services.lastUsed.flush()), so database dumps are deterministic.
  const keyward = await startKeyward({
    config,
    logger: createLogger("trace", sink),
    clock: options.clock,
    lastUsedFlushMs: 24 * 3600_000,
    ackBudgetMs: options.ackBudgetMs ?? 20_000,
    reminderScheduler: options.reminderScheduler ?? false,
    // Socket Mode: the client waits its pong timeout before reconnecting, so 2 s here instead of 5;
    // not less, or a busy machine's stalled event loop would look like a dead connection.
    socketPingTimeoutMs: 2000,
  });
  const driver = await createSlackDriver({ appUrl: `${keyward.url}/slack/events`, signingSecret, fakeSlack: fake, socketMode: socket });
  const requests = trackSlackRequests(keyward);
  const members: string[] = [];
  fake.addChannel({ id: channelId, name: "platform", members, botIsMember: true });
  return {
    keyward,
    fake,
    socket,
    driver,
    logs: logs.items,
    logMark: () => logs.mark(),
    waitForLogs: (text, count = 1, waitOptions = {}) =>
      typeof text === "string"
        ? logs.count(`log line with "${text}"`, (line) => line.includes(text), count, waitOptions)
        : logs.count("matching log line", text, count, waitOptions),
    idle: (waitOptions = {}) => requests.idle(waitOptions.timeoutMs ?? defaultTimeoutMs),
    addUser(user) {
      fake.addUser({ tz: "America/New_York", ...user });
      members.push(user.id);
      fake.addChannel({ id: channelId, name: "platform", members: [...members], botIsMember: true });
      return user.id;
    },
    dump: () => dumpTables(keyward.db.sql),
    async close() {
      // Checked before the teardown and thrown after it, so a failing check still closes everything.
      const problem = options.skipWireChecks ? null : wireProblems(fake, driver);
      await driver.close();
      await keyward.close();
      await socket?.close();
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
      if (problem) throw new Error(problem);
    },
  };
}

/**
 * Counts the Slack requests Bolt is processing. HTTPReceiver hands each verified request to
 * `App.processEvent`, which acks (the driver gets its answer) and resolves only once every
 * listener has returned; wrapping it on the instance sees exactly that, with no seam in src/.
 */
function trackSlackRequests(keyward: Keyward): { idle(timeoutMs: number): Promise<void> } {
  const changes = new Changes();
  const inFlight = new Map<number, string>();
  let next = 0;
  const bolt = keyward.slack?.app;
  if (bolt) {
    const processEvent = bolt.processEvent.bind(bolt);
    bolt.processEvent = async (event) => {
      const id = ++next;
      inFlight.set(id, requestName(event.body as Record<string, unknown>));
      try {
        return await processEvent(event);
      } finally {
        inFlight.delete(id);
        changes.notify();
      }
    };
  }
  return {
    idle: (timeoutMs) =>
      changes
        .until(
          () => (inFlight.size === 0 ? true : undefined),
          timeoutMs,
          () => `the app was still handling ${[...inFlight.values()].join(", ")} after ${timeoutMs} ms`,
        )
        .then(() => undefined),
  };
}

function requestName(body: Record<string, unknown>): string {
  if (typeof body.command === "string") return body.command; // not its text: failure messages show no payload contents
  const event = body.event as { type?: string } | undefined;
  const actions = body.actions as Array<{ action_id?: string }> | undefined;
  return [body.type, event?.type, actions?.[0]?.action_id, (body.view as { callback_id?: string } | undefined)?.callback_id].filter(Boolean).join(" ");
}

const rawKeyId = /key:[0-9a-f]{8}-[0-9a-f]{4}/;

/** Names each call that carried an API key's raw id, or a message without a top-level text (null: none). */
function wireProblems(fake: FakeSlack, driver: SlackDriver): string | null {
  const sent = [
    ...fake.history.map((c) => ({ where: c.method, body: c.args as Record<string, unknown> })),
    ...driver.responses.map((r) => ({ where: "response_url", body: r.body as Record<string, unknown> })),
  ];
  // What the app answered in its acks (a view in response_action, an ack text) reaches Slack too.
  const acked = driver.acks.filter((body) => rawKeyId.test(body)).map((body) => `an ack carries ${rawKeyId.exec(body)![0]}…`);
  const problems = sent.flatMap(({ where, body }) => {
    const found: string[] = [];
    const json = JSON.stringify(body);
    if (rawKeyId.test(json)) found.push(`${where} carries ${rawKeyId.exec(json)![0]}…`);
    const isMessage = where === "response_url" ? body.delete_original !== true : /^chat\.(postMessage|postEphemeral|update)$/.test(where);
    if (isMessage && (typeof body.text !== "string" || body.text.trim() === "")) found.push(`${where} has no top-level text`);
    return found;
  });
  problems.push(...acked);
  return problems.length > 0 ? `what the app sent to Slack breaks issue 10's rules:\n${[...new Set(problems)].join("\n")}` : null;
}
