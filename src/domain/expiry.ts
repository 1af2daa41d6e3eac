// An expiry is a calendar day chosen by a person; the key expires at the end of that day
// (23:59:59.999) in that person's time zone (SPEC rule 5), daylight-saving days included.
import { DomainError } from "./errors.ts";

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one, and the
// reminder pass asks for many days per subject.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function isValidTimeZone(timeZone: string): boolean {
  if (dayFormats.has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone.length > 0;
  } catch {
    return false;
  }
}

export function isCalendarDay(day: string): boolean {
  const match = dayPattern.exec(day);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The calendar day it is at `instant` in `timeZone`, as YYYY-MM-DD. */
export function dayIn(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", calendar: "iso8601", numberingSystem: "latn" });
    dayFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.year!.padStart(4, "0")}-${parts.month}-${parts.day}`;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** `timeZone`'s wall clock at `instant`, as numbers (month 1–12, hour 0–23). One cached format per zone. */
export function wallClockAt(instant: number, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let format = wallFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      calendar: "iso8601",
      numberingSystem: "latn",
    });
    wallFormats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const p = wallClockAt(instant, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** Midnight at the start of `day` in `timeZone`, near enough for endOfDayIn to check and correct. */
function localMidnightGuess(day: string, timeZone: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

/** The last millisecond of `day` in `timeZone`. */
export function endOfDayIn(day: string, timeZone: string): Date {
  if (!isCalendarDay(day))
    throw new DomainError("validation_failed", `"${day}" is not a calendar day (YYYY-MM-DD).`, { fields: { expiresOn: "Use a date like 2027-01-31." } });
  if (!isValidTimeZone(timeZone))
    throw new DomainError("invalid_time_zone", `"${timeZone}" is not a time zone.`, { fields: { timeZone: "Use an IANA time zone such as Europe/Paris." } });
  // One millisecond before the next day begins there. Not "23:59:59.999 local": where clocks fall
  // back at 24:00 (America/Santiago, America/Nuuk) that wall time happens twice, and where they
  // spring forward at 00:00 the next midnight does not exist; so find the boundary and check it.
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const nextDay = next.toISOString().slice(0, 10);
  let start = localMidnightGuess(nextDay, timeZone);
  for (let i = 0; i < 4 && dayIn(new Date(start), timeZone) !== nextDay; i++) start += 3600_000;
  for (let i = 0; i < 4 && dayIn(new Date(start - 1), timeZone) === nextDay; i++) start -= 3600_000;
  return new Date(start - 1);
}

/** Resolves a chosen day to its expiry instant, refusing a day before today in that zone. */
export function expiryFromDay(day: string, timeZone: string, now: Date): Date {
  const expiresAt = endOfDayIn(day, timeZone);
  if (day < dayIn(now, timeZone)) {
    throw new DomainError("expiry_in_past", `The expiry date ${day} is already past in ${timeZone}.`, {
      fields: { expiresOn: "Choose today or a later day." },
    });
  }
  return expiresAt;
}

/** The same calendar day `days` after today in `timeZone` (the create form's default). */
export function dayAfter(now: Date, timeZone: string, days: number): string {
  const today = new Date(`${dayIn(now, timeZone)}T00:00:00Z`);
  today.setUTCDate(today.getUTCDate() + days);
  return today.toISOString().slice(0, 10);
}

/** Expiries further ahead than this are refused: a credential should be rotated within years, not centuries. */
export const maxExpiryYears = 10;

export function checkExpiryHorizon(expiresAt: Date, now: Date, field: string): Date {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + maxExpiryYears);
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() > limit.getTime()) {
    throw new DomainError("validation_failed", `The expiry is at most ${maxExpiryYears} years ahead.`, {
      fields: { [field]: `Choose a date before ${limit.toISOString().slice(0, 10)}.` },
    });
  }
  return expiresAt;
}
