import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { DomainError } from "./errors.ts";

/** A versioned key ring: the highest version encrypts; every version decrypts. */
export interface KeyRing {
  current: number;
  keys: ReadonlyMap<number, Buffer>;
}

/**
 * Names a ring's newest key without revealing it: HMAC-SHA-256 of a fixed label under that key,
 * 16 hex characters. Two processes with equal fingerprints seal with the same key; the version
 * number alone does not say so (two different rings can both end at version 2).
 */
export function keyFingerprint(ring: KeyRing): string {
  const key = ring.keys.get(ring.current);
  if (!key) throw new Error(`The key ring has no current version ${ring.current}.`);
  return createHmac("sha256", key).update("keyward/key-fingerprint/1").digest("hex").slice(0, 16);
}

/** Where a sealed secret belongs: all of it is bound into the ciphertext's associated data. */
export interface SecretOwner {
  workspaceId: string;
  integration: string;
  alias: string;
  id: string;
}

/**
 * How a ciphertext is bound to its owner. 1 (before issue 9): the row id only, so a row moved to
 * another workspace, or renamed to another alias, still decrypted. 2: workspace, integration,
 * alias and id. Version-1 rows still open until re-encrypted (at start-up, and by `npm run rekey`).
 */
const legacyBinding = 1;
export const currentBinding = 2;

export interface Sealed {
  ciphertext: string;
  keyVersion: number;
  binding: number;
}

/** The associated data of a binding version; JSON of an array, so no two owners encode alike. */
function associatedData(owner: SecretOwner, binding: number): string {
  if (binding === legacyBinding) return owner.id;
  if (binding === currentBinding) return JSON.stringify(["keyward/integration-secret/2", owner.workspaceId, owner.integration, owner.alias, owner.id]);
  throw new DomainError("unavailable", `A stored secret has an unknown binding version ${binding} and cannot be read.`);
}

/**
 * AES-256-GCM for integration secrets at rest. A fresh 96-bit IV per encryption; the stored text
 * is base64(iv | tag | ciphertext); the associated data binds a ciphertext to where it belongs
 * (see associatedData), so a ciphertext copied onto another row, into another workspace or under
 * another alias does not decrypt.
 */
export interface SecretCipher {
  readonly currentVersion: number;
  /** Seals with the current binding, under the current key version unless told another one. */
  seal(plaintext: string, owner: SecretOwner, keyVersion?: number): Sealed;
  open(sealed: Sealed, owner: SecretOwner): string;
}

export function createSecretCipher(ring: KeyRing): SecretCipher {
  for (const [version, key] of ring.keys) {
    if (key.length !== 32) throw new Error(`Encryption key version ${version} must be 32 bytes.`);
  }
  if (!ring.keys.has(ring.current)) throw new Error(`The key ring has no current version ${ring.current}.`);
  const keyOf = (version: number): Buffer => {
    const key = ring.keys.get(version);
    if (!key) throw new DomainError("unavailable", `Encryption key version ${version} is not in the key ring; add it back to KEYWARD_ENCRYPTION_KEYS.`);
    return key;
  };
  return {
    currentVersion: ring.current,
    seal(plaintext, owner, keyVersion = ring.current) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", keyOf(keyVersion), iv);
      cipher.setAAD(Buffer.from(associatedData(owner, currentBinding), "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64"), keyVersion, binding: currentBinding };
    },
    open(sealed, owner) {
      const key = keyOf(sealed.keyVersion);
      const aad = associatedData(owner, sealed.binding);
      const raw = Buffer.from(sealed.ciphertext, "base64");
      try {
        // Inside the try: a truncated text (no IV, short tag) is as unreadable as a forged one.
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(aad, "utf8"));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new DomainError("unavailable", "A stored secret failed its integrity check and cannot be read.");
      }
    },
  };
}
