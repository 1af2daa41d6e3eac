/**
 * Wraps an async task so that a call made while one is running waits for it, then runs: a flush
 * at shutdown must not close the database under the timer's flush still in flight, nor two slow
 * flushes pile up. A failure is the caller's; the next call runs all the same.
 */
export function oneAtATime<T>(task: () => Promise<T>): () => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return () => {
    const run = last.then(task);
    last = run.catch(() => undefined);
    return run;
  };
}
