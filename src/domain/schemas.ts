// The domain's input schemas. Surfaces validate once, at their edge, with these; services
// parse again (cheaply) so that no surface can skip a rule.
import { leakModes } from "./leak-settings.ts";
import { z } from "zod";
import { isCalendarDay, isValidTimeZone } from "./expiry.ts";
import { permissions } from "./permissions.ts";

export const nameLimits = { min: 1, max: 64 } as const;
export const descriptionMax = 500;
export const roleNameLimits = { min: 1, max: 40 } as const;

// No control characters: names end up in Slack messages, logs and CSV exports.
const printable = /^[^\p{Cc}\p{Cf}]*$/u;

const keyNameSchema = z
  .string()
  .trim()
  .min(nameLimits.min, "Give the key a name.")
  .max(nameLimits.max, `Keep the name to ${nameLimits.max} characters or fewer.`)
  .regex(printable, "The name cannot contain control characters.");

const keyDescriptionSchema = z
  .string()
  .trim()
  .max(descriptionMax, `Keep the description to ${descriptionMax} characters or fewer.`)
  // Line breaks and tabs are fine in a description; other control characters are not.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's purpose
  .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, "The description cannot contain control characters.");

/** An instant with an explicit offset (`2027-01-31T23:59:59Z`), as JSON carries one. */
const instantSchema = z.iso.datetime({ offset: true, error: "Use an ISO 8601 instant such as 2027-01-31T23:59:59Z." }).transform((v) => new Date(v));

const calendarDaySchema = z.string().refine(isCalendarDay, "Use a calendar date like 2027-01-31.").meta({ format: "date" });
const timeZoneSchema = z.string().refine(isValidTimeZone, "Use an IANA time zone such as Europe/Paris.");
const keyKindSchema = z.enum(["service", "personal"]);
const permissionSchema = z.enum(permissions);

/** A role is referred to by id or by name (case-insensitive). */
const roleRefSchema = z.string().trim().min(1, "Choose a role.").max(100).regex(printable, "Choose one of the workspace's roles.");

export const createKeyInputSchema = z
  .object({
    name: keyNameSchema,
    description: keyDescriptionSchema.default(""),
    role: roleRefSchema,
    kind: keyKindSchema.default("service"),
    expiresOn: calendarDaySchema.optional(),
    timeZone: timeZoneSchema.optional(),
    expiresAt: instantSchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const byDay = input.expiresOn !== undefined;
    if (byDay === (input.expiresAt !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["expiresOn"], message: "Give either an expiry date (expiresOn with timeZone) or an instant (expiresAt)." });
    }
    if (byDay && input.timeZone === undefined) {
      ctx.addIssue({ code: "custom", path: ["timeZone"], message: "An expiry date needs the time zone it is meant in." });
    }
  });
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;

export const updateKeyInputSchema = z
  .object({ name: keyNameSchema.optional(), description: keyDescriptionSchema.optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.description !== undefined, "Change the name or the description.");
export type UpdateKeyInput = z.input<typeof updateKeyInputSchema>;

/** A rolled key works at most 7 days after its replacement is made. */
export const maxGraceHours = 7 * 24;
/** The replacement's expiry as create takes it; none given: the old key's lifetime again, from today (src/domain/key-roll.ts). */
export const rollKeyInputSchema = z
  .object({
    graceUntil: instantSchema.optional(),
    graceHours: z.number().min(0).max(maxGraceHours, "The grace period is at most 7 days (168 hours).").optional(),
    expiresOn: calendarDaySchema.optional().describe("The replacement's expiry day (with timeZone): it expires at the end of that day there"),
    timeZone: timeZoneSchema.optional().describe("The zone of expiresOn; alone, the zone the default expiry day is counted in (default: the old key's)"),
    expiresAt: instantSchema.optional().describe("The replacement's expiry as an instant, instead of expiresOn"),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.graceUntil !== undefined && v.graceHours !== undefined)
      ctx.addIssue({ code: "custom", path: ["graceUntil"], message: "Give graceUntil or graceHours, not both." });
    refineExpiry(v, ctx);
  });
export type RollKeyInput = z.input<typeof rollKeyInputSchema>;

export const createRoleInputSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(roleNameLimits.min, "Give the role a name.")
      .max(roleNameLimits.max, `Keep the role name to ${roleNameLimits.max} characters or fewer.`)
      .regex(printable, "The name cannot contain control characters."),
    permissions: z.array(permissionSchema).min(1, "Choose at least one permission."),
  })
  .strict();
export type CreateRoleInput = z.input<typeof createRoleInputSchema>;

export const pageInputSchema = z
  .object({
    cursor: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export type PageInput = z.input<typeof pageInputSchema>;

/** A page by its number (`/keys list 12`): found by position, so any page costs one query. */
export const pageNumberInputSchema = z
  .object({
    page: z.coerce.number().int().min(1).max(10_000),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
export type PageNumberInput = z.input<typeof pageNumberInputSchema>;

// Integration configurations.
export const integrationSlugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "Use the integration's short name: lowercase letters, digits and dashes (github, pagerduty).");
export const aliasSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "Use lowercase letters, digits, dots, dashes or underscores, at most 64 (cortex-github).");
const integrationSecretSchema = z
  .string()
  .trim()
  // Its last 4 characters are shown in lists and reminders: a short secret would be shown whole.
  .min(12, "The secret is at least 12 characters.")
  .max(4096, "The secret is at most 4096 characters.")
  .regex(/^[^\s\p{Cc}]+$/u, "The secret cannot contain spaces, line breaks or control characters.");
/** A Slack person (U…, or W… on Enterprise Grid): the one test of "is this actor a person" everywhere. */
export const slackUserIdPattern = /^[UW][A-Z0-9]+$/;
/** A public (C…) or private (G…) Slack channel. */
export const slackChannelIdPattern = /^[CG][A-Z0-9]{2,}$/;

const channelIdSchema = z.string().regex(slackChannelIdPattern, "Choose a channel.");

const expiryFields = {
  expiresOn: calendarDaySchema.optional(),
  timeZone: timeZoneSchema.optional(),
  expiresAt: instantSchema.nullable().optional(),
};

function refineExpiry(input: { expiresOn?: string; timeZone?: string; expiresAt?: Date | null }, ctx: z.RefinementCtx) {
  if (input.expiresOn !== undefined && input.expiresAt !== undefined) {
    ctx.addIssue({ code: "custom", path: ["expiresOn"], message: "Give either expiresOn with timeZone or expiresAt, not both." });
  }
  if (input.expiresOn !== undefined && input.timeZone === undefined) {
    ctx.addIssue({ code: "custom", path: ["timeZone"], message: "An expiry date needs the time zone it is meant in." });
  }
}

export const addConfigInputSchema = z
  .object({
    alias: aliasSchema,
    secret: integrationSecretSchema,
    isDefault: z.boolean().optional(),
    reminderChannel: channelIdSchema.nullable().optional(),
    ...expiryFields,
  })
  .strict()
  .superRefine(refineExpiry);
export type AddConfigInput = z.input<typeof addConfigInputSchema>;

export const updateConfigInputSchema = z
  .object({
    secret: integrationSecretSchema.optional(),
    isDefault: z.literal(true, "Only true: to move the default, make another configuration the default.").optional(),
    reminderChannel: channelIdSchema.nullable().optional(),
    ...expiryFields,
  })
  .strict()
  .superRefine(refineExpiry)
  .superRefine((input, ctx) => {
    if (input.secret === undefined && (input.expiresOn !== undefined || input.expiresAt !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["secret"], message: "An expiry changes only with a new secret (a rotation)." });
    }
    if (Object.values(input).every((v) => v === undefined)) ctx.addIssue({ code: "custom", path: ["secret"], message: "Nothing to change." });
  });
export type UpdateConfigInput = z.input<typeof updateConfigInputSchema>;

/** The longest maximum lifetime a policy may set: the global horizon (10 years). */
export const maxPolicyLifetimeDays = 3650;
const lifetimeDaysSchema = z
  .number()
  .int("Use whole days.")
  .min(1, "At least 1 day.")
  .max(maxPolicyLifetimeDays, `At most ${maxPolicyLifetimeDays} days.`)
  .nullable()
  .describe("Maximum lifetime in days; null: no maximum");

/**
 * A change of the workspace policy (`PUT /policy`, the `/keys policy` form). Fields left out stay
 * as they are. Roles by id or name. `applyMaxLifetimeToExisting`: shorten live keys to the new maximum.
 */
export const updatePolicyInputSchema = z
  .object({
    maxLifetimeDays: z.object({ service: lifetimeDaysSchema.optional(), personal: lifetimeDaysSchema.optional() }).strict().optional(),
    requireDescription: z.boolean().optional(),
    personalMaxRole: roleRefSchema.nullable().optional().describe("The most powerful role a personal key may carry; null: any"),
    approvalRoles: z.array(roleRefSchema).max(50).optional().describe("Roles whose keys need an approved request (/keys request)"),
    reminderDays: z
      .array(z.number().int("Use whole days.").min(0, "0 (the expiry day) or more.").max(365, "At most 365 days."))
      .min(1, "Give at least one threshold, or null for the default.")
      .max(10, "At most 10 thresholds.")
      .nullable()
      .optional()
      .describe("Reminder thresholds in days before the expiry day; null: the configured default"),
    applyMaxLifetimeToExisting: z.boolean().optional().describe("Shorten live keys that outlive the new maximum (creation + maximum)"),
  })
  .strict();
export type UpdatePolicyInput = z.input<typeof updatePolicyInputSchema>;
// Key requests.
export const reasonMax = 500;
/** Why a key is asked for, or why a request is denied: required, in words, shown to approvers or the requester. */
const reasonSchema = (missing: string) =>
  z
    .string()
    .trim()
    .min(1, missing)
    .max(reasonMax, `Keep it to ${reasonMax} characters or fewer.`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this rule's purpose
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, "It cannot contain control characters.");
export const requestReasonSchema = reasonSchema("Say what the key is for and why you need it.");
export const denyReasonSchema = reasonSchema("Say why, so the requester knows what to change.");

export const keyRequestStatuses = ["pending", "approved", "denied", "expired", "undelivered"] as const;
export const keyRequestPageInputSchema = z
  .object({
    cursor: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    status: z.enum(keyRequestStatuses).optional(),
  })
  .strict();
export type KeyRequestPageInput = z.input<typeof keyRequestPageInputSchema>;

/** `/keys digest #channel monday 9`: where and when the weekly digest is posted (null: none). */
export const digestSettingInputSchema = z
  .object({
    channel: z.string().regex(slackChannelIdPattern, "Name a channel: /keys digest #channel."),
    weekday: z.number().int().min(1).max(7),
    hour: z.number().int().min(0).max(23),
    timeZone: timeZoneSchema,
    appId: z
      .string()
      .regex(/^A[A-Z0-9]{1,30}$/)
      .nullable(),
  })
  .nullable();
export type DigestSettingInput = z.infer<typeof digestSettingInputSchema>;

export const approvalsChannelSchema = z.string().regex(slackChannelIdPattern, "Name a channel: /keys approvals #channel.").nullable();

export const securityChannelSchema = z.string().regex(slackChannelIdPattern, "Name a channel: /keys security #channel.").nullable();
export const leakModeSchema = z.enum(leakModes);

/**
 * GitLab's Token Revocation API (`POST /gitlab/v1/revoke_tokens`): a list of findings. A type keyward
 * does not list is refused (400, as GitLab's documentation says), and so is the whole request: nothing
 * of it is acted on. `maxRevokeBatch` findings at most in one request.
 */
export const maxRevokeBatch = 1000;
export const revokeTokensBodySchema = z
  .array(
    z.object({
      type: z.string().max(200),
      token: z.string().max(1000),
      location: z.string().max(4000).optional().nullable(),
    }),
  )
  .max(maxRevokeBatch);
export type RevokeTokensBody = z.infer<typeof revokeTokensBodySchema>;
