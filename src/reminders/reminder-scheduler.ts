import type { DigestPassReport, DigestService } from "../domain/digest-service.ts";
import type { ReminderService } from "../domain/reminder-service.ts";
import type { Logger } from "../logger.ts";

/**
 * Runs a reminder pass every interval, never two at once in this process; stop() waits for the one
 * running. The weekly digests have a pass of their own (digestPass), so a slow one never holds
 * reminders up.
 */
export class ReminderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly reminders: ReminderService,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(firstDelayMs = 5_000): void {
    const tick = () => {
      // runOnce logs its own failures; the next tick is scheduled whatever the outcome.
      void this.runOnce();
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, firstDelayMs);
    this.timer.unref();
  }

  runOnce(): Promise<void> {
    this.running ??= this.reminders
      .runPass()
      .then((report) => {
        if (report.claimed > 0) this.logger.info({ report }, "reminder pass");
      })
      .catch((error: unknown) => this.logger.error({ err: error }, "reminder pass failed; the next pass retries"))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Any other periodic pass (the key-request pass, the digests'): like the reminder pass, every
 * interval, never two at once in this process (a slow pass is not overtaken by the next tick), and
 * stop() waits for the one running, after aborting the signal it was handed (a pass may end early on it).
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly name: string,
    private readonly pass: (signal: AbortSignal) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(firstDelayMs = this.intervalMs): void {
    const tick = () => {
      void this.runOnce();
      if (this.stopped) return;
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, firstDelayMs);
    this.timer.unref();
  }

  /** Runs the pass, or joins the one already running. */
  runOnce(): Promise<void> {
    this.running ??= this.pass(this.stopping.signal)
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error }, `${this.name} failed; the next one retries`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * The weekly digests' pass, beside the reminder pass on the same interval: each pass stops posting
 * after `budgetMs` (the rest wait for the next one), and stop() ends the running one at its next
 * digest instead of waiting for a whole pass over every workspace.
 */
export function digestPass(digests: Pick<DigestService, "runPass">, intervalMs: number, logger: Logger, budgetMs = intervalMs): PeriodicPass {
  return new PeriodicPass(
    "digest pass",
    async (signal) => {
      const report: DigestPassReport = await digests.runPass({ signal, budgetMs });
      if (report.claimed > 0 || report.failed > 0 || report.deferred > 0) logger.info({ report }, "digest pass");
    },
    intervalMs,
    logger,
  );
}
