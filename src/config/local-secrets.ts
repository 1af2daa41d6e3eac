import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { KeyRing } from "../domain/secret-cipher.ts";
import { ConfigError, decodeSecret, formatKeyRing, parseKeyRing, type Config } from "./config.ts";

/** The pepper that key hashes are keyed with, and the key ring that encrypts integration secrets. */
export interface ServerSecrets {
  pepper: Buffer;
  encryptionKeys: KeyRing;
  /** Where the pepper was read from when KEYWARD_PEPPER is unset (absent: from KEYWARD_PEPPER). */
  pepperFile?: string;
}

/**
 * On the embedded database a newcomer should not have to invent secrets: the pepper and the
 * encryption key ring are generated once into DATA_DIR/secrets, readable by the owner only.
 * With PostgreSQL they are required (config.ts), since every instance must share them.
 */
export async function resolveServerSecrets(config: Config): Promise<ServerSecrets> {
  if (config.pepper && config.encryptionKeys) return { pepper: config.pepper, encryptionKeys: config.encryptionKeys };
  if (config.databaseUrl) throw new ConfigError("Configuration error: KEYWARD_PEPPER and KEYWARD_ENCRYPTION_KEYS are required with DATABASE_URL.");
  const dir = join(config.dataDir, "secrets");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pepperFile = join(dir, "pepper");
  const pepper =
    config.pepper ??
    (await readOrCreate(
      pepperFile,
      () => randomBytes(32).toString("base64"),
      (text) => {
        const bytes = decodeSecret(text);
        return bytes && bytes.length >= 32 ? bytes : "must hold at least 32 bytes";
      },
    ));
  const encryptionKeys =
    config.encryptionKeys ??
    (await readOrCreate(join(dir, "encryption-keys"), () => formatKeyRing({ current: 1, keys: new Map([[1, randomBytes(32)]]) }), parseKeyRing));
  return { pepper, encryptionKeys, ...(config.pepper ? {} : { pepperFile }) };
}

async function readOrCreate<T>(path: string, create: () => string, parse: (text: string) => T | string | undefined): Promise<T> {
  let text: string;
  try {
    text = (await readFile(path, "utf8")).trim();
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) await chmod(path, 0o600); // someone loosened it; a secret stays owner-only
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    text = create();
    // 'wx' fails if another process created it first; then read theirs so both agree.
    try {
      await writeFile(path, `${text}\n`, { mode: 0o600, flag: "wx" });
    } catch (race) {
      if ((race as NodeJS.ErrnoException).code !== "EEXIST") throw race;
      text = (await readFile(path, "utf8")).trim();
    }
  }
  const parsed = parse(text);
  if (parsed === undefined || typeof parsed === "string") {
    throw new ConfigError(`Configuration error: ${path} ${parsed ?? "is not valid"}; fix or remove it.`);
  }
  return parsed;
}
