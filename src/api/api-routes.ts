import type { z } from "zod";
import type { DomainServices } from "../domain/index.ts";
import {
  addConfigInputSchema,
  createKeyInputSchema,
  keyRequestPageInputSchema,
  pageInputSchema,
  rollKeyInputSchema,
  updateConfigInputSchema,
  updateKeyInputSchema,
  updatePolicyInputSchema,
} from "../domain/schemas.ts";
import type { WorkspacePolicy } from "../domain/policy-rules.ts";
import type { IntegrationConfig } from "../domain/integration-types.ts";
import type { ApiKey, KeyRequest, Role } from "../domain/types.ts";
import {
  apiKeyPageSchema,
  keyRequestPageSchema,
  configPageSchema,
  integrationConfigSchema,
  resolveQuerySchema,
  resolvedConfigSchema,
  deleteKeyQuerySchema,
  revealQuerySchema,
  revealedConfigSchema,
  apiKeySchema,
  keyUsageSchema,
  createdApiKeySchema,
  roleListSchema,
  rolledApiKeySchema,
  verifyRequestSchema,
  verifyResponseSchema,
  policySchema,
  policyUpdateResultSchema,
} from "./api-schemas.ts";
import { authenticatedRoute, domainChecked, openRoute, parsed, type RouteDef } from "./route-types.ts";

function apiKeyDto(key: ApiKey): z.output<typeof apiKeySchema> {
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

function keyRequestDto(r: KeyRequest) {
  return {
    id: r.id,
    role: { id: r.roleId, name: r.roleName },
    name: r.name,
    description: r.description,
    kind: r.kind,
    expiresAt: r.expiresAt.toISOString(),
    reason: r.reason,
    requestedBy: r.requestedBy,
    status: r.status,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    denyReason: r.denyReason,
    keyId: r.keyId,
    createdAt: r.createdAt.toISOString(),
  };
}

function configDto(c: IntegrationConfig) {
  return {
    id: c.id,
    integration: c.integration,
    alias: c.alias,
    last4: c.last4,
    isDefault: c.isDefault,
    expiresAt: c.expiresAt?.toISOString() ?? null,
    reminderChannel: c.reminderChannel,
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
    rotatedAt: c.rotatedAt?.toISOString() ?? null,
  };
}

function policyDto(p: WorkspacePolicy): z.output<typeof policySchema> {
  const role = (r: { id: string; name: string }) => ({ id: r.id, name: r.name });
  return {
    maxLifetimeDays: { ...p.maxLifetimeDays },
    requireDescription: p.requireDescription,
    personalMaxRole: p.personalMaxRole ? role(p.personalMaxRole) : null,
    approvalRoles: p.approvalRoles.map(role),
    reminderDays: p.reminderDays,
    updatedAt: p.updatedAt?.toISOString() ?? null,
    updatedBy: p.updatedBy,
  };
}

const roleDto = (role: Role) => ({ id: role.id, name: role.name, builtIn: role.builtIn !== null, permissions: role.permissions });

/** Every REST route, as data: the router serves them and the OpenAPI document describes them. */
export function apiRoutes(services: DomainServices): RouteDef[] {
  return [
    authenticatedRoute({
      method: "GET",
      path: "/api-keys",
      summary: "List the workspace's API keys (cursor pagination, stable order)",
      query: domainChecked(pageInputSchema),
      responses: { 200: { description: "A page of keys", schema: apiKeyPageSchema } },
      async handle(req) {
        const page = await services.keys.list(req.actor, req.query);
        return { status: 200, body: { data: page.data.map(apiKeyDto), nextCursor: page.nextCursor } };
      },
    }),
    authenticatedRoute({
      method: "POST",
      path: "/api-keys",
      summary: "Create an API key; the answer holds its secret, once",
      body: domainChecked(createKeyInputSchema),
      responses: { 201: { description: "The new key, with its secret", schema: createdApiKeySchema } },
      async handle(req) {
        const { key, secret } = await services.keys.create(req.actor, req.body);
        return { status: 201, body: { ...apiKeyDto(key), secret } };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/api-keys/{id}",
      summary: "One API key",
      responses: { 200: { description: "The key", schema: apiKeySchema } },
      async handle(req) {
        return { status: 200, body: apiKeyDto(await services.keys.get(req.actor, req.params.id)) };
      },
    }),
    authenticatedRoute({
      method: "PATCH",
      path: "/api-keys/{id}",
      summary: "Rename or re-describe a key (nothing else can change)",
      body: domainChecked(updateKeyInputSchema),
      responses: { 200: { description: "The updated key", schema: apiKeySchema } },
      async handle(req) {
        return { status: 200, body: apiKeyDto(await services.keys.update(req.actor, req.params.id, req.body)) };
      },
    }),
    authenticatedRoute({
      method: "DELETE",
      path: "/api-keys/{id}",
      summary: "Delete a key; it is refused from the next request on. A rolled key needs ?endGrace=true (else 409), and its replacement keeps working",
      query: parsed(deleteKeyQuerySchema),
      responses: { 204: { description: "Deleted" } },
      async handle(req) {
        const { endGrace } = req.query;
        await services.keys.delete(req.actor, req.params.id, { endGrace: endGrace === "true" });
        return { status: 204 };
      },
    }),
    authenticatedRoute({
      method: "POST",
      path: "/api-keys/{id}/roll",
      summary:
        "Replace a key: same name, role and kind, and a new expiry (expiresOn with timeZone, or expiresAt; default: the old key's lifetime again from today, to the end of that day in timeZone or the old key's zone). The old one works until graceUntil (default 24 h, at most 7 days)",
      body: domainChecked(rollKeyInputSchema),
      responses: { 201: { description: "The replacement, with its secret, and the old key", schema: rolledApiKeySchema } },
      async handle(req) {
        const rolled = await services.keys.roll(req.actor, req.params.id, req.body ?? {});
        return { status: 201, body: { ...apiKeyDto(rolled.key), secret: rolled.secret, previous: apiKeyDto(rolled.previous) } };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/api-keys/{id}/usage",
      summary: "A key's daily use counts: the last 90 UTC days, zeros included",
      responses: { 200: { description: "One entry per day, oldest first", schema: keyUsageSchema } },
      async handle(req) {
        return { status: 200, body: { data: await services.usage.daily(req.actor, req.params.id) } };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/key-requests",
      summary: "Key requests and their decisions (cursor pagination; optionally of one status)",
      query: domainChecked(keyRequestPageInputSchema),
      responses: { 200: { description: "A page of key requests", schema: keyRequestPageSchema } },
      async handle(req) {
        const page = await services.keyRequests.list(req.actor, req.query);
        return { status: 200, body: { data: page.data.map(keyRequestDto), nextCursor: page.nextCursor } };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/roles",
      summary: "The workspace's roles and their permissions",
      responses: { 200: { description: "Roles", schema: roleListSchema } },
      async handle(req) {
        return { status: 200, body: { data: (await services.roles.list(req.actor)).map(roleDto) } };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/policy",
      summary:
        "The workspace policy: maximum lifetime per kind, required description, personal keys' most powerful role, roles needing an approval, reminder thresholds",
      responses: { 200: { description: "The policy (no limits when none was set)", schema: policySchema } },
      async handle(req) {
        return { status: 200, body: policyDto(await services.policies.get(req.actor)) };
      },
    }),
    authenticatedRoute({
      method: "PUT",
      path: "/policy",
      summary:
        "Change the workspace policy (policy.edit, Admins). Fields left out stay; roles by id or name. applyMaxLifetimeToExisting: true also shortens live keys to creation + maximum",
      body: domainChecked(updatePolicyInputSchema),
      responses: { 200: { description: "The policy now, and the keys beyond its maximum", schema: policyUpdateResultSchema } },
      async handle(req) {
        const r = await services.policies.update(req.actor, req.body);
        return { status: 200, body: { policy: policyDto(r.policy), stricterKinds: r.stricterKinds, applied: r.applied, beyondMaximum: r.beyondMaximum } };
      },
    }),
    ...integrationRoutes(services),
    openRoute({
      method: "POST",
      path: "/verify",
      summary: "For other services: is this key valid, whose workspace is it, and what may it do?",
      body: parsed(verifyRequestSchema),
      responses: { 200: { description: "The verdict", schema: verifyResponseSchema } },
      async handle(req) {
        const { key } = req.body;
        const auth = await services.access.actorForKey(key, "verify");
        if (!auth.ok)
          return { status: 200, body: { valid: false, reason: auth.reason, workspaceId: null, keyId: null, role: null, permissions: [], expiresAt: null } };
        return {
          status: 200,
          body: {
            valid: true,
            workspaceId: auth.key.workspaceId,
            keyId: auth.key.id,
            role: auth.key.roleName,
            permissions: [...auth.actor.permissions],
            expiresAt: auth.key.expiresAt.toISOString(),
          },
        };
      },
    }),
  ];
}

function integrationRoutes(services: DomainServices): RouteDef[] {
  const base = "/integrations/{integration}/configurations";
  return [
    authenticatedRoute({
      method: "GET",
      path: base,
      summary: "An integration's configurations (never their secrets)",
      query: domainChecked(pageInputSchema),
      responses: { 200: { description: "A page of configurations", schema: configPageSchema } },
      async handle(req) {
        const page = await services.integrations.list(req.actor, req.params.integration, req.query);
        return { status: 200, body: { data: page.data.map(configDto), nextCursor: page.nextCursor } };
      },
    }),
    authenticatedRoute({
      method: "POST",
      path: base,
      summary: "Store a third-party secret under an alias (the first of an integration becomes its default)",
      body: domainChecked(addConfigInputSchema),
      responses: { 201: { description: "The configuration", schema: integrationConfigSchema } },
      async handle(req) {
        return { status: 201, body: configDto(await services.integrations.add(req.actor, req.params.integration, req.body)) };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: `${base}/{alias}`,
      summary: "One configuration; with ?reveal=true (needs integrations.secrets.read, audited) its secret",
      query: parsed(revealQuerySchema),
      responses: { 200: { description: "The configuration", schema: revealedConfigSchema } },
      async handle(req) {
        const { reveal } = req.query;
        if (reveal === "true") {
          const { config, secret } = await services.integrations.reveal(req.actor, req.params.integration, req.params.alias);
          return { status: 200, body: { ...configDto(config), secret } };
        }
        return { status: 200, body: configDto(await services.integrations.get(req.actor, req.params.integration, req.params.alias)) };
      },
    }),
    authenticatedRoute({
      method: "PATCH",
      path: `${base}/{alias}`,
      summary: "Rotate the secret in place (keeps alias and default status), make it the default, or set its reminder channel",
      body: domainChecked(updateConfigInputSchema),
      responses: { 200: { description: "The configuration", schema: integrationConfigSchema } },
      async handle(req) {
        return { status: 200, body: configDto(await services.integrations.update(req.actor, req.params.integration, req.params.alias, req.body)) };
      },
    }),
    authenticatedRoute({
      method: "DELETE",
      path: `${base}/{alias}`,
      summary: "Delete a configuration",
      responses: { 204: { description: "Deleted" } },
      async handle(req) {
        await services.integrations.delete(req.actor, req.params.integration, req.params.alias);
        return { status: 204 };
      },
    }),
    authenticatedRoute({
      method: "GET",
      path: "/integrations/{integration}/resolve",
      summary: "The configuration an alias names, falling back to the integration's default",
      query: parsed(resolveQuerySchema),
      responses: { 200: { description: "The configuration, and whether the alias or the default answered", schema: resolvedConfigSchema } },
      async handle(req) {
        const { alias } = req.query;
        const resolved = await services.integrations.resolve(req.actor, req.params.integration, alias);
        return { status: 200, body: { ...configDto(resolved), resolvedBy: resolved.resolvedBy } };
      },
    }),
  ];
}
