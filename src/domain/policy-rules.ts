// A workspace's policy (SPEC "Concepts", rule 14) and the one check every new key passes: created
// (Slack, REST, CLI), a roll's replacement, or a key an approved request yields. Pure: the caller
// reads the policy inside its transaction (PolicyRepository.readForKeyChange) and calls checkKeyPolicy.
import { DomainError, type FieldErrors } from "./errors.ts";
import { dayAfter, dayIn, endOfDayIn, isValidTimeZone } from "./expiry.ts";
import { missingPermissions, type Permission } from "./permissions.ts";
import type { KeyKind, Role } from "./types.ts";

const dayMs = 24 * 3600_000;

/** A role as the policy names it: answered with id and name, its permissions for the personal bound. */
export type PolicyRole = Pick<Role, "id" | "name" | "permissions">;

export interface WorkspacePolicy {
  /** Maximum lifetime of a new key in days, per kind; null: no maximum (the 10-year horizon only). */
  maxLifetimeDays: Record<KeyKind, number | null>;
  requireDescription: boolean;
  /** A personal key's role grants nothing beyond this role's permissions; null: any role. */
  personalMaxRole: PolicyRole | null;
  /** Keys of these roles are made only through an approved request ("four eyes"). */
  approvalRoles: PolicyRole[];
  /** Reminder thresholds (days before the expiry day); null: the configured REMINDER_DAYS. */
  reminderDays: number[] | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The reminder thresholds a workspace's keys and configurations follow: its policy's, else the configured REMINDER_DAYS. */
export function effectiveReminderDays(policy: Pick<WorkspacePolicy, "reminderDays">, configured: readonly number[]): readonly number[] {
  return policy.reminderDays ?? configured;
}

/** The policy of a workspace that never set one: no limits. */
export const noPolicy: WorkspacePolicy = {
  maxLifetimeDays: { service: null, personal: null },
  requireDescription: false,
  personalMaxRole: null,
  approvalRoles: [],
  reminderDays: null,
  updatedAt: null,
  updatedBy: null,
};

/**
 * The latest expiry a key of `maxDays` may have when made at `from`: the end of the day `maxDays`
 * calendar days after `from`'s day in `timeZone` (daylight-saving days count as days), or, for an
 * instant (no zone), `maxDays` × 24 h after `from`. Null: no maximum.
 */
export function latestAllowedExpiry(from: Date, maxDays: number | null, timeZone: string | null): Date | null {
  if (maxDays === null) return null;
  if (timeZone === null || !isValidTimeZone(timeZone)) return new Date(from.getTime() + maxDays * dayMs);
  return endOfDayIn(dayAfter(from, timeZone, maxDays), timeZone);
}

/** The new key a check is about: its kind, description (null: not checked, a roll keeps the old one), expiry and the field it came in. */
export interface KeyCandidate {
  kind: KeyKind;
  description: string | null;
  expiresAt: Date;
  /** The zone the expiry day was chosen in; null for an instant. */
  expiryTimeZone: string | null;
  now: Date;
  /** Which input field the expiry was given in, for the field error. */
  expiryField: "expiresAt" | "expiresOn";
}

/** Why a key breaks the policy, by field; empty when it keeps it. Four eyes is not among these (see checkKeyPolicy). */
export function policyViolations(policy: WorkspacePolicy, role: PolicyRole, candidate: KeyCandidate): FieldErrors {
  const fields: FieldErrors = {};
  const maxDays = policy.maxLifetimeDays[candidate.kind];
  const latest = latestAllowedExpiry(candidate.now, maxDays, candidate.expiryTimeZone);
  if (latest && candidate.expiresAt.getTime() > latest.getTime()) {
    const by = candidate.expiryTimeZone ? dayIn(latest, candidate.expiryTimeZone) : latest.toISOString();
    fields[candidate.expiryField] = `At most ${maxDays} days for ${candidate.kind} keys: by ${by}.`;
  }
  if (policy.requireDescription && candidate.description !== null && candidate.description.trim() === "") {
    fields.description = "This workspace requires a description: say what the key is for.";
  }
  const bound = policy.personalMaxRole;
  if (candidate.kind === "personal" && bound && bound.id !== role.id) {
    const beyond = missingPermissions(new Set<Permission>(bound.permissions), role.permissions);
    if (beyond.length > 0) fields.role = `Personal keys carry at most ${bound.name}'s permissions; ${role.name} also grants ${beyond.join(", ")}.`;
  }
  return fields;
}

/**
 * THE policy check of a new key (create, roll, approval). Throws policy_violation (details.fields
 * keyed by domain field: expiresAt/expiresOn, description, role) when the key breaks a limit, and
 * approval_required when its role needs four eyes and `approved` is false. The approval path
 * passes `{ approved: true }`: every other rule still holds for it.
 */
export function checkKeyPolicy(policy: WorkspacePolicy, role: PolicyRole, candidate: KeyCandidate, options: { approved: boolean }): void {
  const fields = policyViolations(policy, role, candidate);
  if (Object.keys(fields).length > 0) {
    throw new DomainError("policy_violation", `This key breaks the workspace policy: ${Object.values(fields).join(" ")}`, { fields });
  }
  if (!options.approved && policy.approvalRoles.some((r) => r.id === role.id)) {
    throw new DomainError("approval_required", `Keys with the role ${role.name} need someone else's approval.`, {
      fields: { role: `${role.name} keys need an approval: ask for one with /keys request.` },
    });
  }
}

/** A live key as the policy judges it afterwards: why it is out of policy (short reasons), empty when it is within. */
export function outOfPolicy(
  policy: WorkspacePolicy,
  key: {
    kind: KeyKind;
    description: string;
    roleId: string;
    rolePermissions?: readonly Permission[];
    createdAt: Date;
    expiresAt: Date;
    expiryTimeZone: string | null;
  },
): string[] {
  const reasons: string[] = [];
  const latest = latestAllowedExpiry(key.createdAt, policy.maxLifetimeDays[key.kind], key.expiryTimeZone);
  if (latest && key.expiresAt.getTime() > latest.getTime()) reasons.push(`lives over ${policy.maxLifetimeDays[key.kind]} days`);
  if (policy.requireDescription && key.description.trim() === "") reasons.push("no description");
  const bound = policy.personalMaxRole;
  if (key.kind === "personal" && bound && bound.id !== key.roleId && key.rolePermissions) {
    if (missingPermissions(new Set<Permission>(bound.permissions), key.rolePermissions).length > 0) reasons.push(`role beyond ${bound.name}`);
  }
  return reasons;
}

/** The expiry an existing key gets when a maximum is applied to it: the earlier of its own and creation + maximum. */
export function shortenedExpiry(key: { kind: KeyKind; createdAt: Date; expiresAt: Date; expiryTimeZone: string | null }, policy: WorkspacePolicy): Date | null {
  const latest = latestAllowedExpiry(key.createdAt, policy.maxLifetimeDays[key.kind], key.expiryTimeZone);
  return latest && latest.getTime() < key.expiresAt.getTime() ? latest : null;
}
