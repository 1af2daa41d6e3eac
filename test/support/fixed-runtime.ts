import { createHash } from "node:crypto";
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
