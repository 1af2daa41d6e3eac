import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from "@slack/bolt";
import type { Logger } from "../logger.ts";
import { boltLogger } from "../logger.ts";
import { registerListeners } from "./listeners/listener-registry.ts";
import type { SlackDeps } from "./slack-deps.ts";
import { observedFetch, timedReceiver, type SlackTelemetry } from "./slack-telemetry.ts";
import { isMemberOf, isServed, teamsNamedBy, type ServedWorkspace, type SlackUserOrigin } from "./served-workspace.ts";

/**
 * Before any listener: a request naming a team or enterprise keyward does not serve (another
 * workspace the app is installed in, a Slack Connect partner) is acknowledged, so Slack does not
 * retry, and goes no further: nothing is read or written for it. A user_change about a person of
 * another organisation is dropped the same way, so it cannot touch anyone here.
 */
function registerServedWorkspaceGuard(app: App, served: ServedWorkspace, deps: SlackDeps): void {
  app.use(async ({ body, context, next, ...args }) => {
    const reason = refusalOf(served, body as SlackBody, context);
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

interface SlackAppOptions {
  signingSecret: string;
  botToken: string;
  /** Socket Mode instead of HTTP when set. */
  appToken?: string;
  apiUrl: string;
  logger: Logger;
  /** From auth.test at start: the only workspace whose requests are served. */
  served: ServedWorkspace;
  /** From the same auth.test, so Bolt need not call it again. */
  botUserId?: string;
  botId?: string;
  /** Times acks and counts Web API calls (METRICS_PORT); absent: nothing is wrapped. */
  telemetry?: SlackTelemetry;
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
  const receiver: Receiver = options.appToken
    ? new SocketModeReceiver({ appToken: options.appToken, logger })
    : new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: ["/slack/events"], logger, unhandledRequestTimeoutMillis: 3001 });
  const { telemetry } = options;
  const app = new App({
    token: options.botToken,
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
    deps.logger.error({ err: error }, "unhandled Slack listener error");
  });
  await app.init();
  const http = receiver instanceof HTTPReceiver ? receiver : undefined;
  return {
    app,
    httpHandler: http?.requestListener,
    start: async () => {
      if (!http) await app.start();
    },
    stop: async () => {
      if (!http) await app.stop();
    },
  };
}
