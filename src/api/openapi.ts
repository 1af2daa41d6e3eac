import { z } from "zod";
import { errorSchema } from "./api-schemas.ts";
import type { RouteDef } from "./route-types.ts";

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate and answer. */
export function openApiDocument(routes: RouteDef[], serverUrl = "/api/v1"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
      ...queryParameters(route.query),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      responses[status] = r.schema
        ? { description: r.description, content: { "application/json": { schema: jsonSchema(r.schema, "output") } } }
        : { description: r.description };
    }
    for (const [status, description] of errorStatuses(route)) {
      responses[status] = { description, content: { "application/json": { schema: jsonSchema(errorSchema, "output") } } };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9_]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
      ...(route.authenticated ? {} : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "keyward", version: "1", description: "Manage keyward API keys with the keys themselves; verify keys for other services." },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A keyward API key (kw_…)" } } },
    paths,
  };
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as Record<string, unknown>;
  return rest;
}

function queryParameters(query: z.ZodType | undefined) {
  if (!query) return [];
  const schema = jsonSchema(query, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: "query", required: schema.required?.includes(name) ?? false, schema: s }));
}

function errorStatuses(route: RouteDef): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  if (route.body) out.push([400, "The body is not JSON"]);
  if (route.authenticated) out.push([401, "No key, or a key that is not valid"], [403, "The key's role lacks the permission"]);
  if (route.path.includes("{")) out.push([404, "No such record in the key's workspace"]);
  if (route.method !== "GET") out.push([409, "Conflicts with the current state"]);
  // Only a route that takes input can refuse it (GET /roles and GET /policy take none).
  if (route.body || route.query || route.path.includes("{")) out.push([422, "The input breaks a rule; details.fields says which"]);
  if (route.authenticated) out.push([429, "Too many failed authentications from this address; see Retry-After"]);
  return out;
}
