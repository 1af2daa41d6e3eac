/**
 * When expiry reminders fall due. A threshold of d days is due from the start of the day that is
 * d days before the expiry day, i.e. (d + 1) × 24 h before the expiry instant (keys expire at
 * the end of a day): 0 = "expires today", 1 = "expires tomorrow". The "expired" reminder
 * (threshold -1) is due at the expiry instant itself.
 */
export const expiredThreshold = -1;
const day = 24 * 3600_000;

export function dueAt(expiresAt: Date, threshold: number): Date {
  return threshold === expiredThreshold ? expiresAt : new Date(expiresAt.getTime() - (threshold + 1) * day + 1);
}

/** Thresholds from least to most urgent, "expired" last. */
export function scheduleOf(days: readonly number[]): number[] {
  return [...new Set(days)].sort((a, b) => b - a).concat(expiredThreshold);
}

/** The most urgent threshold already due at `now`, or null (after downtime only this one is posted). */
export function mostUrgentDue(expiresAt: Date, now: Date, days: readonly number[]): number | null {
  const due = scheduleOf(days).filter((t) => dueAt(expiresAt, t).getTime() <= now.getTime());
  return due.length > 0 ? due[due.length - 1]! : null;
}

/**
 * When the next reminder falls due: the earliest threshold still ahead of `now` that is more
 * urgent than `after` (the threshold just posted, if any). Null when none is left.
 */
export function nextReminderAt(expiresAt: Date | null, now: Date, days: readonly number[], after?: number): Date | null {
  if (!expiresAt) return null;
  const schedule = scheduleOf(days);
  const start = after === undefined ? 0 : schedule.indexOf(after) + 1;
  for (const t of schedule.slice(start)) {
    const at = dueAt(expiresAt, t);
    if (at.getTime() > now.getTime()) return at;
  }
  return null;
}

/** How a reminder names its threshold. */
export function thresholdLabel(threshold: number): string {
  if (threshold === expiredThreshold) return "has expired";
  if (threshold === 0) return "expires today";
  if (threshold === 1) return "expires tomorrow";
  return `expires in ${threshold} days`;
}
