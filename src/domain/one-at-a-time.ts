/**
 * Wraps an async task so that a call made while one is running waits for it, then runs: a flush
 * at shutdown must not close the database under the timer's flush still in flight, nor two slow
 * flushes pile up. A failure is the caller's; the next call runs all the same. The wait is bounded
 * (`maxWaitMs`): a call that hangs (a dead connection, no statement timeout) must not hold every
 * later flush, and the shutdown's, behind it for good; past the bound the next call runs beside it.
 */
export function oneAtATime<T>(task: () => Promise<T>, maxWaitMs = 5_000): () => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return () => {
    const run = waitAtMost(last, maxWaitMs).then(task);
    last = run.catch(() => undefined);
    return run;
  };
}

function waitAtMost(previous: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    void previous.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
