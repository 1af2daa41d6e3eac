import { randomUUID } from "node:crypto";
import type { DomainContext } from "./context.ts";
import { noTelemetry } from "./telemetry.ts";
import { daysLeft, mostUrgentDue, nextReminderAt } from "./reminder-schedule.ts";
import type { ReminderClaim, ReminderNotifier, ReminderOutcome, ReminderSubject, ReminderSubjectNow, ReminderSubjectType } from "./reminder-types.ts";
import type { Store } from "./repositories.ts";

/**
 * What a pass takes from the context: the ledger, the notifier (Slack), time, the thresholds and
 * the claim lease; the reminder messages port (retried each pass) and telemetry (told each report) if any.
 */
type ReminderContext = Pick<DomainContext, "clock" | "reminderDays" | "reminderLeaseMs" | "reminderMessages" | "telemetry"> & {
  store: Pick<Store, "reminders">;
  reminderNotifier: ReminderNotifier;
};

/**
 * How long a claim is its claimant's alone: longer than one delivery can take (all its Slack calls
 * at their timeout), so a live claim is never taken over; measured on the database's clock (config enforces the floor).
 */
const defaultClaimLeaseMs = 2 * 60_000;

/** The claim's snapshot no longer says what the subject is: deleted, or rotated (another secret or expiry). */
const staleFor = (claim: ReminderClaim, now: ReminderSubjectNow | null): boolean =>
  !now || now.last4 !== claim.subject.last4 || now.expiresAt?.getTime() !== claim.subject.expiresAt.getTime();

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

  constructor(
    private readonly ctx: ReminderContext,
    private readonly batchSize = 200,
    /** How long after its first failure a threshold is still retried: a Slack outage of hours loses nothing. */
    private readonly giveUpAfterMs = 24 * 3600_000,
  ) {}

  private get repo() {
    return this.ctx.store.reminders;
  }

  plan(subject: ReminderSubject, now: Date) {
    const expiry = { expiresAt: subject.expiresAt, timeZone: subject.expiryTimeZone };
    const threshold = mostUrgentDue(expiry, now, this.ctx.reminderDays);
    return { threshold, next: nextReminderAt(expiry, now, this.ctx.reminderDays, threshold ?? undefined) };
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
      for (const claim of retries) {
        if ("obsolete" in claim) {
          await this.repo.finish(claim.deliveryId, { status: "obsolete", error: claim.obsolete }, this.ctx.clock.now());
          report.obsolete++;
        } else {
          await this.deliver(claim, report);
        }
      }
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
        for (const claim of batch.claims) await this.deliver(claim, report);
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

  private async deliver(claim: ReminderClaim, report: PassReport): Promise<void> {
    report.claimed++;
    if (!(await this.repo.renew(claim.deliveryId, this.instance))) {
      report.takenOver++;
      return;
    }
    // A batch is claimed at once and posted one by one: a rotation or deletion since this claim
    // found nothing to settle (the claim was not posted yet), so posting it would leave a stale reminder.
    if (staleFor(claim, await this.repo.subjectNow(claim.subject.type, claim.subject.id))) {
      await this.repo.finish(
        claim.deliveryId,
        { status: "obsolete", error: "the key or configuration was deleted or rotated after it was claimed" },
        this.ctx.clock.now(),
        this.instance,
      );
      report.obsolete++;
      return;
    }
    let outcome: ReminderOutcome;
    try {
      const expiry = { expiresAt: claim.subject.expiresAt, timeZone: claim.subject.expiryTimeZone };
      outcome = await this.ctx.reminderNotifier.deliver({ ...claim, daysLeft: daysLeft(expiry, this.ctx.clock.now()) });
    } catch (error) {
      outcome = { status: "retry", error: error instanceof Error ? error.message.slice(0, 200) : "unknown" };
    }
    if (outcome.status === "retry" && claim.firstFailedAt) {
      // firstFailedAt is the database's time: so is the elapsed time, or a clock running ahead would give up early.
      const failingMs = (await this.repo.databaseNow()).getTime() - claim.firstFailedAt.getTime();
      if (failingMs >= this.giveUpAfterMs) {
        outcome = {
          status: "undeliverable",
          error: `gave up after ${Math.round(failingMs / 3600_000)} h of failures (${claim.attempts + 1} attempts): ${outcome.error}`,
        };
      }
    }
    await this.repo.finish(claim.deliveryId, outcome, this.ctx.clock.now(), this.instance);
    if (outcome.status === "sent") await this.settleIfChangedMeanwhile(claim, outcome);
    if (outcome.status === "sent") report.sent++;
    else if (outcome.status === "retry") report.retryLater++;
    else report.undeliverable++;
  }

  /**
   * A change that committed while the reminder was being posted settled nothing (the row was not
   * 'sent' yet): whoever settles the row now (this pass, or the change's own update if it came
   * later) rewrites the message, so no live stale reminder stays in the channel.
   */
  private async settleIfChangedMeanwhile(claim: ReminderClaim, posted: { channel: string; ts: string }): Promise<void> {
    if (!posted.ts) return;
    const now = await this.repo.subjectNow(claim.subject.type, claim.subject.id);
    if (!staleFor(claim, now) || !(await this.repo.settleDelivery(claim.deliveryId))) return;
    await this.ctx.reminderNotifier.withdraw?.(claim, posted, now, this.ctx.clock.now()).catch(() => undefined);
  }
}
