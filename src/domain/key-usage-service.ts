import type { DomainContext } from "./context.ts";
import { denied } from "./errors.ts";
import type { KeyService } from "./key-service.ts";
import type { Actor, ApiKey } from "./types.ts";
import { dayString, usageDaysKept, utcDay } from "./usage-counter.ts";

/** One UTC day's uses of a key. */
export interface DailyUse {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  count: number;
}

/** The last `days` days of these keys' uses, oldest first (today, UTC, last), and their total over the last 7. */
export interface RecentUse {
  days: number[];
  last7: number;
}

/** Reading the daily use counts (src/domain/usage-counter.ts writes them). Counts show once flushed (every 10 s). */
export class KeyUsageService {
  constructor(
    private readonly ctx: Pick<DomainContext, "store" | "clock">,
    private readonly keys: Pick<KeyService, "get">,
  ) {}

  /** A key's 90 days, today (UTC) last, zeros filled; 404 for a key this workspace has not got. */
  async daily(actor: Actor, keyId: string): Promise<DailyUse[]> {
    const key = await this.keys.get(actor, keyId);
    const counts = await this.countsOf(actor, [key], usageDaysKept);
    const today = utcDay(this.ctx.clock.now());
    return (counts.get(key.id) ?? []).map((count, i) => ({ day: dayString(today - usageDaysKept + 1 + i), count }));
  }

  /** A page of keys' last `days` days (a list's sparkline): one query for the whole page. */
  async recent(actor: Actor, keys: readonly Pick<ApiKey, "id">[], days = 14): Promise<Map<string, RecentUse>> {
    const counts = await this.countsOf(actor, keys, days);
    const recent = new Map<string, RecentUse>();
    for (const [id, series] of counts) recent.set(id, { days: series, last7: series.slice(-7).reduce((a, b) => a + b, 0) });
    return recent;
  }

  private async countsOf(actor: Actor, keys: readonly Pick<ApiKey, "id">[], days: number): Promise<Map<string, number[]>> {
    if (!actor.permissions.has("api_keys.view")) throw denied("view API keys");
    const from = utcDay(this.ctx.clock.now()) - days + 1;
    const series = new Map(keys.map((k) => [k.id, new Array<number>(days).fill(0)]));
    if (series.size === 0) return series;
    for (const row of await this.ctx.store.keyUsage.daily(actor.workspaceId, [...series.keys()], from)) {
      const at = row.day - from;
      const counts = series.get(row.keyId);
      if (counts && at >= 0 && at < days) counts[at] = row.count;
    }
    return series;
  }
}
