import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { DomainError } from "./errors.ts";

/** A versioned key ring: the highest version encrypts; every version decrypts. */
export interface KeyRing {
  current: number;
  keys: ReadonlyMap<number, Buffer>;
}

export interface Sealed {
  ciphertext: string;
  keyVersion: number;
}

/**
 * AES-256-GCM for integration secrets at rest. A fresh 96-bit IV per encryption; the stored text
 * is base64(iv | tag | ciphertext); the associated data binds a ciphertext to its row, so a
 * ciphertext copied onto another row does not decrypt.
 */
export interface SecretCipher {
  readonly currentVersion: number;
  seal(plaintext: string, associatedData: string): Sealed;
  open(sealed: Sealed, associatedData: string): string;
}

export function createSecretCipher(ring: KeyRing): SecretCipher {
  for (const [version, key] of ring.keys) {
    if (key.length !== 32) throw new Error(`Encryption key version ${version} must be 32 bytes.`);
  }
  if (!ring.keys.has(ring.current)) throw new Error(`The key ring has no current version ${ring.current}.`);
  return {
    currentVersion: ring.current,
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", ring.keys.get(ring.current)!, iv);
      cipher.setAAD(Buffer.from(associatedData, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64"), keyVersion: ring.current };
    },
    open(sealed, associatedData) {
      const key = ring.keys.get(sealed.keyVersion);
      if (!key) throw new DomainError("unavailable", `Encryption key version ${sealed.keyVersion} is not in the key ring; add it back to KEYWARD_ENCRYPTION_KEYS.`);
      const raw = Buffer.from(sealed.ciphertext, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(associatedData, "utf8"));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        throw new DomainError("unavailable", "A stored secret failed its integrity check and cannot be read.");
      }
    },
  };
}
