import type { DigestService } from "../domain/digest-service.ts";
import type { ReminderService } from "../domain/reminder-service.ts";
import type { Logger } from "../logger.ts";

/**
 * Runs a reminder pass every interval, then the weekly digests' pass (`digests`), never two at once
 * in this process; stop() waits for the one running.
 */
export class ReminderScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly reminders: ReminderService,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly digests?: DigestService,
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
      .then(() => this.runDigests())
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** A failed reminder pass does not hold the digests up, nor the other way round. */
  private async runDigests(): Promise<void> {
    if (!this.digests) return;
    try {
      const report = await this.digests.runPass();
      if (report.claimed > 0) this.logger.info({ report }, "digest pass");
    } catch (error) {
      this.logger.error({ err: error }, "digest pass failed; the next pass retries");
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Any other periodic pass (the key-request pass): like the reminder pass, every interval, never two
 * at once in this process (a slow pass is not overtaken by the next tick), and stop() waits for the one running.
 */
export class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<unknown>,
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
    this.running ??= this.pass()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn({ err: error }, `${this.name} failed; the next one retries`))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
