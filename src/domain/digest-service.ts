import { randomUUID } from "node:crypto";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { latestSlot, nextSlot } from "./digest-schedule.ts";
import type { DigestClaim, DigestNotifier, DigestOutcome, DigestRecord, DigestSettings, DigestView } from "./digest-types.ts";
import { DomainError, denied } from "./errors.ts";
import { digestSettingInputSchema } from "./schemas.ts";
import type { Actor } from "./types.ts";
import { parseInput } from "./validation.ts";

/** The windows the digest counts over (issue 15): expiring within 30 days, unused for 90. */
export const digestExpiringDays = 30;
export const digestUnusedDays = 90;
/** A key never used is stale once it has been around this long (a key made yesterday is not news). */
const neverUsedGraceDays = 7;
/** How many keys of each kind the digest names (with Delete): the most urgent; the counts say how many more. */
export const digestKeysPerKind = 5;
const dayMs = 86_400_000;

/** What a digest pass takes from the context; `digestNotifier` posts (absent: the pass posts nothing). */
export type DigestContext = Pick<DomainContext, "store" | "clock" | "random" | "reminderLeaseMs" | "digestNotifier">;

export interface DigestPassReport {
  claimed: number;
  sent: number;
  retryLater: number;
  undeliverable: number;
  obsolete: number;
  takenOver: number;
  /** Workspaces this pass could not plan (an unknown zone, …): left for the next pass, the others served. */
  failed: number;
  /** Claims left to the next pass because the pass was stopped (shutdown) or ran out of its time budget. */
  deferred: number;
}

export interface DigestPassOptions {
  batchSize?: number;
  /** Shutdown: no more digests are posted; claims not yet posted are left to retry (at once, by the next pass). */
  signal?: AbortSignal;
  /** Once this much time has gone, no more digests are posted in this pass (the rest wait for the next). */
  budgetMs?: number;
}

const defaultLeaseMs = 2 * 60_000;

/**
 * The weekly hygiene digest: its setting (Admins, audited) and its pass. A digest is claimed in the
 * ledger before Slack is called (one per workspace and ISO week, across restarts and instances); a
 * passing Slack failure leaves it for the next pass while its week is the latest; after downtime
 * only the latest week's is claimed, so it is posted once, late, not once per missed week.
 */
export class DigestService {
  private readonly instance = randomUUID();

  constructor(private readonly ctx: DigestContext) {}

  /** `/keys digest`: the setting now (null: no digest), and what came of the latest digest. Anyone of the workspace may ask. */
  async settings(actor: Actor): Promise<{ settings: DigestSettings | null; last: DigestRecord | null }> {
    if (actor.outsider) throw new DomainError("permission_denied", "Only members of this workspace can see its digest setting.");
    const settings = await this.ctx.store.workspaces.digestSettings(actor.workspaceId);
    return { settings, last: settings ? await this.ctx.store.digests.latest(actor.workspaceId) : null };
  }

  /** `/keys digest #channel monday 9` (or `off`: null): Admins only (policy.edit); audited. Returns when the next one is due. */
  async setSettings(actor: Actor, raw: unknown): Promise<{ settings: DigestSettings | null; nextAt: Date | null }> {
    if (!actor.permissions.has("policy.edit")) throw denied("set the weekly digest");
    const settings = parseInput(digestSettingInputSchema, raw);
    const now = this.ctx.clock.now();
    // The first digest is the next slot from now: setting it on a Wednesday for Mondays posts nothing until Monday.
    let nextAt = settings ? nextSlot(settings, now).dueAt : null;
    // Unless this week's was refused (the app not in the channel, …) and its slot has passed: setting
    // it again (after inviting the app) posts this week's at once, instead of skipping to next week.
    if (settings) {
      const last = await this.ctx.store.digests.latest(actor.workspaceId);
      if (last?.status === "undeliverable" && last.week === latestSlot(settings, now).week) nextAt = now;
    }
    await this.ctx.store.transaction(async (tx) => {
      const previous = await tx.workspaces.digestSettings(actor.workspaceId);
      await tx.workspaces.setDigestSettings(actor.workspaceId, settings, nextAt);
      const shown = (s: DigestSettings | null) => (s ? { channel: s.channel, weekday: s.weekday, hour: s.hour, timeZone: s.timeZone } : null);
      await recordAudit(
        this.ctx,
        tx,
        actor,
        "workspace.set_digest",
        { type: "workspace", id: actor.workspaceId },
        { digest: shown(settings), previous: shown(previous) },
      );
    });
    return { settings, nextAt };
  }

  /** What a digest of this workspace says now (the pass's, and tests'). */
  async view(claim: Pick<DigestClaim, "workspaceId" | "week" | "settings">): Promise<DigestView> {
    const now = this.ctx.clock.now();
    const policy = await this.ctx.store.policies.find(claim.workspaceId);
    const facts = await this.ctx.store.digests.facts(claim.workspaceId, {
      now,
      expiringBefore: new Date(now.getTime() + digestExpiringDays * dayMs),
      unusedSince: new Date(now.getTime() - digestUnusedDays * dayMs),
      neverUsedBefore: new Date(now.getTime() - neverUsedGraceDays * dayMs),
      policy,
      limit: digestKeysPerKind,
    });
    return { ...facts, week: claim.week, appId: claim.settings.appId, expiringDays: digestExpiringDays, unusedDays: digestUnusedDays };
  }

  async runPass(options: DigestPassOptions = {}): Promise<DigestPassReport> {
    const report: DigestPassReport = { claimed: 0, sent: 0, retryLater: 0, undeliverable: 0, obsolete: 0, takenOver: 0, failed: 0, deferred: 0 };
    const notifier = this.ctx.digestNotifier;
    if (!notifier) return report;
    const batchSize = options.batchSize ?? 100;
    const repo = this.ctx.store.digests;
    const now = this.ctx.clock.now();
    const passStart = await repo.databaseNow();
    const started = Date.now();
    // Wall time, not ctx.clock: a budget bounds how long this process spends, whatever the domain's time says.
    const over = () => options.signal?.aborted === true || (options.budgetMs !== undefined && Date.now() - started >= options.budgetMs);
    const deliverAll = async (claims: DigestClaim[]) => {
      for (const claim of claims) {
        if (over()) {
          await repo.finish(claim.deliveryId, { status: "retry", error: "the pass stopped before posting it" }, this.ctx.clock.now(), this.instance);
          report.deferred++;
        } else await this.deliver(notifier, claim, report);
      }
    };
    for (;;) {
      if (over()) return report;
      const retries = await repo.claimRetries({
        passStart,
        leaseMs: this.ctx.reminderLeaseMs ?? defaultLeaseMs,
        limit: batchSize,
        instance: this.instance,
        latestWeek: (s) => latestSlot(s, now).week,
      });
      if (retries.length === 0) break;
      const claims: DigestClaim[] = [];
      for (const claim of retries) {
        if ("obsolete" in claim) {
          await repo.finish(claim.deliveryId, { status: "obsolete", error: claim.obsolete }, this.ctx.clock.now());
          report.obsolete++;
        } else if ("failed" in claim) report.failed++;
        else claims.push(claim);
      }
      // Failures do not come back in this pass: claimRetries moved them past passStart.
      await deliverAll(claims);
    }
    let after: string | undefined;
    for (;;) {
      if (over()) return report;
      const batch = await repo.claimDue({
        now,
        after,
        limit: batchSize,
        instance: this.instance,
        plan: (s) => ({ latest: latestSlot(s, now), next: nextSlot(s, now) }),
      });
      report.failed += batch.failed.length;
      await deliverAll(batch.claims);
      if (!batch.lastId) break;
      after = batch.lastId;
    }
    return report;
  }

  private async deliver(notifier: DigestNotifier, claim: DigestClaim, report: DigestPassReport): Promise<void> {
    report.claimed++;
    const repo = this.ctx.store.digests;
    // Built and posted within the lease; renewed first, so a claim another instance took over is not posted twice.
    if (!(await repo.renew(claim.deliveryId, this.instance))) {
      report.takenOver++;
      return;
    }
    let outcome: DigestOutcome;
    try {
      outcome = await notifier.deliver(claim, await this.view(claim));
    } catch (error) {
      outcome = { status: "retry", error: error instanceof Error ? error.message.slice(0, 200) : "unknown" };
    }
    await repo.finish(claim.deliveryId, outcome, this.ctx.clock.now(), this.instance);
    if (outcome.status === "sent") report.sent++;
    else if (outcome.status === "retry") report.retryLater++;
    else report.undeliverable++;
  }
}
