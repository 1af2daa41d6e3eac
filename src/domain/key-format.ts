// Key format, after GitHub's token scheme: a recognisable prefix (so secret scanners find leaked
// keys), 34 base62 characters of randomness (≈202.4 bits), and a 6-character base62 CRC32 of what
// precedes it, so that a mistyped key is refused without touching the database.
//
// The last 4 characters, which every viewer of the key list sees, are checksum digits: they tell
// at most log2(62^4) ≈ 23.8 bits about the random part, so ≈178.6 bits stay unknown (SPEC rule 3
// asks for 160). Keys issued before had 30 random characters (≈155 bits left after the last 4):
// they keep working, and new keys are never that short.
import { crc32 } from "node:zlib";
import type { RandomSource } from "./runtime.ts";

/** The recognisable prefix. It and the lengths below are exported for the tests, which build keys of each shape from them. */
export const keyPrefix = "kw_";
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const randomLength = 34;
/** The random length of keys issued before the format grew; still accepted. */
export const legacyRandomLength = 30;
export const checksumLength = 6;
/** Characters shown in clear (lastFour); all of them checksum digits. */
export const shownLength = 4;
export const keyLength = keyPrefix.length + randomLength + checksumLength;
export const legacyKeyLength = keyPrefix.length + legacyRandomLength + checksumLength;
const keyPattern = new RegExp(`^${keyPrefix}(?:[0-9A-Za-z]{${legacyRandomLength + checksumLength}}|[0-9A-Za-z]{${randomLength + checksumLength}})$`);

type KeyShape = "ok" | "malformed" | "bad_checksum";

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
  if ((candidate.length !== keyLength && candidate.length !== legacyKeyLength) || !keyPattern.test(candidate)) return "malformed";
  const body = candidate.slice(0, -checksumLength);
  return base62Checksum(body) === candidate.slice(-checksumLength) ? "ok" : "bad_checksum";
}

export const lastFour = (secret: string): string => secret.slice(-shownLength);
