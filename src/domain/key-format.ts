import { crc32 } from "node:zlib";
import type { RandomSource } from "./runtime.ts";

/**
 * Key format, after GitHub's token scheme: a recognisable prefix (so secret scanners find leaked
 * keys), 30 base62 characters of randomness (≈178.6 bits), and a 6-character base62 CRC32 of what
 * precedes it, so that a mistyped key is refused without touching the database.
 */
export const keyPrefix = "kw_";
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const randomLength = 30;
const checksumLength = 6;
export const keyLength = keyPrefix.length + randomLength + checksumLength;
const keyPattern = new RegExp(`^${keyPrefix}[0-9A-Za-z]{${randomLength + checksumLength}}$`);

export type KeyShape = "ok" | "malformed" | "bad_checksum";

function base62Checksum(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < checksumLength; i++) {
    out = alphabet[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Uniform base62 characters: bytes ≥ 248 (= 4 × 62) are discarded so no character is favoured. */
function randomBase62(random: RandomSource, length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of random.bytes(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

export function generateKey(random: RandomSource): string {
  const body = keyPrefix + randomBase62(random, randomLength);
  return body + base62Checksum(body);
}

/** Checks shape and checksum only; says nothing about whether the key exists. */
export function checkKeyShape(candidate: string): KeyShape {
  if (candidate.length !== keyLength || !keyPattern.test(candidate)) return "malformed";
  const body = candidate.slice(0, -checksumLength);
  return base62Checksum(body) === candidate.slice(-checksumLength) ? "ok" : "bad_checksum";
}

export const lastFour = (secret: string): string => secret.slice(-4);
