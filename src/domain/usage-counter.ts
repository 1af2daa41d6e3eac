import type { KeyUsageRepository, KeyUseCount } from "./repositories.ts";
import { oneAtATime } from "./one-at-a-time.ts";
import type { Clock } from "./runtime.ts";

const dayMs = 86_400_000;

/** Rows per statement: a flush after a long database outage (many keys, many days) stays a few modest statements. */
export const usageRowsPerStatement = 1000;

/** Days kept: today (UTC) and the 89 before it. */
export const usageDaysKept = 90;

/** The UTC day of an instant, as days since 1970-01-01: what KeyUsageDay rows are keyed by. */
export function utcDay(at: Date): number {
  return Math.floor(at.getTime() / dayMs);
}

/** A day number as `YYYY-MM-DD` (UTC). */
export function dayString(day: number): string {
  return new Date(day * dayMs).toISOString().slice(0, 10);
}

interface PendingKey {
  workspaceId: string;
  /** Day number → uses not yet written. */
  days: Map<number, number>;
}

/**
 * Daily use counts without a write per request, like LastUsedTracker: each presentation that
 * authenticates (AccessService) adds one in memory (two Map look-ups, no allocation once a key has
 * been seen since the last flush), and a flush (on the last-used timer, and at shutdown) adds every
 * pending count to its row, usageRowsPerStatement rows per statement.
 * A failed flush keeps its counts for the next one; a crash loses at most what was counted since
 * the last successful flush. Beside each flush, pruneIfDue deletes, once per UTC day, the rows past 90 days.
 */
export class UsageCounter {
  private pending = new Map<string, PendingKey>();
  private prunedThrough = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly usage: Pick<KeyUsageRepository, "add" | "prune">,
    private readonly clock: Clock,
  ) {}

  count(workspaceId: string, keyId: string, at: Date, uses = 1): void {
    const day = Math.floor(at.getTime() / dayMs);
    let key = this.pending.get(keyId);
    if (key === undefined) {
      key = { workspaceId, days: new Map() };
      this.pending.set(keyId, key);
    }
    key.days.set(day, (key.days.get(day) ?? 0) + uses);
  }

  /** Keys with counts not yet written. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Writes every pending count, in one statement per usageRowsPerStatement rows; how many (key, day)
   * rows it added to. One flush at a time: a call during another waits for it (shutdown's, say).
   */
  readonly flush: () => Promise<number> = oneAtATime(() => this.write());

  private async write(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const rows: KeyUseCount[] = [];
    for (const [keyId, { workspaceId, days }] of batch) for (const [day, count] of days) rows.push({ workspaceId, keyId, day, count });
    for (let start = 0; start < rows.length; start += usageRowsPerStatement) {
      try {
        await this.usage.add(rows.slice(start, start + usageRowsPerStatement));
      } catch (error) {
        // Keep the counts not written for the next flush (added to whatever was counted meanwhile) rather than lose them.
        for (const r of rows.slice(start)) this.count(r.workspaceId, r.keyId, new Date(r.day * dayMs), r.count);
        throw error;
      }
    }
    return rows.length;
  }

  /**
   * Deletes the rows older than 90 days, the first time it is called on each UTC day (it runs beside
   * every flush): one indexed DELETE per instance per day, and any instance's serves all of them.
   * A failure is retried on the next call; a call while one runs waits for it (then finds the day done).
   */
  readonly pruneIfDue: () => Promise<number> = oneAtATime(async () => {
    const today = utcDay(this.clock.now());
    if (today <= this.prunedThrough) return 0;
    const deleted = await this.usage.prune(today - usageDaysKept + 1);
    this.prunedThrough = today;
    return deleted;
  });
}
