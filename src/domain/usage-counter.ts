import type { KeyUsageRepository, KeyUseCount } from "./repositories.ts";
import type { Clock } from "./runtime.ts";

const dayMs = 86_400_000;

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
 * Daily use counts without a write per request, like LastUsedTracker: verify adds one in memory
 * (two Map look-ups, no allocation once a key has been seen since the last flush), and a flush
 * (on the last-used timer, and at shutdown) adds every pending count to its row in one statement.
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

  /** Writes every pending count in one statement; how many (key, day) rows it added to. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const rows: KeyUseCount[] = [];
    for (const [keyId, { workspaceId, days }] of batch) for (const [day, count] of days) rows.push({ workspaceId, keyId, day, count });
    try {
      await this.usage.add(rows);
    } catch (error) {
      // Keep the counts for the next flush (added to whatever was counted meanwhile) rather than lose them.
      for (const r of rows) this.count(r.workspaceId, r.keyId, new Date(r.day * dayMs), r.count);
      throw error;
    }
    return rows.length;
  }

  /**
   * Deletes the rows older than 90 days, the first time it is called on each UTC day (it runs beside
   * every flush): one indexed DELETE per instance per day, and any instance's serves all of them.
   * A failure is retried on the next call.
   */
  async pruneIfDue(): Promise<number> {
    const today = utcDay(this.clock.now());
    if (today <= this.prunedThrough) return 0;
    const deleted = await this.usage.prune(today - usageDaysKept + 1);
    this.prunedThrough = today;
    return deleted;
  }
}
