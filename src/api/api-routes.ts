import type { z } from "zod";
import type { DomainServices } from "../domain/index.ts";
import { createKeyInputSchema, pageInputSchema, rollKeyInputSchema, updateKeyInputSchema } from "../domain/schemas.ts";
import type { Actor, ApiKey, Role } from "../domain/types.ts";
import { parseInput } from "../domain/validation.ts";
import {
  apiKeyPageSchema,
  apiKeySchema,
  createdApiKeySchema,
  roleListSchema,
  rolledApiKeySchema,
  verifyRequestSchema,
  verifyResponseSchema,
} from "./api-schemas.ts";

export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** Null only on routes that do not authenticate. */
  actor: Actor | null;
}

export interface ApiResult {
  status: number;
  body?: unknown;
}

export interface RouteDef {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI form, relative to /api/v1: `/api-keys/{id}`. */
  path: string;
  summary: string;
  authenticated: boolean;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success responses; error responses are added to the document for every route. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(req: ApiRequest): Promise<ApiResult>;
}

export function apiKeyDto(key: ApiKey): z.output<typeof apiKeySchema> {
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    kind: key.kind,
    role: key.roleName,
    last4: key.last4,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

const roleDto = (role: Role) => ({ id: role.id, name: role.name, builtIn: role.builtIn !== null, permissions: role.permissions });

/** Every REST route, as data: the router serves them and the OpenAPI document describes them. */
export function apiRoutes(services: DomainServices): RouteDef[] {
  const actor = (req: ApiRequest) => req.actor!;
  return [
    {
      method: "GET",
      path: "/api-keys",
      summary: "List the workspace's API keys (cursor pagination, stable order)",
      authenticated: true,
      query: pageInputSchema,
      responses: { 200: { description: "A page of keys", schema: apiKeyPageSchema } },
      async handle(req) {
        const page = await services.keys.list(actor(req), req.query);
        return { status: 200, body: { data: page.data.map(apiKeyDto), nextCursor: page.nextCursor } };
      },
    },
    {
      method: "POST",
      path: "/api-keys",
      summary: "Create an API key; the answer holds its secret, once",
      authenticated: true,
      body: createKeyInputSchema,
      responses: { 201: { description: "The new key, with its secret", schema: createdApiKeySchema } },
      async handle(req) {
        const { key, secret } = await services.keys.create(actor(req), req.body as never);
        return { status: 201, body: { ...apiKeyDto(key), secret } };
      },
    },
    {
      method: "GET",
      path: "/api-keys/{id}",
      summary: "One API key",
      authenticated: true,
      responses: { 200: { description: "The key", schema: apiKeySchema } },
      async handle(req) {
        return { status: 200, body: apiKeyDto(await services.keys.get(actor(req), req.params.id!)) };
      },
    },
    {
      method: "PATCH",
      path: "/api-keys/{id}",
      summary: "Rename or re-describe a key (nothing else can change)",
      authenticated: true,
      body: updateKeyInputSchema,
      responses: { 200: { description: "The updated key", schema: apiKeySchema } },
      async handle(req) {
        return { status: 200, body: apiKeyDto(await services.keys.update(actor(req), req.params.id!, req.body as never)) };
      },
    },
    {
      method: "DELETE",
      path: "/api-keys/{id}",
      summary: "Delete a key; it is refused from the next request on",
      authenticated: true,
      responses: { 204: { description: "Deleted" } },
      async handle(req) {
        await services.keys.delete(actor(req), req.params.id!);
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: "/api-keys/{id}/roll",
      summary: "Replace a key: same name, role and kind; the old one works until graceUntil (default 24 h, at most 7 days)",
      authenticated: true,
      body: rollKeyInputSchema,
      responses: { 201: { description: "The replacement, with its secret, and the old key", schema: rolledApiKeySchema } },
      async handle(req) {
        const rolled = await services.keys.roll(actor(req), req.params.id!, (req.body ?? {}) as never);
        return { status: 201, body: { ...apiKeyDto(rolled.key), secret: rolled.secret, previous: apiKeyDto(rolled.previous) } };
      },
    },
    {
      method: "GET",
      path: "/roles",
      summary: "The workspace's roles and their permissions",
      authenticated: true,
      responses: { 200: { description: "Roles", schema: roleListSchema } },
      async handle(req) {
        return { status: 200, body: { data: (await services.roles.list(actor(req))).map(roleDto) } };
      },
    },
    {
      method: "POST",
      path: "/verify",
      summary: "For other services: is this key valid, and what may it do?",
      authenticated: false,
      body: verifyRequestSchema,
      responses: { 200: { description: "The verdict", schema: verifyResponseSchema } },
      async handle(req) {
        const { key } = parseInput(verifyRequestSchema, req.body);
        const auth = await services.access.actorForKey(key);
        if (!auth.ok) return { status: 200, body: { valid: false, reason: auth.reason, keyId: null, role: null, permissions: [], expiresAt: null } };
        return {
          status: 200,
          body: {
            valid: true,
            keyId: auth.key.id,
            role: auth.key.roleName,
            permissions: [...auth.actor.permissions],
            expiresAt: auth.key.expiresAt.toISOString(),
          },
        };
      },
    },
  ];
}
