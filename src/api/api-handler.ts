import type { IncomingMessage, ServerResponse } from "node:http";
import type { DomainServices } from "../domain/index.ts";
import { DomainError } from "../domain/errors.ts";
import type { Actor } from "../domain/types.ts";
import type { Logger } from "../logger.ts";
import { apiRoutes } from "./api-routes.ts";
import type { FailedAuthentications } from "./failed-authentications.ts";
import { errorResponse, sendError as sendHttpError } from "./http-errors.ts";
import { sendJson, sendJsonText } from "./http-json.ts";
import { openApiDocument } from "./openapi.ts";
import type { ApiResult, AuthenticatedRoute, OpenRoute, RawRequest, RouteDef } from "./route-types.ts";

export const apiPrefix = "/api/v1";
const maxBodyBytes = 64 * 1024;

interface ApiDeps {
  services: DomainServices;
  logger: Logger;
  /** Failed authentications per client (API_AUTH_FAILURES_PER_MINUTE, TRUST_PROXY), shared with /gitlab/v1. */
  failedAuth: FailedAuthentications;
}

interface CompiledRoute<D extends RouteDef = RouteDef> {
  def: D;
  pattern: RegExp;
  names: string[];
}

export type ApiHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The route a request is for, as its template (`/api/v1/api-keys/{id}`), whatever its key; undefined for no route. For metrics. */
  routeOf(req: IncomingMessage): string | undefined;
};

/**
 * `/api/v1/…`. Authentication comes before any look-up or routing, so a caller without a valid
 * key learns nothing (not even whether a path or id exists); the key's role authorises.
 */
export function createApiHandler(deps: ApiDeps): ApiHandler {
  const routes = apiRoutes(deps.services).map(compile);
  const openRoutes = routes.filter((r): r is CompiledRoute<OpenRoute> => !r.def.authenticated);
  const authenticatedRoutes = routes.filter((r): r is CompiledRoute<AuthenticatedRoute> => r.def.authenticated);
  const openapi = JSON.stringify(openApiDocument(routes.map((r) => r.def)));
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      // Authentication runs outside the route's own try: a database outage there is a 503 too.
      const failure = errorResponse(error);
      if (failure.reference) deps.logger.error({ err: error, reference: failure.reference }, "API request failed outside its handler");
      if (!res.headersSent) send(res, failure.status, failure.body);
    });
  };
  const routeOf = (req: IncomingMessage) => {
    const path = new URL(req.url ?? "/", "http://keyward.invalid").pathname.slice(apiPrefix.length) || "/";
    if (path === "/openapi.json") return `${apiPrefix}${path}`;
    const method = (req.method ?? "GET").toUpperCase();
    const route = routes.find((r) => r.def.method === method && r.pattern.test(path)) ?? routes.find((r) => r.pattern.test(path));
    return route && `${apiPrefix}${route.def.path}`;
  };
  return Object.assign(handler, { routeOf });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://keyward.invalid");
    const path = url.pathname.slice(apiPrefix.length) || "/";
    const method = (req.method ?? "GET").toUpperCase();
    if (path === "/openapi.json" && method === "GET") return sendJsonText(res, 200, openapi, noStore);
    const open = openRoutes.find((r) => r.def.method === method && r.pattern.test(path));
    if (open) return serve(req, res, url, path, open, (raw) => open.def.serve(raw));
    // Authenticate first: a valid key is served whatever other callers from its address did.
    const auth = await authenticate(req);
    if (!auth.ok) {
      const wait = deps.failedAuth.record(req);
      if (wait > 0) {
        res.setHeader("retry-after", String(wait));
        return sendError(res, new DomainError("rate_limited", `Too many failed authentications; try again in ${wait} s.`));
      }
      res.setHeader("www-authenticate", 'Bearer realm="keyward"');
      return sendError(res, new DomainError("unauthenticated", auth.message));
    }
    const match = authenticatedRoutes.find((r) => r.def.method === method && r.pattern.test(path));
    if (!match) {
      const pathExists = routes.some((r) => r.pattern.test(path));
      return sendError(
        res,
        pathExists ? new DomainError("method_not_allowed", `${method} is not allowed here.`) : new DomainError("not_found", "There is no such endpoint."),
      );
    }
    return serve(req, res, url, path, match, (raw) => match.def.serve(raw, auth.actor));
  }

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
    route: CompiledRoute,
    run: (raw: RawRequest) => Promise<ApiResult>,
  ): Promise<void> {
    try {
      const body = await readJson(req);
      const result = await run({ params: paramsOf(route, path), query: Object.fromEntries(url.searchParams), body });
      if (result.status === 204) {
        res.writeHead(204).end();
        return;
      }
      send(res, result.status, result.body);
    } catch (error) {
      const failure = errorResponse(error);
      if (failure.reference)
        deps.logger.error({ err: error, reference: failure.reference, route: `${route.def.method} ${route.def.path}` }, "API handler failed");
      if (failure.body.error.details?.closeConnection) {
        res.setHeader("connection", "close");
        delete failure.body.error.details;
      }
      send(res, failure.status, failure.body);
    }
  }

  async function authenticate(req: IncomingMessage): Promise<{ ok: true; actor: Actor } | { ok: false; message: string }> {
    const header = req.headers.authorization;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match) return { ok: false, message: "Send Authorization: Bearer <key>." };
    const auth = await deps.services.access.actorForKey(match[1]!);
    if (!auth.ok) return { ok: false, message: authMessages[auth.reason] };
    return { ok: true, actor: auth.actor };
  }
}

const authMessages = {
  malformed: "That is not a keyward key (wrong format or checksum).",
  unknown: "That key is not known.",
  expired: "That key has expired.",
  deleted: "That key was deleted.",
  owner_inactive: "That personal key's owner holds no permission now (or was deactivated in Slack).",
} as const;

function compile(def: RouteDef): CompiledRoute {
  const names: string[] = [];
  const source = def.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { def, pattern: new RegExp(`^${source}/?$`), names };
}

function paramsOf(route: CompiledRoute, path: string): Record<string, string> {
  const values = route.pattern.exec(path)!.slice(1);
  const params: Record<string, string> = {};
  route.names.forEach((name, i) => {
    try {
      params[name] = decodeURIComponent(values[i]!);
    } catch {
      params[name] = values[i]!;
    }
  });
  return params;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      // Stop reading; the answer closes the connection instead of draining the rest.
      req.pause();
      throw new DomainError("malformed_request", `The body is larger than ${maxBodyBytes / 1024} KiB.`, { closeConnection: true });
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError("malformed_request", "The body is not valid JSON.");
  }
}

// API answers are never cached: they hold keys' state, and once a secret.
const noStore = { "cache-control": "no-store" };

function send(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, noStore);
}

function sendError(res: ServerResponse, error: unknown): void {
  sendHttpError(res, error, noStore);
}
