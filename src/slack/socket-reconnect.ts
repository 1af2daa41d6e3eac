// Reconnecting a Socket Mode client ourselves: the SDK's own reconnect (autoReconnectEnabled)
// runs `start().then(…)` with no catch, so one failed apps.connections.open (a 503, a network
// error) at a routine reconnect became an unhandled rejection, which ends a Node 20 process, and
// the client never tried again.
import type { Logger } from "../logger.ts";

/** The part of the SDK's SocketModeClient the supervisor uses. */
export interface ReconnectableClient {
  start(): Promise<unknown>;
  disconnect(): Promise<void>;
  on(event: "disconnected", listener: () => void): unknown;
}

/**
 * apps.connections.open refusing the app-level token (revoked, or not an xapp- token): no retry
 * succeeds until keyward restarts with a valid one, so attempts go on at the cap only (in case
 * the refusal was Slack's own mistake) and it is said once, at error level.
 */
const refusedToken = new Set(["invalid_auth", "account_inactive", "not_allowed_token_type", "token_revoked"]);

export interface ReconnectPolicy {
  /** The wait before the first attempt; it doubles after each failure (the SDK waited its pong timeout). */
  firstDelayMs: number;
  /** The longest wait between attempts: Slack down for an hour is retried every minute, not every hour. */
  maxDelayMs: number;
}

export interface SocketReconnect {
  /** No attempt after this; a connection an attempt in flight opens is closed again. */
  stop(): void;
}

/**
 * Once start-up has connected (start-up itself fails fast, so a refused token stops the process):
 * every later `disconnected` leads to attempts, with backoff doubling up to the cap, until one
 * connects or stop() is called. Each failure is logged; none is rethrown.
 */
export function superviseReconnects(client: ReconnectableClient, policy: ReconnectPolicy, logger: Logger): SocketReconnect {
  let stopped = false;
  let attempting = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let refusalTold = false;

  const schedule = (atCap = false) => {
    const delay = atCap ? policy.maxDelayMs : Math.min(policy.firstDelayMs * 2 ** failures, policy.maxDelayMs);
    timer = setTimeout(() => void attempt(), delay);
    return delay;
  };
  const attempt = async () => {
    timer = undefined;
    if (stopped) return;
    attempting = true;
    try {
      await client.start();
      failures = 0;
      attempting = false;
      // stop() came while apps.connections.open was answering: the SDK has just opened a socket anyway.
      if (stopped) await client.disconnect();
    } catch (err) {
      attempting = false;
      failures += 1;
      if (stopped) return;
      const refused = refusedToken.has(platformError(err) ?? "");
      const retryInMs = schedule(refused);
      // The error's code and status only: the SDK's errors carry the request's headers.
      if (refused && !refusalTold) {
        refusalTold = true;
        logger.error(
          { attempt: failures, retryInMs, error: describe(err) },
          "Slack refused the app-level token; Socket Mode is down until keyward restarts with a valid SLACK_APP_TOKEN",
        );
      } else logger.warn({ attempt: failures, retryInMs, error: describe(err) }, "Socket Mode reconnect failed; retrying");
    }
  };

  client.on("disconnected", () => {
    // An attempt in flight whose socket closed rejects, and schedules the next itself.
    if (stopped || attempting || timer) return;
    logger.info("Socket Mode connection closed; reconnecting");
    schedule();
  });
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Slack's `error` of a platform error (ok: false), e.g. invalid_auth. */
function platformError(err: unknown): string | undefined {
  const error = (err as { data?: { error?: unknown } } | undefined)?.data?.error;
  return typeof error === "string" ? error : undefined;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return "unknown error";
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  return [code, statusCode, platformError(err)].filter((part) => part !== undefined).join(" ") || err.name;
}
