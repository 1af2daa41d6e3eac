import { randomUUID } from "node:crypto";
import { ChannelPacer } from "./channel-pacer.ts";
import type { DomainContext } from "./context.ts";
import type { ReminderMessageChange } from "./reminder-messages.ts";
import { noTelemetry } from "./telemetry.ts";
import { daysLeft, mostUrgentDue, nextReminderAt } from "./reminder-schedule.ts";
import type { ReminderClaim, ReminderNotifier, ReminderOutcome, ReminderSubject, ReminderSubjectNow, ReminderSubjectType } from "./reminder-types.ts";
import type { Store } from "./repositories.ts";

/**
 * What a pass takes from the context: the ledger, the notifier (Slack), time, the thresholds and
 * the claim lease; the reminder messages port (retried each pass) and telemetry (told each report) if any.
 */
type ReminderContext = Pick<DomainContext, "clock" | "reminderDays" | "reminderLeaseMs" | "reminderMessages" | "telemetry"> & {
  /** `policies`: the workspaces' own thresholds (absent: REMINDER_DAYS everywhere). */
  store: Pick<Store, "reminders"> & Partial<Pick<Store, "policies">>;
  reminderNotifier: ReminderNotifier;
  /** Spaces posts per channel (default: 1 s, real time); tests give one on a fake clock. */
  reminderPacer?: ChannelPacer;
};

/** How many channels a pass posts to at once: each is paced on its own, so one busy channel holds up no other. */
const channelsAtOnce = 4;

/**
 * How long a claim is its claimant's alone: longer than one delivery can take (all its Slack calls
 * at their timeout), so a live claim is never taken over; measured on the database's clock (config enforces the floor).
 */
const defaultClaimLeaseMs = 2 * 60_000;

/** The claim's snapshot no longer says what the subject is: deleted, or rotated (another secret or expiry). */
const staleFor = (claim: ReminderClaim, now: ReminderSubjectNow | null): boolean =>
  !now || now.last4 !== claim.subject.last4 || now.expiresAt?.getTime() !== claim.subject.expiresAt.getTime();

/** A withdraw Slack refused for a passing reason, as the ledger keeps a change's update for a later pass. */
export function supersededChange(claim: ReminderClaim, now: ReminderSubjectNow | null, at: Date): ReminderMessageChange {
  const s = claim.subject;
  return {
    what: "superseded",
    now,
    workspaceId: s.workspaceId,
    subjectType: s.type,
    subjectId: s.id,
    subject: {
      integration: s.integration ?? "",
      alias: s.alias ?? "",
      last4: s.last4,
      isDefault: s.isDefault ?? false,
      expiresAt: s.expiresAt,
      expiryTimeZone: s.expiryTimeZone,
      createdBy: s.ownerId,
      rotatedBy: s.rotatedBy ?? null,
    },
    at,
    // No one's change: the pass's own settling (the view shows no actor for it).
    by: { userId: s.ownerId, source: "scheduler" },
  };
}

export interface PassReport {
  claimed: number;
  /** Claims another pass took over before this one could post them. */
  takenOver: number;
  sent: number;
  retryLater: number;
  undeliverable: number;
  obsolete: number;
  ms: number;
}

/**
 * One reminder pass (SPEC rule 10): retries of earlier passes first, then every due row, paged
 * by id. A threshold is claimed in the database before Slack is called; a Slack failure leaves
 * the claim to be retried on a later pass; after downtime only the most urgent due threshold of a
 * subject is claimed. A threshold Slack keeps refusing is given up a day (`giveUpAfterMs`) after
 * its first failure (on the database's clock), however short the interval between passes. A retry
 * that a more urgent threshold overtook (Slack was down past it) is not posted: the due phase posts
 * that one instead, so after an outage only the most urgent is posted, and each threshold at most once.
 */
export class ReminderService {
  private readonly instance = randomUUID();
  /** Lives as long as the service: a channel's pace carries over from one pass to the next. */
  private readonly pacer: ChannelPacer;

  constructor(
    private readonly ctx: ReminderContext,
    private readonly batchSize = 200,
    /** How long after its first failure a threshold is still retried: a Slack outage of hours loses nothing. */
    private readonly giveUpAfterMs = 24 * 3600_000,
  ) {
    this.pacer = ctx.reminderPacer ?? new ChannelPacer();
  }

  private get repo() {
    return this.ctx.store.reminders;
  }

  /** Workspaces whose policy sets their own thresholds: read once at the start of each pass (one query). */
  private overrides = new Map<string, number[]>();

  plan(subject: ReminderSubject, now: Date) {
    const expiry = { expiresAt: subject.expiresAt, timeZone: subject.expiryTimeZone };
    const days = this.overrides.get(subject.workspaceId) ?? this.ctx.reminderDays;
    const threshold = mostUrgentDue(expiry, now, days);
    return { threshold, next: nextReminderAt(expiry, now, days, threshold ?? undefined) };
  }

  async runPass(): Promise<PassReport> {
    try {
      const report = await this.pass();
      (this.ctx.telemetry ?? noTelemetry).reminderPass(report);
      return report;
    } catch (error) {
      (this.ctx.telemetry ?? noTelemetry).reminderPassFailed();
      throw error;
    }
  }

  private async pass(): Promise<PassReport> {
    if (this.ctx.store.policies) this.overrides = await this.ctx.store.policies.reminderDaysOverrides();
    const passStart = this.ctx.clock.now();
    // Retries that failed before this moment are tried again; it is the database's time, as the ledger's are.
    const retriesBefore = await this.repo.databaseNow();
    const started = performance.now();
    const report: PassReport = { claimed: 0, takenOver: 0, sent: 0, retryLater: 0, undeliverable: 0, obsolete: 0, ms: 0 };
    for (;;) {
      const retries = await this.repo.claimRetries({
        passStart: retriesBefore,
        leaseMs: this.ctx.reminderLeaseMs ?? defaultClaimLeaseMs,
        limit: this.batchSize,
        instance: this.instance,
        // Judged at the due phase's time, so what a retry gives way to is what that phase claims.
        mostUrgentDue: (s) => this.plan(s, passStart).threshold,
      });
      if (retries.length === 0) break;
      const live: ReminderClaim[] = [];
      for (const claim of retries) {
        if ("obsolete" in claim) {
          await this.repo.finish(claim.deliveryId, { status: "obsolete", error: claim.obsolete }, this.ctx.clock.now());
          report.obsolete++;
        } else {
          live.push(claim);
        }
      }
      await this.deliverAll(live, report);
    }
    for (const type of ["integration", "api_key"] as ReminderSubjectType[]) {
      let after: string | undefined;
      for (;;) {
        const batch = await this.repo.claimDue({
          type,
          now: passStart,
          after,
          limit: this.batchSize,
          instance: this.instance,
          plan: (s) => this.plan(s, passStart),
        });
        await this.deliverAll(batch.claims, report);
        if (!batch.lastId) break;
        after = batch.lastId;
      }
    }
    // Best effort (it never rejects): reminder messages whose update after a change Slack refused
    // for a passing reason are tried again; one still stale after this waits for the next pass.
    await this.ctx.reminderMessages?.retryDeferred?.();
    report.ms = Math.round(performance.now() - started);
    return report;
  }

  /**
   * A batch's claims: integration reminders due in one channel of one workspace go out together,
   * as few messages as fit (the notifier's deliverMany), each channel paced on its own, a few
   * channels at once; every other claim (API keys' DMs, configurations without a channel) alone.
   */
  private async deliverAll(claims: ReminderClaim[], report: PassReport): Promise<void> {
    const notifier = this.ctx.reminderNotifier;
    const byChannel = new Map<string, ReminderClaim[]>();
    const alone: ReminderClaim[] = [];
    for (const claim of claims) {
      const s = claim.subject;
      if (!notifier.deliverMany || s.type !== "integration" || !s.channel) {
        alone.push(claim);
        continue;
      }
      // Channel ids are unique within a workspace only: two workspaces' channels never share a message or a pace.
      const key = `${s.workspaceId}/${s.channel}`;
      byChannel.set(key, [...(byChannel.get(key) ?? []), claim]);
    }
    const queue = [...byChannel];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await this.deliverChannel(next[0], next[1], report);
    };
    // The DMs (and channel-less claims) are one more worker beside the channels', so a batch of them does not hold the channels' posts up.
    const dms = async () => {
      for (const claim of alone) await this.deliver(claim, report);
    };
    await Promise.all([dms(), ...Array.from({ length: Math.min(channelsAtOnce, queue.length) }, worker)]);
  }

  /** One channel's claims, a message's worth at a time; after a 429 the rest waits for a later pass. */
  private async deliverChannel(key: string, claims: ReminderClaim[], report: PassReport): Promise<void> {
    const notifier = this.ctx.reminderNotifier;
    const size = Math.max(1, notifier.maxPerMessage ?? 1);
    // How many fit one message is a matter of size (Slack's undocumented total), which the notifier measures.
    const withDays = claims.map((c) => this.withDaysLeft(c));
    const chunks = notifier.groups
      ? notifier.groups(withDays)
      : Array.from({ length: Math.ceil(claims.length / size) }, (_, i) => withDays.slice(i * size, (i + 1) * size));
    for (const [i, chunk] of chunks.entries()) {
      if (await this.deliverChunk(key, chunk, report)) continue;
      const rest = chunks.slice(i + 1).flat();
      report.claimed += rest.length;
      report.retryLater += rest.length;
      await this.repo.release(
        rest.map((c) => c.deliveryId),
        this.instance,
        "Slack rate-limited the channel: left for the next pass",
      );
      return;
    }
  }

  /**
   * One message's worth: each claim's lease is renewed and its staleness checked right before
   * the post (a claim another instance took over meanwhile is not posted here), and every outcome
   * is recorded as soon as the post returns, before anything else is posted or rewritten.
   * False when Slack rate-limited the channel.
   */
  private async deliverChunk(key: string, chunk: ReminderClaim[], report: PassReport): Promise<boolean> {
    report.claimed += chunk.length;
    let live: ReminderClaim[] = [];
    for (const claim of chunk) {
      const ours = await this.stillOurs(claim, report);
      if (ours) live.push(ours);
    }
    if (live.length === 0) return true;
    const withDays = live.map((claim) => this.withDaysLeft(claim));
    // A refused combined message becomes up to a dozen paced posts (or owner DMs), longer together
    // than a lease: each is renewed and re-checked right before it goes, or another instance could post it too.
    // Those posted already are renewed too: their outcomes are recorded only once deliverMany returns.
    const dropped = new Set<string>();
    const beforePost = async (claim: ReminderClaim) => {
      for (const other of live) if (other !== claim && !dropped.has(other.deliveryId)) await this.repo.renew(other.deliveryId, this.instance);
      if (await this.stillOurs(claim, report)) return true;
      dropped.add(claim.deliveryId);
      return false;
    };
    let outcomes: ReminderOutcome[];
    try {
      outcomes = await this.ctx.reminderNotifier.deliverMany!(withDays, (post) => this.pacer.run(key, post), beforePost);
    } catch (error) {
      const failed: ReminderOutcome = { status: "retry", error: error instanceof Error ? error.message.slice(0, 200) : "unknown" };
      outcomes = live.map(() => failed);
    }
    // Taken over or settled as obsolete (counted by stillOurs): nothing of this pass's to record.
    outcomes = outcomes.filter((_, i) => !dropped.has(live[i]!.deliveryId));
    live = live.filter((c) => !dropped.has(c.deliveryId));
    const limited = live.filter((_, i) => outcomes[i]?.status === "retry" && (outcomes[i] as { rateLimited?: boolean }).rateLimited);
    if (limited.length > 0) {
      await this.repo.release(
        limited.map((c) => c.deliveryId),
        this.instance,
        "Slack rate-limited the channel: left for the next pass",
      );
      report.retryLater += limited.length;
    }
    const judged: Array<{ claim: ReminderClaim; outcome: ReminderOutcome }> = [];
    for (const [i, claim] of live.entries()) {
      if (limited.includes(claim)) continue;
      const outcome = await this.judge(claim, outcomes[i] ?? { status: "retry", error: "the notifier gave no outcome" });
      await this.repo.finish(claim.deliveryId, outcome, this.ctx.clock.now(), this.instance);
      this.count(outcome, report);
      judged.push({ claim, outcome });
    }
    // Only once every outcome is recorded: a withdraw is a Slack call that may take its time.
    for (const { claim, outcome } of judged) {
      if (outcome.status !== "sent") continue;
      await this.settleIfChangedMeanwhile(claim, outcome);
    }
    return limited.length === 0;
  }

  /** The claim, renewed, when this instance still holds it and it still says what the subject is; else null (counted). */
  private async stillOurs(claim: ReminderClaim, report: PassReport): Promise<ReminderClaim | null> {
    if (!(await this.repo.renew(claim.deliveryId, this.instance))) {
      report.takenOver++;
      return null;
    }
    // A batch is claimed at once and posted over time: a rotation or deletion since this claim
    // found nothing to settle (the claim was not posted yet), so posting it would leave a stale reminder.
    if (staleFor(claim, await this.repo.subjectNow(claim.subject.type, claim.subject.id))) {
      await this.repo.finish(
        claim.deliveryId,
        { status: "obsolete", error: "the key or configuration was deleted or rotated after it was claimed" },
        this.ctx.clock.now(),
        this.instance,
      );
      report.obsolete++;
      return null;
    }
    return claim;
  }

  private withDaysLeft(claim: ReminderClaim): ReminderClaim {
    const expiry = { expiresAt: claim.subject.expiresAt, timeZone: claim.subject.expiryTimeZone };
    return { ...claim, daysLeft: daysLeft(expiry, this.ctx.clock.now()) };
  }

  /** A threshold Slack has refused for a passing reason since a day ago (database time) is given up. */
  private async judge(claim: ReminderClaim, outcome: ReminderOutcome): Promise<ReminderOutcome> {
    if (outcome.status !== "retry" || !claim.firstFailedAt) return outcome;
    // firstFailedAt is the database's time: so is the elapsed time, or a clock running ahead would give up early.
    const failingMs = (await this.repo.databaseNow()).getTime() - claim.firstFailedAt.getTime();
    if (failingMs < this.giveUpAfterMs) return outcome;
    return {
      status: "undeliverable",
      error: `gave up after ${Math.round(failingMs / 3600_000)} h of failures (${claim.attempts + 1} attempts): ${outcome.error}`,
    };
  }

  private count(outcome: ReminderOutcome, report: PassReport): void {
    if (outcome.status === "sent") report.sent++;
    else if (outcome.status === "retry") report.retryLater++;
    else report.undeliverable++;
  }

  private async deliver(claim: ReminderClaim, report: PassReport): Promise<void> {
    report.claimed++;
    if (!(await this.stillOurs(claim, report))) return;
    let outcome: ReminderOutcome;
    try {
      outcome = await this.ctx.reminderNotifier.deliver(this.withDaysLeft(claim));
    } catch (error) {
      outcome = { status: "retry", error: error instanceof Error ? error.message.slice(0, 200) : "unknown" };
    }
    outcome = await this.judge(claim, outcome);
    await this.repo.finish(claim.deliveryId, outcome, this.ctx.clock.now(), this.instance);
    this.count(outcome, report);
    if (outcome.status === "sent") await this.settleIfChangedMeanwhile(claim, outcome);
  }

  /**
   * A change that committed while the reminder was being posted settled nothing (the row was not
   * 'sent' yet): whoever settles the row now (this pass, or the change's own update if it came
   * later) rewrites the message, so no live stale reminder stays in the channel.
   */
  private async settleIfChangedMeanwhile(claim: ReminderClaim, posted: { channel: string; ts: string; shared?: boolean }): Promise<void> {
    if (!posted.ts) return;
    const now = await this.repo.subjectNow(claim.subject.type, claim.subject.id);
    if (!staleFor(claim, now) || !(await this.repo.settleDelivery(claim.deliveryId))) return;
    const { channel, ts, shared } = posted;
    const at = this.ctx.clock.now();
    const result = await this.ctx.reminderNotifier.withdraw?.(claim, { channel, ts, shared }, now, at).catch(() => "later" as const);
    // The row is settled already, so nothing else would rewrite it: the ledger keeps the rewrite for retryDeferred.
    if (result === "later") await this.repo.deferUpdate(claim.deliveryId, supersededChange(claim, now, at));
  }
}
