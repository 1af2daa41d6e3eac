import { App, ErrorCode, HTTPReceiver, SocketModeReceiver, type Receiver } from "@slack/bolt";
import type { Logger } from "../logger.ts";
import { boltLogger } from "../logger.ts";
import { registerListeners } from "./listeners/listener-registry.ts";
import { createAuthorize, createInstallationStore, type SlackInstalls } from "./oauth-installs.ts";
import type { SlackDeps } from "./slack-deps.ts";
import { superviseReconnects, type SocketReconnect } from "./socket-reconnect.ts";
import { observedFetch, timedReceiver, type SlackTelemetry } from "./slack-telemetry.ts";
import { isMemberOf, isServed, teamsNamedBy, type ServedWorkspace, type SlackUserOrigin } from "./served-workspace.ts";

/**
 * Before any listener: a request naming a team or enterprise keyward does not serve (another
 * workspace the app is installed in, a Slack Connect partner) is acknowledged, so Slack does not
 * retry, and goes no further: nothing is read or written for it. A user_change about a person of
 * another organisation is dropped the same way, so it cannot touch anyone here.
 */
function registerServedWorkspaceGuard(app: App, fixed: ServedWorkspace | undefined, deps: SlackDeps): void {
  app.use(async ({ body, context, next, ...args }) => {
    // OAuth: the workspace the request's own installation serves (set by authorize). Bolt skips
    // authorisation for app_uninstalled and tokens_revoked: those come from Slack itself (signed) and
    // name the workspace they are about, which is all their listener touches.
    const served = fixed ?? (context.servedWorkspace as ServedWorkspace | undefined);
    if (!served && isUninstallEvent(body as SlackBody)) return next();
    const reason = served ? refusalOf(served, body as SlackBody, context) : "workspace not installed";
    if (!reason) return next();
    // What kind of request, and why: never the payload's contents.
    deps.logger.warn({ kind: kindOf(body as SlackBody), reason }, "Slack request for a workspace keyward does not serve ignored");
    const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
    await ack?.(
      typeof (body as SlackBody).command === "string" ? { response_type: "ephemeral", text: "keyward is not installed for this workspace." } : undefined,
    );
  });
}

type SlackBody = { type?: unknown; command?: unknown; event?: { type?: unknown; user?: unknown } };

const uninstallEvents = new Set(["app_uninstalled", "tokens_revoked"]);
const isUninstallEvent = (body: SlackBody) => body.type === "event_callback" && uninstallEvents.has(String(body.event?.type));

function refusalOf(served: ServedWorkspace, body: SlackBody, context: Parameters<typeof teamsNamedBy>[1]): string | undefined {
  if (!isServed(served, teamsNamedBy(body, context))) return "workspace not served";
  const person = body.event?.user; // user_change carries the whole user; app_home_opened only an id
  if (typeof person === "object" && person !== null && !isMemberOf(served, person as SlackUserOrigin)) return "person of another organisation";
  return undefined;
}

function kindOf(body: SlackBody): string {
  const kind = body.event ? `event ${String(body.event.type)}` : String(body.type ?? body.command ?? "request");
  return kind.slice(0, 40);
}

/** OAuth installs: Bolt's installer serves /slack/install and /slack/oauth_redirect, and every request is authorised from its workspace's installation. */
export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  /** The bot scopes asked for: manifest.yml's (ids.ts botScopes). */
  scopes: readonly string[];
  installs: SlackInstalls;
}

interface SlackAppOptions {
  signingSecret: string;
  /** Single-token mode; absent with `oauth`. */
  botToken?: string;
  oauth?: SlackOAuthOptions;
  /** Socket Mode instead of HTTP when set. */
  appToken?: string;
  apiUrl: string;
  logger: Logger;
  /** Single-token mode, from auth.test at start: the only workspace whose requests are served (OAuth: each request's installation says). */
  served?: ServedWorkspace;
  /** From the same auth.test, so Bolt need not call it again. */
  botUserId?: string;
  botId?: string;
  /** Times acks and counts Web API calls (METRICS_PORT); absent: nothing is wrapped. */
  telemetry?: SlackTelemetry;
  /**
   * Socket Mode: how long without a pong before the connection is dropped and opened again; the
   * first reconnect attempt waits this long, each failed one doubles it, up to a minute (default
   * 5000 ms, the SDK's).
   */
  socketPingTimeoutMs?: number;
}

export interface SlackApp {
  app: App;
  /** HTTP mode: the request handler for `/slack/events`, mounted on our own server. */
  httpHandler?: HTTPReceiver["requestListener"];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bolt, with a bounded retry policy and a timeout (the WebClient default would retry for 30
 * minutes) and the receiver decided by configuration. HTTP mode does not open its own port:
 * our server hands it `/slack/events`, beside `/healthz` and `/api/v1`.
 */
export async function createSlackApp(options: SlackAppOptions, deps: SlackDeps): Promise<SlackApp> {
  const logger = boltLogger(options.logger);
  const socket = options.appToken ? socketModeReceiver(options, options.appToken, logger) : undefined;
  const receiver: Receiver =
    socket ??
    new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: ["/slack/events"],
      logger,
      unhandledRequestTimeoutMillis: 3001,
      ...(options.oauth ? installerOptions(options.oauth, options.apiUrl, options.logger) : {}),
    });
  if (options.oauth) useInstallAuthorize(receiver as HTTPReceiver, options.oauth);
  const { telemetry } = options;
  const app = new App({
    // OAuth: no token; Bolt takes the receiver's installer's authorize (replaced by ours above).
    ...(options.botToken ? { token: options.botToken } : {}),
    receiver: telemetry ? timedReceiver(receiver, telemetry) : receiver,
    ...(options.botUserId && options.botId ? { botUserId: options.botUserId, botId: options.botId, tokenVerificationEnabled: false } : {}),
    logger,
    deferInitialization: true,
    clientOptions: {
      slackApiUrl: options.apiUrl,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
      timeout: 10_000,
      rejectRateLimitedCalls: false,
      ...(telemetry ? { fetch: observedFetch(options.apiUrl, telemetry) } : {}),
    },
  });
  // When the request arrived: form submissions measure their ack budget from here (rule 12).
  app.use(async ({ context, next }) => {
    context.receivedAt ??= Date.now();
    await next();
  });
  registerServedWorkspaceGuard(app, options.served, deps);
  // Every command, button, form and event: one table (listeners/listener-registry.ts).
  registerListeners(app, deps);
  app.error(async (error) => {
    // OAuth: a request of a workspace that is not (or no longer) installed is not authorised; it gets nothing.
    if (error.code === ErrorCode.AuthorizationError)
      deps.logger.warn({ reason: error.message.slice(0, 200) }, "Slack request of a workspace keyward is not installed in ignored");
    else deps.logger.error({ err: error }, "unhandled Slack listener error");
  });
  await app.init();
  const http = receiver instanceof HTTPReceiver ? receiver : undefined;
  let reconnects: SocketReconnect | undefined;
  let started = false;
  return {
    app,
    httpHandler: http?.requestListener,
    start: async () => {
      // Once: a second start would stack a second supervisor, each reconnecting on every drop.
      // Set before the await: two starts at once are guarded too.
      if (!socket || started) return;
      started = true;
      // Start-up's own connect is not retried past the WebClient's two retries: it fails fast.
      await app.start();
      const firstDelayMs = options.socketPingTimeoutMs ?? 5000;
      reconnects = superviseReconnects(socket.client, { firstDelayMs, maxDelayMs: Math.max(firstDelayMs, 60_000) }, options.logger);
    },
    stop: async () => {
      if (!socket) return;
      reconnects?.stop();
      await disconnected(socket);
    },
  };
}

/**
 * Socket Mode opens no port: with no installer and no custom routes the receiver starts no HTTP
 * server of its own (our server still answers /healthz and /api/v1; /slack/events is not served).
 * The SDK's own reconnect is off: it lets a failed apps.connections.open escape as an unhandled
 * rejection, so socket-reconnect.ts reconnects instead, after each `disconnected`.
 * Its client makes its own WebClient for apps.connections.open, with the app-level token, from
 * `installerOptions.clientOptions` only (not the App's): the API URL and a bounded retry policy go
 * there (unset, the SDK writes in 100 retries for an unreachable or failing Slack). The client
 * changes the object it is given, so it gets one of its own.
 */
function socketModeReceiver(options: SlackAppOptions, appToken: string, logger: ReturnType<typeof boltLogger>): SocketModeReceiver {
  return new SocketModeReceiver({
    appToken,
    logger,
    autoReconnectEnabled: false,
    clientPingTimeout: options.socketPingTimeoutMs ?? 5000,
    installerOptions: {
      clientOptions: {
        slackApiUrl: options.apiUrl,
        retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
        timeout: 10_000,
      },
    },
  });
}

/** The SDK's close handshake waits up to 30 s for the peer; shutdown gives it this long. */
const socketCloseMs = 3000;

/**
 * Bolt's SocketModeReceiver.stop() returns before the socket has closed; the client's own
 * disconnect() resolves once it has, so a stopped keyward leaves no connection (or reconnect
 * timer) behind.
 */
async function disconnected(receiver: SocketModeReceiver): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, socketCloseMs);
  });
  await Promise.race([receiver.client.disconnect(), late]);
  clearTimeout(timer);
}

/** The HTTPReceiver's installer: GET /slack/install (straight to Slack's consent page) and GET /slack/oauth_redirect. */
function installerOptions(oauth: SlackOAuthOptions, apiUrl: string, logger: Logger) {
  return {
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    scopes: [...oauth.scopes],
    installationStore: createInstallationStore(oauth.installs, logger),
    installerOptions: {
      directInstall: true,
      installPath: "/slack/install",
      redirectUriPath: "/slack/oauth_redirect",
      // The state is signed with SLACK_STATE_SECRET and must come back with the browser's cookie.
      stateVerification: true,
      // oauth.v2.access and the auth.test after it go where every other call goes (tests: the fake).
      // No retries: a code is single-use, so a retry after a timeout could only fail (the browser retries).
      clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 },
    },
  };
}

/**
 * Bolt uses the receiver's installer.authorize as the app's; ours reads the request's installation
 * (the user directory reads it again on a users.info miss, for the served ids), and refreshes an
 * expiring token through the domain, not the installer (oauth-installs.ts).
 */
function useInstallAuthorize(receiver: HTTPReceiver, oauth: SlackOAuthOptions): void {
  const installer = receiver.installer;
  if (!installer) throw new Error("The HTTP receiver has no installer: SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are needed.");
  installer.authorize = createAuthorize(oauth.installs) as typeof installer.authorize;
}
