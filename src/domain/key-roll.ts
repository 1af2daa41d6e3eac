// Rolling a key (`/keys roll`, `POST /api-keys/{id}/roll`): a replacement with the old key's name,
// description, role and kind, and an expiry of its own, so that following a reminder renews the
// key; the old key keeps working for a grace period. Undone by revertRoll when the replacement's
// secret reached nobody (rule 4).
import { denied, DomainError } from "./errors.ts";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { dayAfter, dayIn, endOfDayIn, expiryFromDay, isValidTimeZone, maxExpiryYears } from "./expiry.ts";
import { checkPolicyOf, mintSecret, newKeyRow, requireHeld, type CreatedKey, type KeyChangeSupport } from "./new-key.ts";
import { effectiveReminderDays, latestAllowedExpiry, noPolicy, type PolicyRole, type WorkspacePolicy } from "./policy-rules.ts";
import { nextReminderAt } from "./reminder-schedule.ts";
import type { Repositories } from "./repositories.ts";
import { maxGraceHours, type RollKeyInput, rollKeyInputSchema } from "./schemas.ts";
import type { Actor, ApiKey, KeyKind, StoredKey } from "./types.ts";
import { parseInput } from "./validation.ts";

/** How long the old key keeps working when the roll names no grace period: a day. */
export const defaultGraceMs = 24 * 3600_000;
const maxGraceMs = maxGraceHours * 3600_000;
const dayMs = 24 * 3600_000;

export interface RolledKey extends CreatedKey {
  /** The old key, with its (possibly shortened) expiry. */
  previous: ApiKey;
}

type RollInput = ReturnType<typeof rollKeyInputSchema.parse>;
type Lifetime = Pick<ApiKey, "createdAt" | "expiresAt" | "expiryTimeZone" | "kind">;

/**
 * The latest expiry a replacement may get: the global horizon (10 years, as create), and the
 * workspace's maximum lifetime for its kind counted in `timeZone` (the default day is clamped to
 * it; a chosen expiry past it is refused by checkKeyPolicy, for every surface at once). Exported for its test.
 */
export function latestReplacementExpiry(now: Date, kind: KeyKind, policy: WorkspacePolicy = noPolicy, timeZone: string | null = null): Date {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + maxExpiryYears);
  const byPolicy = latestAllowedExpiry(now, policy.maxLifetimeDays[kind], timeZone);
  return byPolicy && byPolicy.getTime() < limit.getTime() ? byPolicy : limit;
}

function dayBefore(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The old key's lifetime in calendar days: from the day it was created to its expiry day, in the
 * zone that day was chosen in (UTC for an instant). Days, not milliseconds: a 90-day key rolled in
 * the morning or the evening gets 90 days again either way.
 */
export function lifetimeDays(old: Pick<ApiKey, "createdAt" | "expiresAt" | "expiryTimeZone">): number {
  const zone = old.expiryTimeZone && isValidTimeZone(old.expiryTimeZone) ? old.expiryTimeZone : "UTC";
  return Math.max(0, Math.round((Date.parse(dayIn(old.expiresAt, zone)) - Date.parse(dayIn(old.createdAt, zone))) / dayMs));
}

/** When the old key stops working after a roll whose grace ends at `graceUntil`: its own expiry, if sooner. */
export function oldKeyEnds(old: Pick<ApiKey, "expiresAt">, graceUntil: Date): Date {
  return new Date(Math.min(old.expiresAt.getTime(), graceUntil.getTime()));
}

/** The first day whose end (in `timeZone`) is after `instant`: the earliest expiry day a replacement may have. */
function firstDayAfter(instant: Date, timeZone: string): string {
  return dayIn(new Date(instant.getTime() + 1), timeZone);
}

/**
 * The default expiry day of the replacement: the old key's lifetime again from today in `timeZone`,
 * within the limit, and never ending before the old key stops (`oldEnds`, the end of its grace):
 * a replacement that expired first would free the name while the old key still works (a 0-day
 * lifetime's today, say), and a new key could take it.
 */
export function defaultReplacementDay(old: Lifetime, now: Date, timeZone: string, oldEnds?: Date, policy: WorkspacePolicy = noPolicy): string {
  const lifetimeAgain = dayAfter(now, timeZone, lifetimeDays(old));
  const day = oldEnds && endOfDayIn(lifetimeAgain, timeZone).getTime() <= oldEnds.getTime() ? firstDayAfter(oldEnds, timeZone) : lifetimeAgain;
  const maxDays = policy.maxLifetimeDays[old.kind];
  // The policy's last day is a whole day in this zone: the default never goes past it.
  if (maxDays !== null && day > dayAfter(now, timeZone, maxDays)) return dayAfter(now, timeZone, maxDays);
  const latest = latestReplacementExpiry(now, old.kind);
  // That day may end past the limit (a 10-year key: ten years hold a leap day more or less): the last day before it then.
  return endOfDayIn(day, timeZone).getTime() > latest.getTime() ? dayBefore(dayIn(latest, timeZone)) : day;
}

/**
 * The replacement's expiry: the caller's day (end of it, in its zone, as create: rule 5) or
 * instant; none given, the default day in the caller's zone, else the old key's, else UTC.
 */
function replacementExpiry(
  old: Lifetime,
  input: Pick<RollInput, "expiresOn" | "timeZone" | "expiresAt">,
  now: Date,
  oldEnds: Date,
  policy: WorkspacePolicy,
): { expiresAt: Date; timeZone: string | null } {
  const latest = latestReplacementExpiry(now, old.kind);
  const tooLate = (field: string) =>
    new DomainError("validation_failed", `The expiry is at most ${maxExpiryYears} years ahead.`, {
      fields: { [field]: `Choose a date before ${latest.toISOString().slice(0, 10)}.` },
    });
  // Two working keys of one name otherwise: once the replacement expired, its name is free while the old key still works.
  const tooSoon = (field: string, fix: string) =>
    new DomainError("validation_failed", `The new key must outlast the old one, which works until ${oldEnds.toISOString()}.`, { fields: { [field]: fix } });
  if (input.expiresAt) {
    if (input.expiresAt.getTime() <= now.getTime())
      throw new DomainError("expiry_in_past", "The expiry is already past.", { fields: { expiresAt: "Choose a later time." } });
    if (input.expiresAt.getTime() > latest.getTime()) throw tooLate("expiresAt");
    if (input.expiresAt.getTime() <= oldEnds.getTime()) throw tooSoon("expiresAt", `Choose a time after ${oldEnds.toISOString()}, when the old key stops.`);
    return { expiresAt: input.expiresAt, timeZone: null };
  }
  if (input.expiresOn) {
    const expiresAt = expiryFromDay(input.expiresOn, input.timeZone!, now);
    if (expiresAt.getTime() > latest.getTime()) throw tooLate("expiresOn");
    if (expiresAt.getTime() <= oldEnds.getTime()) {
      throw tooSoon(
        "expiresOn",
        `Choose ${firstDayAfter(oldEnds, input.timeZone!)} or later: the old key works until then (its grace period), and the new key must outlast it.`,
      );
    }
    return { expiresAt, timeZone: input.timeZone! };
  }
  const timeZone = input.timeZone ?? old.expiryTimeZone ?? "UTC";
  return { expiresAt: endOfDayIn(defaultReplacementDay(old, now, timeZone, oldEnds, policy), timeZone), timeZone };
}

function graceEnd(input: RollInput, now: Date): Date {
  const graceUntil = input.graceUntil ?? new Date(now.getTime() + (input.graceHours !== undefined ? input.graceHours * 3600_000 : defaultGraceMs));
  if (graceUntil.getTime() < now.getTime() || graceUntil.getTime() > now.getTime() + maxGraceMs) {
    throw new DomainError("validation_failed", "The grace period ends between now and 7 days from now.", {
      fields: { graceUntil: "Choose a time within the next 7 days." },
    });
  }
  return graceUntil;
}

/**
 * What keeps a key from being rolled at all under the policy, said for a roll (its form cannot
 * change the role or the description): a role that needs four eyes (a roll would give one person
 * a fresh secret nobody else approved), or no description where one is required. Called when the
 * roll form opens too, so the form is not offered in vain. Throws approval_required / policy_violation.
 */
export function checkRollPolicy(policy: WorkspacePolicy, role: Pick<PolicyRole, "id" | "name">, key: Pick<ApiKey, "name" | "description">): void {
  if (policy.approvalRoles.some((r) => r.id === role.id)) {
    throw new DomainError(
      "approval_required",
      `Keys with the role ${role.name} need someone else's approval, and a roll makes a new one: ${key.name} cannot be rolled directly. Ask for a new key with /keys request (another approver decides), then delete this one.`,
      { fields: { role: `${role.name} keys need an approval: ask for a new key with /keys request.` } },
    );
  }
  if (policy.requireDescription && key.description.trim() === "") {
    throw new DomainError(
      "policy_violation",
      `This workspace requires a description, and ${key.name} has none: add one first (/keys edit ${key.name}, or PATCH /api-keys/{id}), then roll it.`,
      { fields: { description: `Add a description first (/keys edit ${key.name}), then roll the key.` } },
    );
  }
}

/**
 * Issues a replacement with the same name, description, role and kind and a new expiry; the old
 * key keeps working until `graceUntil` (now to 7 days ahead), then is refused as expired.
 */
export async function rollKey(
  s: KeyChangeSupport,
  actor: Actor,
  id: string,
  rawInput: RollKeyInput,
  options: { pendingDelivery?: boolean },
): Promise<RolledKey> {
  const { ctx } = s;
  const input = parseInput(rollKeyInputSchema, rawInput);
  const now = ctx.clock.now();
  const graceUntil = graceEnd(input, now);
  const minted = mintSecret(ctx);
  s.rememberHash(minted.hash);
  const result = await ctx.store.transaction(async (tx) => {
    // The policy's shared lock before the key's row lock, the order applying a maximum takes them in
    // (its exclusive lock, then the key rows): the other order could deadlock the two.
    const policy = await tx.policies.readForKeyChange(actor.workspaceId);
    const old = await s.loadForChange(tx, actor, id);
    if (old.replacedBy) throw new DomainError("conflict", `${old.name} was already rolled; roll its replacement instead.`);
    // A personal key acts for its creator; its replacement would act for the roller instead.
    if (old.kind === "personal" && old.createdBy !== actor.userId) throw denied("roll another person's personal key (they can roll it themselves)");
    if (old.expiresAt.getTime() <= now.getTime()) throw new DomainError("expiry_in_past", `${old.name} has expired; create a new key instead.`);
    const role = await tx.roles.findById(actor.workspaceId, old.roleId);
    if (!role) throw new DomainError("role_not_found", "The key's role no longer exists; create a new key instead.");
    requireHeld(actor, role);
    const oldEnds = oldKeyEnds(old, graceUntil);
    const expiry = replacementExpiry(old, input, now, oldEnds, policy);
    checkRollPolicy(policy, role, old);
    // A roll is a new secret: held to the whole policy (rule 14), its description as the key has it now.
    const candidate = { kind: old.kind, description: old.description, expiresAt: expiry.expiresAt, expiryTimeZone: expiry.timeZone, now };
    const expiryField = input.expiresAt ? ("expiresAt" as const) : ("expiresOn" as const);
    const reminderDays = await checkPolicyOf(ctx, tx, actor.workspaceId, role, { ...candidate, expiryField }, false, policy);
    const rowCtx = { ...ctx, reminderDays };
    const key = await tx.apiKeys.create(newKeyRow(rowCtx, minted, { ...old, createdBy: actor.userId }, expiry, now, options.pendingDelivery));
    await tx.apiKeys.markReplaced(actor.workspaceId, old.id, { replacedBy: key.id, expiresAt: oldEnds, expiresAtBeforeRoll: old.expiresAt });
    await tx.apiKeys.announceChange(old.id);
    // The replacement is a new hash: other instances' filters learn it from its own notice.
    await tx.apiKeys.announceChange(key.id);
    await recordAudit(
      ctx,
      tx,
      actor,
      "api_key.roll",
      { type: "api_key", id: old.id, name: old.name },
      { replacedBy: key.id, worksUntil: oldEnds.toISOString() },
    );
    await recordAudit(
      ctx,
      tx,
      actor,
      "api_key.create",
      { type: "api_key", id: key.id, name: key.name },
      { rolledFrom: old.id, role: role.name, kind: key.kind, expiresAt: key.expiresAt.toISOString() },
    );
    return { key, previous: { ...old, replacedBy: key.id, expiresAt: oldEnds } };
  });
  s.evict(id);
  return { ...result, secret: minted.secret };
}

/** What undoing a roll did to the old key: brought back, or left stopped because another key took its name meanwhile. */
export interface RevertedRoll {
  oldKeyId: string;
  revived: boolean;
  /** When the old key stops: the expiry it had before the roll (revived), or its grace end (not). */
  worksUntil: Date;
}

/**
 * Whether a delete of `key` (its row locked) may go ahead. `endGrace` stops a rolled key now and
 * keeps its replacement: only for a key that was rolled (else it would delete a key back in
 * service after its roll was undone, or one never rolled), and not while the replacement's secret
 * is still on its way (its delivery may yet fail and undo the roll). Without it, a rolled key whose
 * replacement lives is not deleted behind its replacement's back, so a delete that raced a roll
 * never leaves the replacement of a key someone meant to kill.
 */
export function checkRolledDelete(key: ApiKey, replacement: Pick<StoredKey, "id" | "pendingSince"> | null, endGrace: boolean): void {
  if (endGrace) {
    if (!key.replacedBy) {
      throw new DomainError("conflict", `${key.name} (…${key.last4}) is not being replaced, so there is no grace period to end; nothing was stopped.`, {
        notReplaced: true,
        name: key.name,
        last4: key.last4,
      });
    }
    if (replacement?.pendingSince) {
      throw new DomainError("conflict", `${key.name} (…${key.last4}) was not stopped: its replacement is still being delivered; try again in a moment.`, {
        replacedBy: replacement.id,
        replacementPending: true,
      });
    }
    return;
  }
  if (replacement) {
    throw new DomainError(
      "conflict",
      `${key.name} was rolled: its replacement ${replacement.id} carries the name now, and the old key stops at the end of its grace period. To stop the old key now and keep its replacement, delete it with endGrace (REST: DELETE /api-keys/${key.id}?endGrace=true); to remove both, delete the replacement first, then this key.`,
      { replacedBy: replacement.id },
    );
  }
}

/** What KeyService.discardUndelivered did; `revertedRoll` says what became of the old key when the key was a roll's replacement. */
export type Discarded = { discarded: false } | { discarded: true; revertedRoll: RevertedRoll | null };

/**
 * Rule 4 for a roll's replacement that reached nobody (it was just deleted in this transaction):
 * the old key gets back its name and the expiry it had before the roll, unless another key holds
 * the name by now (two working keys of one name otherwise): then it stays as the roll left it,
 * stopping at its grace end. Null when the replacement replaced nothing.
 */
export async function revertRoll(
  ctx: Pick<DomainContext, "clock" | "random" | "reminderDays">,
  tx: Repositories,
  actor: Pick<Actor, "workspaceId" | "userId" | "source">,
  replacement: Pick<ApiKey, "id" | "expiresAt">,
  reason: string,
): Promise<RevertedRoll | null> {
  const replaced = await tx.apiKeys.findReplacedBy(actor.workspaceId, replacement.id);
  if (!replaced) return null;
  // Giving the old key its name back is giving a key a name: serialised with creates and renames of it.
  await tx.apiKeys.lockName(actor.workspaceId, replaced.name);
  const target = { type: "api_key", id: replaced.id, name: replaced.name } as const;
  if (await tx.apiKeys.nameInUse(actor.workspaceId, replaced.name, ctx.clock.now())) {
    await recordAudit(ctx, tx, actor, "api_key.roll_reverted", target, { deletedReplacement: replacement.id, reason, oldKeyRevived: false, nameTaken: true });
    return { oldKeyId: replaced.id, revived: false, worksUntil: replaced.expiresAt };
  }
  // Rolls from before expiresAtBeforeRoll existed copied the old expiry onto the replacement (the migration fills the column in for them).
  // Under the policy's shared lock: a maximum applied meanwhile has committed (and is seen) or waits for this.
  const policy = await tx.policies.readForKeyChange(actor.workspaceId);
  const before = replaced.expiresAtBeforeRoll ?? replacement.expiresAt;
  // A maximum applied since the roll holds for the expiry given back too (creation + maximum).
  const limit = latestAllowedExpiry(replaced.createdAt, policy.maxLifetimeDays[replaced.kind], replaced.expiryTimeZone);
  const expiresAt = limit && limit.getTime() < before.getTime() ? limit : before;
  const next = nextReminderAt({ expiresAt, timeZone: replaced.expiryTimeZone }, ctx.clock.now(), effectiveReminderDays(policy, ctx.reminderDays));
  await tx.apiKeys.clearReplaced(actor.workspaceId, replaced.id, expiresAt, next);
  await tx.apiKeys.announceChange(replaced.id);
  await recordAudit(ctx, tx, actor, "api_key.roll_reverted", target, { deletedReplacement: replacement.id, reason });
  return { oldKeyId: replaced.id, revived: true, worksUntil: expiresAt };
}
