// Time and randomness are injected so that expiry, reminders and key generation test exactly.
import { randomBytes } from "node:crypto";

export interface Clock {
  now(): Date;
}

export interface RandomSource {
  bytes(length: number): Buffer;
}

export const systemClock: Clock = { now: () => new Date() };
export const cryptoRandom: RandomSource = { bytes: (length) => randomBytes(length) };

// The millisecond of the last id made in this process, and its counter within that millisecond.
let lastMs = -1;
let counter = 0;

/**
 * UUIDv7 (RFC 9562) with a 12-bit counter in rand_a (its "method 1"), so ids made in this process
 * sort in the order they were made, even within one millisecond; paging by `id > cursor` and
 * "newest first" then follow creation order.
 */
export function newId(clock: Clock, random: RandomSource): string {
  const bytes = random.bytes(16);
  let ms = clock.now().getTime();
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = bytes[6]! & 0x07; // a small random start leaves room for many ids in the same millisecond
  }
  const time = BigInt(ms);
  for (let i = 0; i < 6; i++) bytes[i] = Number((time >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const looksLikeId = (value: string): boolean => uuidPattern.test(value);
