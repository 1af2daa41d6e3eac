// Waiting for events, not for time: a wait is checked again each time what it depends on changes
// (a call recorded, a response posted, a request finished), so it ends the moment its condition
// holds; the only timer is the deadline, after which it fails saying what it saw instead.

/** A position in a recording: what is recorded from now on is "since" it. */
export type Mark = number;

export interface WaitOptions {
  /** Only what was recorded at or after this mark counts (default: everything, also what came before the wait). */
  since?: Mark;
  /** Default 10 s. */
  timeoutMs?: number;
}

export const defaultTimeoutMs = 10_000;

/** Something that changes; waits on it re-check their condition on each change. */
export class Changes {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const check of [...this.waiters]) check();
  }

  /**
   * Resolves with `probe()`'s first answer other than undefined, asking at once and after each change;
   * rejects after `timeoutMs` with the message `failure()` gives then (what was seen meanwhile).
   */
  until<R>(probe: () => R | undefined, timeoutMs: number, failure: () => string): Promise<R> {
    // Made here, so a timeout's stack names the test's line, not a timer's.
    const timedOut = new Error("timed out");
    return new Promise<R>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const check = () => {
        try {
          const value = probe();
          if (value === undefined) return;
          finish();
          resolve(value);
        } catch (error) {
          finish();
          reject(error);
        }
      };
      const timer = setTimeout(() => {
        finish();
        timedOut.message = failure();
        reject(timedOut);
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** An append-only record (calls, posts, log lines) with marks and event-driven waits on it. */
export class Recorder<T> {
  readonly items: T[] = [];
  private readonly changes = new Changes();

  /**
   * @param source who records, for failure messages ("fake Slack", "slack driver")
   * @param describe one item in a failure message
   */
  constructor(
    private readonly source: string,
    private readonly describe: (item: T) => string,
  ) {}

  record(item: T): void {
    this.items.push(item);
    this.changes.notify();
  }

  mark(): Mark {
    return this.items.length;
  }

  since(mark: Mark = 0): T[] {
    return this.items.slice(mark);
  }

  /** The first item since the mark that matches, once it is recorded. */
  first(what: string, match: (item: T) => boolean, options: WaitOptions = {}): Promise<T> {
    return this.until(what, () => this.since(options.since).find(match), options);
  }

  /** Every item since the mark that matches, once there are at least `count`. */
  count(what: string, match: (item: T) => boolean, count: number, options: WaitOptions = {}): Promise<T[]> {
    return this.until(
      `${count} × ${what}`,
      () => {
        const found = this.since(options.since).filter(match);
        return found.length >= count ? found : undefined;
      },
      options,
    );
  }

  /** `probe()`'s first defined answer, asked again after each item recorded. */
  until<R>(what: string, probe: () => R | undefined, options: WaitOptions = {}): Promise<R> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return this.changes.until(probe, timeoutMs, () => this.failure(what, timeoutMs, options.since ?? 0));
  }

  private failure(what: string, timeoutMs: number, since: Mark): string {
    const seen = this.since(since).map((item) => `  - ${this.describe(item)}`);
    const shown = seen.length > 40 ? [`  … ${seen.length - 40} earlier`, ...seen.slice(-40)] : seen;
    return [
      `${this.source}: no ${what} within ${timeoutMs} ms; seen${since > 0 ? " since the mark" : ""}: ${seen.length === 0 ? "nothing" : ""}`,
      ...shown,
    ].join("\n");
  }
}

/** A promise a test resolves itself (a gate to hold a fake call, or a point reached), with its resolver. */
export function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
