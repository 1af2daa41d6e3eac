// When a weekly digest falls due: a weekday and an hour on the wall clock of a zone, so the hour
// stays local across daylight-saving changes (a week that crosses one is 167 or 169 hours long).
import { dayIn, wallClockAt } from "./expiry.ts";

export interface DigestSlotRule {
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  /** 0–23, local. */
  hour: number;
  timeZone: string;
}

export interface DigestSlot {
  /** The instant the digest is due. */
  dueAt: Date;
  /** The ISO week of the slot's local day (`2026-W49`): the ledger's once-per-week key. */
  week: string;
}

const dayMs = 86_400_000;

/** The ISO weekday (1–7) of a YYYY-MM-DD day. */
const weekdayOf = (day: string): number => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

const shiftDay = (day: string, days: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);

/** `2026-W49`: the ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekOf(day: string): string {
  const thursday = shiftDay(day, 4 - weekdayOf(day));
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((Date.parse(`${thursday}T00:00:00Z`) - Date.UTC(year, 0, 1)) / (7 * dayMs)) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** `YYYY-MM-DD HH:MM` on `timeZone`'s wall clock at `instant`. */
function wallReading(instant: number, timeZone: string): string {
  const p = wallClockAt(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(p.year).padStart(4, "0")}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}`;
}

/**
 * The first instant of `hour` on `day` in `timeZone`. Where that hour does not exist (clocks spring
 * forward over it), the first hour after the gap: the digest is late by the gap, never skipped.
 */
export function wallHourIn(day: string, hour: number, timeZone: string): Date {
  // Zones are at most 14 h from UTC and their offsets are whole quarter hours: the earliest
  // quarter-hour instant within ±15 h of the UTC reading whose wall clock reads that hour is it.
  const wall = Date.parse(`${day}T${String(hour).padStart(2, "0")}:00:00Z`);
  const wanted = `${day} ${String(hour).padStart(2, "0")}:00`;
  for (let t = wall - 15 * 3600_000; t <= wall + 15 * 3600_000; t += 15 * 60_000) {
    if (wallReading(t, timeZone) === wanted) return new Date(t);
  }
  return hour < 23 ? wallHourIn(day, hour + 1, timeZone) : wallHourIn(shiftDay(day, 1), 0, timeZone);
}

/** The slot of the week whose local day is `day`'s weekday-adjusted day. */
function slotOn(day: string, rule: DigestSlotRule): DigestSlot {
  return { dueAt: wallHourIn(day, rule.hour, rule.timeZone), week: isoWeekOf(day) };
}

/** The latest slot at or before `now` (what a pass posts, once, however late). */
export function latestSlot(rule: DigestSlotRule, now: Date): DigestSlot {
  const today = dayIn(now, rule.timeZone);
  const back = (weekdayOf(today) - rule.weekday + 7) % 7;
  const slot = slotOn(shiftDay(today, -back), rule);
  return slot.dueAt.getTime() <= now.getTime() ? slot : slotOn(shiftDay(today, -back - 7), rule);
}

/** The first slot after `now`. */
export function nextSlot(rule: DigestSlotRule, now: Date): DigestSlot {
  const today = dayIn(now, rule.timeZone);
  const ahead = (rule.weekday - weekdayOf(today) + 7) % 7;
  const slot = slotOn(shiftDay(today, ahead), rule);
  return slot.dueAt.getTime() > now.getTime() ? slot : slotOn(shiftDay(today, ahead + 7), rule);
}
