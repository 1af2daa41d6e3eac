// What the REST API answers: the response half of the OpenAPI document, and the tests' contract.
import { z } from "zod";
import { permissions } from "../domain/permissions.ts";
import { keyRequestStatuses } from "../domain/schemas.ts";

const instant = z.iso.datetime({ offset: true });

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(["service", "personal"]),
    role: z.string(),
    last4: z.string().length(4),
    createdBy: z.string(),
    createdAt: instant,
    expiresAt: instant,
    lastUsedAt: instant.nullable(),
  })
  .strict()
  .meta({ id: "ApiKey" });

export const createdApiKeySchema = apiKeySchema.extend({ secret: z.string().describe("Shown once; keyward keeps only a hash.") }).meta({ id: "CreatedApiKey" });

export const rolledApiKeySchema = createdApiKeySchema.extend({ previous: apiKeySchema }).meta({ id: "RolledApiKey" });

export const apiKeyPageSchema = z
  .object({ data: z.array(apiKeySchema), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: "ApiKeyPage" });

export const keyUsageSchema = z
  .object({
    data: z
      .array(
        z
          .object({
            day: z.iso.date().describe("A UTC day, YYYY-MM-DD"),
            count: z.number().int().nonnegative().describe("Successful verifications and REST authentications with the key that day"),
          })
          .strict(),
      )
      .describe("The last 90 UTC days, oldest first and today last; days without use count 0. Counts arrive within the flush interval (10 s)."),
  })
  .strict()
  .meta({ id: "KeyUsage" });

export const keyRequestSchema = z
  .object({
    id: z.string(),
    role: z.object({ id: z.string(), name: z.string() }).strict(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(["service", "personal"]),
    expiresAt: instant,
    reason: z.string(),
    requestedBy: z.string(),
    status: z.enum(keyRequestStatuses),
    decidedBy: z.string().nullable(),
    decidedAt: instant.nullable(),
    denyReason: z.string().nullable(),
    keyId: z.string().nullable(),
    createdAt: instant,
  })
  .strict()
  .meta({ id: "KeyRequest" });

export const keyRequestPageSchema = z
  .object({ data: z.array(keyRequestSchema), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: "KeyRequestPage" });

const roleSchema = z
  .object({ id: z.string(), name: z.string(), builtIn: z.boolean(), permissions: z.array(z.enum(permissions)) })
  .strict()
  .meta({ id: "Role" });

export const roleListSchema = z
  .object({ data: z.array(roleSchema) })
  .strict()
  .meta({ id: "RoleList" });

export const verifyRequestSchema = z
  .object({ key: z.string().max(1000, "A key is far shorter than that.") })
  .strict()
  .meta({ id: "VerifyRequest" });

export const verifyResponseSchema = z
  .object({
    valid: z.boolean(),
    reason: z
      .enum(["malformed", "unknown", "expired", "deleted", "owner_inactive"])
      .optional()
      .describe("Why the key is refused. owner_inactive: a personal key whose creator holds no permission now or was deactivated in Slack."),
    workspaceId: z.string().nullable().describe("The Slack workspace (team id) the key belongs to; null when refused."),
    keyId: z.string().nullable(),
    role: z.string().nullable(),
    permissions: z.array(z.enum(permissions)),
    expiresAt: instant.nullable(),
  })
  .strict()
  .meta({ id: "VerifyResponse" });

export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).strict(),
  })
  .strict()
  .meta({ id: "Error" });

export const integrationConfigSchema = z
  .object({
    id: z.string(),
    integration: z.string(),
    alias: z.string(),
    last4: z.string(),
    isDefault: z.boolean(),
    expiresAt: instant.nullable(),
    reminderChannel: z.string().nullable(),
    createdBy: z.string(),
    createdAt: instant,
    rotatedAt: instant.nullable(),
  })
  .strict()
  .meta({ id: "IntegrationConfiguration" });

export const revealedConfigSchema = integrationConfigSchema
  .extend({ secret: z.string().optional().describe("Only with ?reveal=true and integrations.secrets.read") })
  .meta({ id: "IntegrationConfigurationWithSecret" });
export const resolvedConfigSchema = integrationConfigSchema.extend({ resolvedBy: z.enum(["alias", "default"]) }).meta({ id: "ResolvedConfiguration" });
export const configPageSchema = z
  .object({ data: z.array(integrationConfigSchema), nextCursor: z.string().nullable() })
  .strict()
  .meta({ id: "IntegrationConfigurationPage" });
export const deleteKeyQuerySchema = z
  .object({
    endGrace: z.enum(["true", "false"]).optional().describe("true: stop a rolled key now, before its grace period ends; its replacement keeps working"),
  })
  .strict();
export const revealQuerySchema = z.object({ reveal: z.enum(["true", "false"]).optional() }).strict();
export const resolveQuerySchema = z.object({ alias: z.string().max(100).optional() }).strict();

const policyRoleSchema = z.object({ id: z.string(), name: z.string() }).strict();

export const policySchema = z
  .object({
    maxLifetimeDays: z.object({ service: z.number().int().nullable(), personal: z.number().int().nullable() }).strict(),
    requireDescription: z.boolean(),
    personalMaxRole: policyRoleSchema.nullable(),
    approvalRoles: z.array(policyRoleSchema),
    reminderDays: z.array(z.number().int()).nullable().describe("null: the configured REMINDER_DAYS"),
    updatedAt: instant.nullable(),
    updatedBy: z.string().nullable(),
  })
  .strict()
  .meta({ id: "Policy" });

export const policyUpdateResultSchema = z
  .object({
    policy: policySchema,
    stricterKinds: z.array(z.enum(["service", "personal"])).describe("Kinds whose maximum lifetime became stricter"),
    applied: z.boolean().describe("Whether the new maximum was applied to existing keys (applyMaxLifetimeToExisting)"),
    beyondMaximum: z
      .object({ shortened: z.number().int(), stoppedNow: z.number().int() })
      .strict()
      .describe("Live keys beyond the maximum: shortened (applied) or that applying would shorten, and how many of them stop at once"),
  })
  .strict()
  .meta({ id: "PolicyUpdate" });
