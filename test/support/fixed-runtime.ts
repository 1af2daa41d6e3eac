import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { Clock, RandomSource } from "../../src/domain/runtime.ts";

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date | string): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** Deterministic bytes from a seed (SHA-256 in counter mode), so generated keys repeat exactly. */
export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return {
    bytes(length: number): Buffer {
      const chunks: Buffer[] = [];
      let size = 0;
      while (size < length) {
        const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
        chunks.push(block);
        size += block.length;
      }
      return Buffer.concat(chunks).subarray(0, length);
    },
  };
}

/** A key in the format issued before 34 random characters: `kw_` + 30 base62 + their 6-digit base62 CRC32. */
export function legacyKey(random30: string): string {
  if (!/^[0-9A-Za-z]{30}$/.test(random30)) throw new Error("legacyKey takes 30 base62 characters");
  const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const body = `kw_${random30}`;
  let value = crc32(body);
  let checksum = "";
  for (let i = 0; i < 6; i++) {
    checksum = digits[value % 62] + checksum;
    value = Math.floor(value / 62);
  }
  return body + checksum;
}
