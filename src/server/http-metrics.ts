import type { IncomingMessage, ServerResponse } from "node:http";
import { apiPrefix } from "../api/api-handler.ts";
import type { AppMetrics } from "./app-metrics.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const methods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** The main port's own paths; every other one outside the API is `unmatched`. */
const ownRoutes = new Set(["/healthz", "/readyz", "/slack/events"]);

/** A request's method as a label: anything a client may invent beyond the usual ones is `other`. Exported for its test. */
export function methodLabel(method: string | undefined): string {
  const upper = (method ?? "").toUpperCase();
  return methods.has(upper) ? upper : "other";
}

/**
 * A request's route as a label: a template (`/api/v1/api-keys/{id}`), never the raw path, which
 * could carry a key id, an alias or anything a scanner tries; what matches no route is `unmatched`.
 */
export function routeLabel(req: IncomingMessage, apiRouteOf: (req: IncomingMessage) => string | undefined): string {
  const path = (req.url ?? "/").split("?")[0]!;
  if (ownRoutes.has(path)) return path;
  if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) return apiRouteOf(req) ?? "unmatched";
  return "unmatched";
}

/** Counts and times each request from its arrival to the end of its response (or the client leaving first). */
export function observeRequests(handler: Handler, metrics: Pick<AppMetrics, "httpRequest">, routeOf: (req: IncomingMessage) => string): Handler {
  return (req, res) => {
    const started = performance.now();
    res.once("close", () => {
      const status = res.writableFinished ? String(res.statusCode) : "aborted";
      metrics.httpRequest(methodLabel(req.method), routeOf(req), status, (performance.now() - started) / 1000);
    });
    handler(req, res);
  };
}
