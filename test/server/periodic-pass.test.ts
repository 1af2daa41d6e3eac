import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { PeriodicPass } from "../../src/reminders/reminder-scheduler.ts";

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
