import type { App, Receiver, ReceiverEvent } from "@slack/bolt";
import type { FetchFunction } from "@slack/web-api";

/** What the Slack adapter reports for metrics. Every argument is a code from a closed set or a bounded pattern. */
export interface SlackTelemetry {
  /** From the receiver handing a verified request to Bolt until it was acknowledged. */
  acked(kind: SlackRequestKind, seconds: number): void;
  /** One HTTP attempt of a WebClient (a retry is another attempt), or a response_url post made through Bolt. */
  apiCalled(method: string, code: string, seconds: number): void;
}

export type SlackRequestKind = "command" | "action" | "view_submission" | "view_closed" | "shortcut" | "options" | "event" | "other";

const kindsByType: Record<string, SlackRequestKind> = {
  block_actions: "action",
  interactive_message: "action",
  view_submission: "view_submission",
  view_closed: "view_closed",
  shortcut: "shortcut",
  message_action: "shortcut",
  block_suggestion: "options",
  event_callback: "event",
};

/** What kind of Slack request a body is, as a label (exported for the label tests). */
export function requestKindOf(body: unknown): SlackRequestKind {
  const { command, type } = (body ?? {}) as { command?: unknown; type?: unknown };
  if (typeof command === "string") return "command";
  return (typeof type === "string" && Object.hasOwn(kindsByType, type) ? kindsByType[type] : undefined) ?? "other";
}

/**
 * The receiver Bolt is given: the real one (HTTP or Socket Mode), whose every event reaches the
 * app with its ack() timed. Wrapping the receiver, not a middleware, sees the acks Bolt makes
 * itself (events are acknowledged before any middleware runs) and works for both transports.
 */
export function timedReceiver(inner: Receiver, telemetry: SlackTelemetry): Receiver {
  return {
    init: (app) => inner.init(withTimedAcks(app, telemetry)),
    start: (...args) => inner.start(...args),
    stop: (...args) => inner.stop(...args),
  };
}

function withTimedAcks(app: App, telemetry: SlackTelemetry): App {
  const processEvent = (event: ReceiverEvent) => {
    const started = performance.now();
    const kind = requestKindOf(event.body);
    let timed = false;
    const ack: ReceiverEvent["ack"] = async (response) => {
      try {
        return await event.ack(response);
      } finally {
        if (!timed) telemetry.acked(kind, (performance.now() - started) / 1000);
        timed = true;
      }
    };
    return app.processEvent({ ...event, ack });
  };
  return new Proxy(app, {
    get: (target, property) => {
      if (property === "processEvent") return processEvent;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const methodName = /^[a-z][a-zA-Z]*(\.[a-zA-Z]+){1,3}$/;
const slackError = /^[a-z][a-z0-9_]{0,63}$/;

/** The Web API method a URL calls; anything else (a response_url, an upload URL) is `non_api`: its path is never a label. Exported for the label tests. */
export function slackMethodOf(url: string, apiUrl: string): string {
  if (!url.startsWith(apiUrl)) return "non_api";
  const method = url.slice(apiUrl.length).split(/[?#]/)[0]!;
  return method.length <= 64 && methodName.test(method) ? method : "non_api";
}

/** `ok`, Slack's error code, `ratelimited`, or the HTTP status class; a code that does not look like Slack's is not passed on. Exported for the label tests. */
export async function slackCodeOf(response: Response, isApi: boolean): Promise<string> {
  if (response.status === 429) return "ratelimited";
  if (response.status < 200 || response.status > 299) return `http_${Math.floor(response.status / 100)}xx`;
  if (!isApi) return "ok";
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { ok?: unknown; error?: unknown } | undefined;
  if (body?.ok === true) return "ok";
  if (typeof body?.error === "string") return slackError.test(body.error) ? body.error : "unrecognised_error";
  return "invalid_response";
}

/**
 * A fetch for WebClients (and Bolt's respond()) that reports each attempt. Only the method name
 * and a code leave it: never the URL (a response_url is a credential), a body or a header.
 */
export function observedFetch(apiUrl: string, telemetry: Pick<SlackTelemetry, "apiCalled">, base: typeof fetch = globalThis.fetch): FetchFunction {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input.href;
    const method = slackMethodOf(url, apiUrl);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let response: Response;
    try {
      response = await base(input, init as RequestInit);
    } catch (error) {
      telemetry.apiCalled(method, (error as Error)?.name === "TimeoutError" ? "timeout" : "network_error", seconds());
      throw error;
    }
    const elapsed = seconds(); // until the headers: reading the body is the caller's time
    telemetry.apiCalled(method, await slackCodeOf(response, method !== "non_api"), elapsed);
    return response;
  };
}
