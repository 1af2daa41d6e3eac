import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.ts";
import type { DigestPassReport } from "../../src/domain/digest-service.ts";
import type { ReminderService } from "../../src/domain/reminder-service.ts";
import { digestPass, PeriodicPass, ReminderScheduler } from "../../src/reminders/reminder-scheduler.ts";

/** The key-request pass's timer: one pass at a time, however slow; stop() waits for it. */
describe("PeriodicPass", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function slowPass() {
    let finish: () => void = () => undefined;
    const pass = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    return { pass, finish: () => finish() };
  }

  it("never starts a pass while one is running, whatever the ticks", async () => {
    vi.useFakeTimers();
    const { pass, finish } = slowPass();
    const passes = new PeriodicPass("test pass", pass, 1_000, createLogger("silent"));
    passes.start(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pass).toHaveBeenCalledTimes(1);
    // Ten intervals go by while the first pass hangs on a slow Slack: no second pass.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pass).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pass).toHaveBeenCalledTimes(2);
    finish();
    await passes.stop();
  });

  it("stop() waits for the pass running, and no tick starts another", async () => {
    vi.useFakeTimers();
    const { pass, finish } = slowPass();
    const passes = new PeriodicPass("test pass", pass, 1_000, createLogger("silent"));
    passes.start(0);
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = passes.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
    expect(pass).toHaveBeenCalledTimes(1);
  });

  it("a failed pass is logged, and the next one runs", async () => {
    const pass = vi.fn().mockRejectedValueOnce(new Error("slack down")).mockResolvedValue(0);
    const passes = new PeriodicPass("test pass", pass, 1_000, createLogger("silent"));
    await passes.runOnce();
    await passes.runOnce();
    expect(pass).toHaveBeenCalledTimes(2);
  });
});

/** The weekly digests' pass: beside the reminder pass, never in its way; stopped at its next digest. */
describe("digestPass", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const emptyDigestReport = { claimed: 0, sent: 0, retryLater: 0, undeliverable: 0, obsolete: 0, takenOver: 0, failed: 0, deferred: 0 };

  it("reminder passes keep their interval while a digest pass takes long (Slack at 4 s a digest × 1000 workspaces)", async () => {
    vi.useFakeTimers();
    let reminderPasses = 0;
    const reminders = {
      async runPass() {
        reminderPasses++;
        return { claimed: 0 };
      },
    } as unknown as ReminderService;
    const digests = { runPass: () => new Promise<DigestPassReport>((r) => setTimeout(() => r(emptyDigestReport), 4_000_000)) };
    const scheduler = new ReminderScheduler(reminders, 300_000, createLogger("silent"));
    const digestPasses = digestPass(digests, 300_000, createLogger("silent"));
    scheduler.start(0);
    digestPasses.start(0);
    await vi.advanceTimersByTimeAsync(30 * 60_000); // half an hour: six reminder intervals
    expect(reminderPasses).toBeGreaterThanOrEqual(6);
    const stopping = Promise.all([scheduler.stop(), digestPasses.stop()]);
    await vi.advanceTimersByTimeAsync(4_000_000);
    await stopping;
  });

  it("hands the pass a time budget, and stop() aborts the running pass's signal instead of waiting for all of it", async () => {
    const seen: Array<{ budgetMs?: number; signal?: AbortSignal }> = [];
    const digests = {
      runPass: (options: { budgetMs?: number; signal?: AbortSignal } = {}) =>
        new Promise<DigestPassReport>((resolve) => {
          seen.push(options);
          options.signal?.addEventListener("abort", () => resolve(emptyDigestReport));
        }),
    };
    const digestPasses = digestPass(digests, 60_000, createLogger("silent"));
    void digestPasses.runOnce();
    expect(seen[0]?.budgetMs).toBe(60_000);
    expect(seen[0]?.signal?.aborted).toBe(false);
    await digestPasses.stop();
    expect(seen[0]?.signal?.aborted).toBe(true);
  });
});
