import { createCipheriv, randomBytes } from "node:crypto";

/**
 * A ciphertext as keyward sealed integration secrets before issue 9 (binding 1): AES-256-GCM,
 * base64(iv | tag | ciphertext), the associated data the row id alone. Tests store it to stand for
 * rows written by an older version.
 */
export function sealLegacy(key: Buffer, plaintext: string, rowId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(rowId, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}
