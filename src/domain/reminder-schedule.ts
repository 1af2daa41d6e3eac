import { dayIn, endOfDayIn, isValidTimeZone } from "./expiry.ts";

/** The "expired" reminder's threshold (exported for the tests). */
export const expiredThreshold = -1;
const day = 24 * 3600_000;
const quarterHour = 15 * 60_000;

/** An expiry instant and the zone its day was chosen in (null: given as an instant). Exported for the tests. */
export interface ExpiryPoint {
  expiresAt: Date;
  timeZone: string | null;
}

function calendarDayBefore(isoDay: string, days: number): string {
  const d = new Date(`${isoDay}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

// Due times are asked for again and again (each pass plans a subject twice, rows stay due for a
// while); working one out takes a few time-zone conversions, so keep the recent ones.
const dueCache = new Map<string, number>();

/**
 * When an expiry reminder falls due. A threshold of d days is due from the start of the local day
 * that is d days before the expiry day, in the time zone the expiry was chosen in (SPEC rule 5):
 * 0 = "expires today", 1 = "expires tomorrow". Local midnights, not d × 24 h, so a 23- or 25-hour
 * day in between moves nothing. The "expired" reminder (threshold -1) is due at the expiry instant.
 * Exported for the tests.
 */
export function dueAt(expiry: ExpiryPoint, threshold: number): Date {
  const key = `${expiry.expiresAt.getTime()}|${expiry.timeZone ?? ""}|${threshold}`;
  let at = dueCache.get(key);
  if (at === undefined) {
    if (dueCache.size >= 20_000) dueCache.clear();
    at = computeDueAt(expiry, threshold).getTime();
    dueCache.set(key, at);
  }
  return new Date(at);
}

function computeDueAt(expiry: ExpiryPoint, threshold: number): Date {
  const { expiresAt, timeZone } = expiry;
  if (threshold === expiredThreshold) return expiresAt;
  if (timeZone === null || !isValidTimeZone(timeZone)) {
    // An instant that ends a day at some UTC offset (rows from before zones were kept, a REST
    // client's end of day) keeps that offset's midnights, which no daylight-saving change moves;
    // any other instant counts in UTC days.
    const next = expiresAt.getTime() + 1;
    if (next % quarterHour === 0) return new Date(next - (threshold + 1) * day);
    return startOfDayIn(calendarDayBefore(dayIn(expiresAt, "UTC"), threshold), "UTC");
  }
  return startOfDayIn(calendarDayBefore(dayIn(expiresAt, timeZone), threshold), timeZone);
}

/** The first millisecond of `isoDay` in `timeZone` (the day before's last, plus one). */
function startOfDayIn(isoDay: string, timeZone: string): Date {
  return new Date(endOfDayIn(calendarDayBefore(isoDay, 1), timeZone).getTime() + 1);
}

/** Thresholds from least to most urgent, "expired" last. Exported for its test. */
export function scheduleOf(days: readonly number[]): number[] {
  return [...new Set(days)].sort((a, b) => b - a).concat(expiredThreshold);
}

/** The most urgent threshold already due at `now`, or null (after downtime only this one is posted). */
export function mostUrgentDue(expiry: ExpiryPoint, now: Date, days: readonly number[]): number | null {
  const due = scheduleOf(days).filter((t) => dueAt(expiry, t).getTime() <= now.getTime());
  return due.length > 0 ? due[due.length - 1]! : null;
}

/**
 * When the reminder pass should next look at a subject. After posting threshold `after`: the
 * earliest more urgent threshold still ahead of `now`. Without `after` (a new or rotated expiry):
 * if a threshold is already due, its due time (so the next pass posts the most urgent one, instead
 * of staying silent until the next threshold), else the earliest ahead. Null when none is left.
 */
export function nextReminderAt(expiry: ExpiryPoint | null, now: Date, days: readonly number[], after?: number): Date | null {
  if (!expiry) return null;
  const schedule = scheduleOf(days);
  if (after === undefined) {
    const due = mostUrgentDue(expiry, now, days);
    if (due !== null) return dueAt(expiry, due);
  }
  const start = after === undefined ? 0 : schedule.indexOf(after) + 1;
  for (const t of schedule.slice(start)) {
    const at = dueAt(expiry, t);
    if (at.getTime() > now.getTime()) return at;
  }
  return null;
}

/**
 * Local days from `now` to the expiry day (0: it expires today, 1: tomorrow), counted like the
 * thresholds; expiredThreshold once it has expired. A reminder says this, not its threshold: one
 * posted late (a new key with 2 days left gets the 3-day reminder) must not say "in 3 days".
 */
export function daysLeft(expiry: ExpiryPoint, now: Date): number {
  const t = now.getTime();
  if (t >= expiry.expiresAt.getTime()) return expiredThreshold;
  let d = Math.floor((expiry.expiresAt.getTime() - t) / day);
  while (dueAt(expiry, d).getTime() > t) d++;
  while (d > 0 && dueAt(expiry, d - 1).getTime() <= t) d--;
  return d;
}

/** How a reminder names its threshold (or the days left, counted the same way). */
export function thresholdLabel(threshold: number): string {
  if (threshold === expiredThreshold) return "has expired";
  if (threshold === 0) return "expires today";
  if (threshold === 1) return "expires tomorrow";
  return `expires in ${threshold} days`;
}
