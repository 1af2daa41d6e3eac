// The workspace policy (issue 14): read by anyone who may see keys, changed by holders of
// policy.edit (Admin only), every change audited; applying a new maximum lifetime to the keys
// that predate it is an explicit, separate, audited step.
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, DomainError, isDomainError } from "./errors.ts";
import { effectiveReminderDays, outOfPolicy, shortenedExpiry, type WorkspacePolicy } from "./policy-rules.ts";
import { nextReminderAt } from "./reminder-schedule.ts";
import type { PolicySettings, Repositories } from "./repositories.ts";
import { resolveRole } from "./role-service.ts";
import { type UpdatePolicyInput, updatePolicyInputSchema } from "./schemas.ts";
import type { Actor, ApiKey, KeyKind } from "./types.ts";
import { parseInput } from "./validation.ts";

type PolicyContext = Pick<DomainContext, "store" | "clock" | "random" | "reminderDays">;

/** What applying the maximum did (or would do): keys shortened, and how many of them stop at once. */
export interface ShortenCount {
  shortened: number;
  stoppedNow: number;
}

export interface PolicyUpdate {
  policy: WorkspacePolicy;
  /** The kinds whose maximum became stricter (lower, or set where there was none). */
  stricterKinds: KeyKind[];
  /** Keys beyond the new maximum: shortened when asked, else what applying it would do. */
  beyondMaximum: ShortenCount;
  applied: boolean;
}

const pageSize = 200;
const kinds: KeyKind[] = ["service", "personal"];

function settingsOf(p: WorkspacePolicy): PolicySettings {
  return {
    maxLifetimeDays: { ...p.maxLifetimeDays },
    requireDescription: p.requireDescription,
    personalMaxRoleId: p.personalMaxRole?.id ?? null,
    approvalRoleIds: p.approvalRoles.map((r) => r.id),
    reminderDays: p.reminderDays,
  };
}

const stricter = (from: number | null, to: number | null): boolean => to !== null && (from === null || to < from);
const sameDays = (a: number[] | null, b: number[] | null): boolean => JSON.stringify(a) === JSON.stringify(b);

export class PolicyService {
  constructor(
    private readonly ctx: PolicyContext,
    /** Drops shortened keys from this instance's verify cache (KeyService.evictKeys); others hear announceChange. */
    private readonly evictKeys: (ids: readonly string[]) => void = () => undefined,
  ) {}

  /** Anyone who may see keys may see the limits they are made under. */
  async get(actor: Actor): Promise<WorkspacePolicy> {
    if (!actor.permissions.has("api_keys.view") && !actor.permissions.has("policy.edit")) throw denied("view the workspace policy");
    return this.ctx.store.policies.find(actor.workspaceId);
  }

  /** `/keys policy` read-only: anyone of the workspace may read the limits their keys (and requests) are held to. */
  async forReading(actor: Actor): Promise<WorkspacePolicy> {
    if (actor.outsider) throw new DomainError("permission_denied", "Only members of this workspace can read its policy.");
    return this.ctx.store.policies.find(actor.workspaceId);
  }

  /** The policy for its form (`/keys policy`): only holders of policy.edit open it. */
  async forEdit(actor: Actor): Promise<WorkspacePolicy> {
    this.requireEdit(actor);
    return this.ctx.store.policies.find(actor.workspaceId);
  }

  /** The limits a create or roll form states: whoever may make a key here is told them. */
  limitsFor(actor: Pick<Actor, "workspaceId">): Promise<WorkspacePolicy> {
    return this.ctx.store.policies.find(actor.workspaceId);
  }

  /** The configured thresholds (REMINDER_DAYS), for the form's hint. */
  get defaultReminderDays(): readonly number[] {
    return this.ctx.reminderDays;
  }

  /** Why each of these keys is out of the current policy (keys made before it); ids within policy are left out. */
  async outOfPolicy(actor: Actor, keys: readonly ApiKey[]): Promise<Map<string, string[]>> {
    const policy = await this.ctx.store.policies.find(actor.workspaceId);
    const marks = new Map<string, string[]>();
    if (isEmpty(policy)) return marks;
    const roles = new Map((await this.ctx.store.roles.list(actor.workspaceId)).map((r) => [r.id, r.permissions]));
    for (const key of keys) {
      const reasons = outOfPolicy(policy, { ...key, rolePermissions: roles.get(key.roleId) });
      if (reasons.length > 0) marks.set(key.id, reasons);
    }
    return marks;
  }

  /**
   * `unchangedSince`: the policy's updatedAt the caller based this change on (a form that shows,
   * and submits, the whole policy); a change committed since then is not overwritten: conflict.
   */
  async update(actor: Actor, rawInput: UpdatePolicyInput, options: { unchangedSince?: Date | null } = {}): Promise<PolicyUpdate> {
    this.requireEdit(actor);
    const input = parseInput(updatePolicyInputSchema, rawInput);
    const now = this.ctx.clock.now();
    const { result, shortenedIds } = await this.ctx.store.transaction(async (tx) => {
      const before = await tx.policies.lockForEdit(actor.workspaceId);
      if (options.unchangedSince !== undefined && (before.updatedAt?.getTime() ?? null) !== (options.unchangedSince?.getTime() ?? null)) {
        throw new DomainError(
          "conflict",
          "The workspace policy was changed since this form was opened, so nothing was saved (it would have undone that change). Open `/keys policy` again to see the policy as it is now.",
          { policyChanged: true },
        );
      }
      const next = settingsOf(before);
      if (input.maxLifetimeDays?.service !== undefined) next.maxLifetimeDays.service = input.maxLifetimeDays.service;
      if (input.maxLifetimeDays?.personal !== undefined) next.maxLifetimeDays.personal = input.maxLifetimeDays.personal;
      if (input.requireDescription !== undefined) next.requireDescription = input.requireDescription;
      if (input.personalMaxRole !== undefined) {
        next.personalMaxRoleId = input.personalMaxRole === null ? null : (await this.roleField(tx, actor, input.personalMaxRole, "personalMaxRole")).id;
      }
      if (input.approvalRoles !== undefined) {
        const ids: string[] = [];
        for (const ref of input.approvalRoles) ids.push((await this.roleField(tx, actor, ref, "approvalRoles")).id);
        next.approvalRoleIds = [...new Set(ids)];
      }
      if (input.reminderDays !== undefined) next.reminderDays = input.reminderDays === null ? null : [...new Set(input.reminderDays)].sort((a, b) => b - a);
      const diff = diffOf(settingsOf(before), next);
      // A save that changes nothing writes nothing (and audits nothing).
      if (Object.keys(diff).length > 0) {
        await tx.policies.save(actor.workspaceId, next, actor.userId, now);
        await recordAudit(this.ctx, tx, actor, "policy.update", { type: "policy", id: actor.workspaceId }, diff);
      }
      const policy = await tx.policies.find(actor.workspaceId);
      if (!sameDays(before.reminderDays, next.reminderDays)) await tx.policies.replanReminders(actor.workspaceId, now);
      const stricterKinds = kinds.filter((k) => stricter(before.maxLifetimeDays[k], next.maxLifetimeDays[k]));
      const applied = input.applyMaxLifetimeToExisting === true;
      const beyond = applied ? await this.shorten(tx, actor, policy, now) : null;
      return {
        result: { policy, stricterKinds, beyondMaximum: { shortened: beyond?.shortened ?? 0, stoppedNow: beyond?.stoppedNow ?? 0 }, applied },
        shortenedIds: beyond?.ids ?? [],
      };
    });
    this.evictKeys(shortenedIds);
    // Counted after the commit, not under the policy's lock: a walk over every key must not hold up creates.
    if (!result.applied) result.beyondMaximum = await this.countBeyond(this.ctx.store, actor.workspaceId, result.policy, now);
    return result;
  }

  /** What applying the current maximum to existing keys would do (the confirm dialog's numbers). */
  async previewMaxLifetime(actor: Actor): Promise<ShortenCount> {
    this.requireEdit(actor);
    const policy = await this.ctx.store.policies.find(actor.workspaceId);
    return this.countBeyond(this.ctx.store, actor.workspaceId, policy, this.ctx.clock.now());
  }

  /** Shortens every live key that outlives the current maximum (creation + maximum), audited with counts. */
  async applyMaxLifetime(actor: Actor): Promise<ShortenCount> {
    this.requireEdit(actor);
    const now = this.ctx.clock.now();
    const done = await this.ctx.store.transaction(async (tx) => this.shorten(tx, actor, await tx.policies.lockForEdit(actor.workspaceId), now));
    this.evictKeys(done.ids);
    return { shortened: done.shortened, stoppedNow: done.stoppedNow };
  }

  /**
   * Pages the keys a maximum applies to by id (never by offset: rows change under the walk), one
   * batch at a time: every key not deleted, pending ones too (one made under the old policy may
   * still be on its way to its creator); expired ones are never shortened (their expiry is past).
   */
  private async *liveKeys(tx: Repositories, workspaceId: string): AsyncGenerator<ApiKey> {
    let after: string | undefined;
    for (;;) {
      const rows = await tx.apiKeys.listUndeleted(workspaceId, { after, limit: pageSize });
      yield* rows;
      if (rows.length < pageSize) return;
      after = rows.at(-1)!.id;
    }
  }

  private async countBeyond(tx: Repositories, workspaceId: string, policy: WorkspacePolicy, now: Date): Promise<ShortenCount> {
    const count = { shortened: 0, stoppedNow: 0 };
    if (policy.maxLifetimeDays.service === null && policy.maxLifetimeDays.personal === null) return count;
    for await (const key of this.liveKeys(tx, workspaceId)) {
      // An expired key has nothing left to shorten.
      const to = key.expiresAt.getTime() > now.getTime() ? shortenedExpiry(key, policy) : null;
      if (!to) continue;
      count.shortened++;
      if (to.getTime() <= now.getTime()) count.stoppedNow++;
    }
    return count;
  }

  private async shorten(tx: Repositories, actor: Actor, policy: WorkspacePolicy, now: Date): Promise<ShortenCount & { ids: string[] }> {
    const out = { shortened: 0, stoppedNow: 0, ids: [] as string[] };
    if (policy.maxLifetimeDays.service === null && policy.maxLifetimeDays.personal === null) return out;
    const days = effectiveReminderDays(policy, this.ctx.reminderDays);
    for await (const key of this.liveKeys(tx, actor.workspaceId)) {
      // An expired key has nothing left to shorten.
      const to = key.expiresAt.getTime() > now.getTime() ? shortenedExpiry(key, policy) : null;
      if (!to) continue;
      const next = nextReminderAt({ expiresAt: to, timeZone: key.expiryTimeZone }, now, days);
      if (!(await tx.apiKeys.shortenExpiry(actor.workspaceId, key.id, to, next))) continue;
      await tx.apiKeys.announceChange(key.id);
      out.shortened++;
      if (to.getTime() <= now.getTime()) out.stoppedNow++;
      out.ids.push(key.id);
    }
    const maxLifetimeDays = policy.maxLifetimeDays;
    // One event with the counts, and the first ids (a workspace may have thousands of keys).
    await recordAudit(
      this.ctx,
      tx,
      actor,
      "policy.apply_max_lifetime",
      { type: "policy", id: actor.workspaceId },
      {
        maxLifetimeDays,
        shortened: out.shortened,
        stoppedNow: out.stoppedNow,
        keyIds: out.ids.slice(0, 50),
      },
    );
    return out;
  }

  private async roleField(tx: Repositories, actor: Actor, ref: string, field: string) {
    try {
      return await resolveRole(tx, actor.workspaceId, ref);
    } catch (error) {
      // The same refusal, keyed by the policy's own field.
      if (isDomainError(error) && error.code === "role_not_found") {
        throw new DomainError("role_not_found", error.message, { fields: { [field]: "Choose one of the workspace's roles." } });
      }
      throw error;
    }
  }

  private requireEdit(actor: Actor): void {
    if (!actor.permissions.has("policy.edit")) throw denied("change the workspace policy (Admins only)");
  }
}

function isEmpty(p: WorkspacePolicy): boolean {
  return p.maxLifetimeDays.service === null && p.maxLifetimeDays.personal === null && !p.requireDescription && p.personalMaxRole === null;
}

/** What changed, field by field, for the audit event (roles by id). */
function diffOf(before: PolicySettings, after: PolicySettings): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  const flat = (s: PolicySettings) => ({
    maxLifetimeServiceDays: s.maxLifetimeDays.service,
    maxLifetimePersonalDays: s.maxLifetimeDays.personal,
    requireDescription: s.requireDescription,
    personalMaxRoleId: s.personalMaxRoleId,
    approvalRoleIds: s.approvalRoleIds,
    reminderDays: s.reminderDays,
  });
  const a = flat(before);
  const b = flat(after);
  for (const k of Object.keys(a) as Array<keyof typeof a>) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) diff[k] = { from: a[k], to: b[k] };
  }
  return diff;
}
