// Issuing a key, created (`/keys create`, `POST /api-keys`) or a roll's replacement
// (src/domain/key-roll.ts): its secret, the row it is stored as, and the rules every new key obeys.
import type { z } from "zod";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { DomainError } from "./errors.ts";
import { checkExpiryHorizon, expiryFromDay } from "./expiry.ts";
import { generateKey, lastFour } from "./key-format.ts";
import { missingPermissions } from "./permissions.ts";
import { checkKeyPolicy, effectiveReminderDays, type KeyCandidate, type WorkspacePolicy } from "./policy-rules.ts";
import { nextReminderAt } from "./reminder-schedule.ts";
import type { NewApiKey, Repositories } from "./repositories.ts";
import { resolveRole } from "./role-service.ts";
import { newId } from "./runtime.ts";
import { createKeyInputSchema, type CreateKeyInput } from "./schemas.ts";
import type { Actor, ApiKey, KeyKind, KeyRequest, Role } from "./types.ts";
import { parseInput } from "./validation.ts";

/** A key just issued, with its secret. */
export interface CreatedKey {
  key: ApiKey;
  /** Shown once to the creator; never stored, logged or audited. */
  secret: string;
}

/** What issuing a key takes from the context: storage, time, randomness, the hasher and the reminder thresholds. */
export type NewKeyContext = Pick<DomainContext, "store" | "clock" | "random" | "hasher" | "reminderDays">;

/** What issuing a key needs from KeyService: its rule checks, its row lock, its hash filter and its verify cache. */
export interface KeyChangeSupport {
  ctx: NewKeyContext;
  requireEdit(actor: Actor, kind: KeyKind, ownerId: string): void;
  loadForChange(tx: Repositories, actor: Actor, id: string): Promise<ApiKey>;
  rememberHash(hash: string): void;
  evict(keyId: string): void;
}

/** A new secret and its keyed hash: made before the transaction, so the hash filter learns the hash before the row can exist. */
export function mintSecret(ctx: Pick<DomainContext, "random" | "hasher">): { secret: string; hash: string } {
  const secret = generateKey(ctx.random);
  return { secret, hash: ctx.hasher.hash(secret) };
}

/** The one shape a new key is stored in, created or a replacement: its reminders planned, pending until delivered if asked. */
export function newKeyRow(
  ctx: Pick<DomainContext, "clock" | "random" | "reminderDays">,
  minted: { secret: string; hash: string },
  key: Pick<ApiKey, "workspaceId" | "name" | "description" | "kind" | "roleId" | "createdBy">,
  expiry: { expiresAt: Date; timeZone: string | null },
  now: Date,
  pendingDelivery: boolean | undefined,
): NewApiKey {
  return {
    id: newId(ctx.clock, ctx.random),
    workspaceId: key.workspaceId,
    name: key.name,
    description: key.description,
    kind: key.kind,
    roleId: key.roleId,
    hash: minted.hash,
    last4: lastFour(minted.secret),
    createdBy: key.createdBy,
    createdAt: now,
    expiresAt: expiry.expiresAt,
    expiryTimeZone: expiry.timeZone,
    nextReminderAt: nextReminderAt(expiry, now, ctx.reminderDays),
    pendingSince: pendingDelivery ? now : null,
  };
}

/**
 * `pendingDelivery`: the key stays inert until `activate` (called once its secret reached the
 * creator), so that a process dying between creation and delivery leaves no live key whose
 * secret nobody saw (rule 4); `sweepUndelivered` removes such keys. `approved`: only the path of
 * an approved key request sets it (the policy's four eyes were kept; every other limit still holds).
 */
export async function createKey(
  s: KeyChangeSupport,
  actor: Actor,
  rawInput: CreateKeyInput,
  options: { pendingDelivery?: boolean; approved?: boolean },
): Promise<CreatedKey> {
  const { ctx } = s;
  const input = parseInput(createKeyInputSchema, rawInput);
  s.requireEdit(actor, input.kind, actor.userId);
  const now = ctx.clock.now();
  const expiresAt = expiryOfCreate(input, now);
  const minted = mintSecret(ctx);
  // Before the row can exist: if the transaction fails, a stray prefix only costs a read.
  s.rememberHash(minted.hash);
  const created = await ctx.store.transaction(async (tx) => {
    const role = await resolveRole(tx, actor.workspaceId, input.role);
    requireHeld(actor, role);
    const expiry = { expiresAt, timeZone: input.expiresOn ? input.timeZone! : null };
    const candidate = { kind: input.kind, description: input.description, expiresAt, expiryTimeZone: expiry.timeZone, now, expiryField: expiryFieldOf(input) };
    const reminderDays = await checkPolicyOf(ctx, tx, actor.workspaceId, role, candidate, options.approved === true);
    await requireUniqueName(ctx, tx, actor.workspaceId, input.name);
    const fields = { workspaceId: actor.workspaceId, name: input.name, description: input.description, kind: input.kind, roleId: role.id };
    const rowCtx = { ...ctx, reminderDays };
    const key = await tx.apiKeys.create(newKeyRow(rowCtx, minted, { ...fields, createdBy: actor.userId }, expiry, now, options.pendingDelivery));
    const details = { role: role.name, kind: key.kind, expiresAt: expiresAt.toISOString() };
    await recordAudit(ctx, tx, actor, "api_key.create", { type: "api_key", id: key.id, name: key.name }, details);
    // Other instances forget the hashes they remembered as unknown: this one may be among them.
    await tx.apiKeys.announceChange(key.id);
    return key;
  });
  s.evict(created.id);
  return { key: created, secret: minted.secret };
}

/** Which input field an expiry came in (a day, or an instant), for the policy's field error. */
export const expiryFieldOf = (input: { expiresOn?: string }): "expiresOn" | "expiresAt" => (input.expiresOn ? "expiresOn" : "expiresAt");

/**
 * THE policy step of every new key (create, approval, roll, a request): the policy read in the
 * caller's transaction under its shared lock (a change committed before is seen; one after waits
 * for this transaction), the key checked against it; answers the reminder thresholds to plan with.
 */
export async function checkPolicyOf(
  ctx: Pick<DomainContext, "reminderDays">,
  tx: Repositories,
  workspaceId: string,
  role: Role,
  candidate: KeyCandidate,
  approved: boolean,
  /** Already read under the shared lock in this transaction (a roll caps its default expiry with it first). */
  locked?: WorkspacePolicy,
): Promise<readonly number[]> {
  const policy = locked ?? (await tx.policies.readForKeyChange(workspaceId));
  checkKeyPolicy(policy, role, candidate, { approved });
  return effectiveReminderDays(policy, ctx.reminderDays);
}

/** Rule 2: nobody mints a key whose role grants what they do not hold. */
export function requireHeld(actor: Actor, role: Role): void {
  const beyond = missingPermissions(actor.permissions, role.permissions);
  if (beyond.length > 0) {
    throw new DomainError("role_exceeds_actor", `The role ${role.name} grants permissions you do not hold: ${beyond.join(", ")}.`, {
      fields: { role: "Choose a role whose permissions you hold yourself." },
      missing: beyond,
    });
  }
}

/** Serialised on the name, so two creates (or a rename and a create) of one name cannot both pass. */
export async function requireUniqueName(ctx: Pick<DomainContext, "clock">, tx: Repositories, workspaceId: string, name: string): Promise<void> {
  await tx.apiKeys.lockName(workspaceId, name);
  if (await tx.apiKeys.nameInUse(workspaceId, name, ctx.clock.now())) {
    throw new DomainError("conflict", `A key named "${name}" already exists.`, { fields: { name: "Choose a name no other live key has." } });
  }
}

/** The expiry a create asks for, or the refusal (past, too far ahead): checked before anything is written. */
export function expiryOfCreate(input: z.output<typeof createKeyInputSchema>, now: Date): Date {
  const expiresAt = checkExpiryHorizon(
    input.expiresOn ? expiryFromDay(input.expiresOn, input.timeZone!, now) : input.expiresAt!,
    now,
    input.expiresOn ? "expiresOn" : "expiresAt",
  );
  if (expiresAt.getTime() <= now.getTime()) {
    throw new DomainError("expiry_in_past", "The expiry is already past.", { fields: { expiresAt: "Choose a later time." } });
  }
  return expiresAt;
}

/** The request an approval turns into a key: what was asked for, by whom. */
export type ApprovedRequest = Pick<KeyRequest, "id" | "workspaceId" | "name" | "description" | "kind" | "expiresAt" | "expiryTimeZone" | "requestedBy">;

/**
 * An approved request's key, inside the approval's transaction (src/domain/key-request-service.ts),
 * so that the decision and the key commit together or not at all. The key is the requester's
 * (createdBy), pending until its secret reached them (rule 4); the approver must hold every
 * permission of its role (rule 2). The secret was minted (and its hash remembered) before the transaction.
 */
export async function createApprovedKey(
  s: KeyChangeSupport,
  tx: Repositories,
  approver: Actor,
  request: ApprovedRequest,
  role: Role,
  minted: { secret: string; hash: string },
): Promise<ApiKey> {
  const { ctx } = s;
  const now = ctx.clock.now();
  requireHeld(approver, role);
  await requireUniqueName(ctx, tx, request.workspaceId, request.name);
  if (request.expiresAt.getTime() <= now.getTime()) {
    throw new DomainError("expiry_in_past", "The expiry asked for has passed meanwhile; deny the request and ask for a new one.");
  }
  const expiry = { expiresAt: request.expiresAt, timeZone: request.expiryTimeZone };
  // The policy as it is at the approval (rule 14): the request is its four eyes, every other limit
  // holds. Lifetime counts from now, when the key comes to be.
  const candidate = {
    kind: request.kind,
    description: request.description,
    expiresAt: request.expiresAt,
    expiryTimeZone: expiry.timeZone,
    now,
    expiryField: expiry.timeZone ? ("expiresOn" as const) : ("expiresAt" as const),
  };
  const reminderDays = await checkPolicyOf(ctx, tx, request.workspaceId, role, candidate, true);
  const fields = { workspaceId: request.workspaceId, name: request.name, description: request.description, kind: request.kind, roleId: role.id };
  const rowCtx = { ...ctx, reminderDays };
  const key = await tx.apiKeys.create(newKeyRow(rowCtx, minted, { ...fields, createdBy: request.requestedBy }, expiry, now, true));
  const details = {
    role: role.name,
    kind: key.kind,
    expiresAt: request.expiresAt.toISOString(),
    requestedBy: request.requestedBy,
    approvedBy: approver.userId,
    requestId: request.id,
  };
  await recordAudit(ctx, tx, approver, "api_key.create", { type: "api_key", id: key.id, name: key.name }, details);
  await tx.apiKeys.announceChange(key.id);
  return key;
}
