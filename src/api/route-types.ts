import type { z } from "zod";
import type { Actor } from "../domain/types.ts";
import { parseInput } from "../domain/validation.ts";

/** The names in a path template: `/a/{id}/b/{alias}` → "id" | "alias" (exported for its type-level test). */
export type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;

/** What the router hands a route before its inputs are read: decoded path params, the query string, the JSON body. */
export interface RawRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface ApiResult {
  status: number;
  body?: unknown;
}

/**
 * How a route reads one input. `parsed`: the router validates it before the handler runs. `domainChecked`: the
 * domain service validates it; some of them check the permission first, so parsing here would turn their 403
 * into a 422 (and the 403 must not depend on the input).
 */
interface RouteInput<T> {
  schema: z.ZodType;
  read(raw: unknown): T;
}

export const parsed = <S extends z.ZodType>(schema: S): RouteInput<z.output<S>> => ({ schema, read: (raw) => parseInput(schema, raw) });

// The one place unvalidated JSON takes the input's type: the service it goes to parses it with this schema.
export const domainChecked = <S extends z.ZodType>(schema: S): RouteInput<z.input<S>> => ({ schema, read: (raw) => raw as z.input<S> });

interface RouteRequest<P extends string, Q, B> {
  params: Record<ParamNames<P>, string>;
  query: Q;
  body: B;
}

interface RouteSpec<P extends string, Q, B> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** OpenAPI form, relative to /api/v1: `/api-keys/{id}`. */
  path: P;
  summary: string;
  query?: RouteInput<Q>;
  body?: RouteInput<B>;
  /** Success responses; error responses are added to the document for every route. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

interface RouteDoc {
  method: RouteSpec<string, unknown, unknown>["method"];
  path: string;
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: RouteSpec<string, unknown, unknown>["responses"];
}

/** A route anyone may call: it never sees an actor. */
export interface OpenRoute extends RouteDoc {
  authenticated: false;
  serve(raw: RawRequest): Promise<ApiResult>;
}

/** A route behind a key: the router authenticates first, so its handler always has the actor. */
export interface AuthenticatedRoute extends RouteDoc {
  authenticated: true;
  serve(raw: RawRequest, actor: Actor): Promise<ApiResult>;
}

export type RouteDef = OpenRoute | AuthenticatedRoute;

export function openRoute<P extends string, Q = undefined, B = undefined>(
  spec: RouteSpec<P, Q, B> & { handle(req: RouteRequest<P, Q, B>): Promise<ApiResult> },
): OpenRoute {
  return { ...doc(spec), authenticated: false, serve: async (raw) => spec.handle(readRequest(spec, raw)) };
}

export function authenticatedRoute<P extends string, Q = undefined, B = undefined>(
  spec: RouteSpec<P, Q, B> & { handle(req: RouteRequest<P, Q, B> & { actor: Actor }): Promise<ApiResult> },
): AuthenticatedRoute {
  return { ...doc(spec), authenticated: true, serve: async (raw, actor) => spec.handle({ ...readRequest(spec, raw), actor }) };
}

function doc<P extends string, Q, B>(spec: RouteSpec<P, Q, B>): RouteDoc {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    ...(spec.query ? { query: spec.query.schema } : {}),
    ...(spec.body ? { body: spec.body.schema } : {}),
    responses: spec.responses,
  };
}

/** Query before body, as the handlers read them before. A route without a query or body schema gets undefined. */
function readRequest<P extends string, Q, B>(spec: RouteSpec<P, Q, B>, raw: RawRequest): RouteRequest<P, Q, B> {
  const query = (spec.query ? spec.query.read(raw.query) : undefined) as Q;
  const body = (spec.body ? spec.body.read(raw.body) : undefined) as B;
  return { params: raw.params as Record<ParamNames<P>, string>, query, body };
}
