import { createHmac } from "node:crypto";

/** A keyed hash of a secret: HMAC-SHA-256 with the server's pepper, hex. The only form stored. */
export interface KeyHasher {
  hash(secret: string): string;
}

export function createKeyHasher(pepper: Buffer): KeyHasher {
  if (pepper.length < 32) throw new Error("The pepper must be at least 32 bytes.");
  return { hash: (secret) => createHmac("sha256", pepper).update(secret).digest("hex") };
}
