import { randomBytes } from "node:crypto";

/** Time and randomness are injected so that expiry, reminders and key generation test exactly. */
export interface Clock {
  now(): Date;
}

export interface RandomSource {
  bytes(length: number): Buffer;
}

export const systemClock: Clock = { now: () => new Date() };
export const cryptoRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/**
 * UUIDv7 (RFC 9562): time-ordered, so paging by `id > cursor` walks records in creation order.
 */
export function newId(clock: Clock, random: RandomSource): string {
  const bytes = random.bytes(16);
  const ms = BigInt(clock.now().getTime());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const looksLikeId = (value: string): boolean => uuidPattern.test(value);
