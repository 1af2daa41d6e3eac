// The install's seed: a PGlite data directory, initialised and migrated once by `npm install`
// (scripts/pglite-seed.mjs), that the very first start on an empty DATA_DIR copies instead of
// running initdb and every migration. Its name carries the PGlite version and a digest of the
// migrations it holds, so a checkout whose migrations changed never copies a seed whose history
// the migrator would refuse: it finds no seed and runs initdb. A seed is never changed in place.
// scripts/pglite-seed.mjs imports seedsDir, seedPath and closeTree from dist/, where no import in
// src/ shows them: keep their exports.
import { createHash } from "node:crypto";
import { access, chmod, cp, lstat, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultMigrationsDir, readMigrations } from "./migrator.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const seedsDir = path.join(root, "node_modules/.cache/keyward");

/** Where the seed for this install's PGlite and migrations lives (whether or not it exists). */
export async function seedPath(migrationsDir = defaultMigrationsDir): Promise<string> {
  const { version } = JSON.parse(await readFile(path.join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string };
  const digest = createHash("sha256");
  for (const m of await readMigrations(migrationsDir)) digest.update(`${m.name}\n${m.checksum}\n`);
  return path.join(seedsDir, `pglite-${version}-${digest.digest("hex").slice(0, 16)}`);
}

/**
 * Copies the seed into `dir` (through a side directory renamed into place, so a start killed
 * half-way leaves nothing half-copied behind) and answers true; false when there is no usable
 * seed, and the caller lets PGlite run initdb. PGlite writes its files world-writable (0666)
 * whatever the umask, so a seed that anyone but its owner could have written is not used, and the
 * copy is closed to everyone but this user.
 */
export async function copySeed(dir: string, seed?: string): Promise<boolean> {
  const from = seed ?? (await seedPath().catch(() => undefined));
  if (!from || !(await isComplete(from)) || !(await ownedAndClosed(from))) return false;
  const copying = `${dir}.seeding`;
  await rm(copying, { recursive: true, force: true });
  await cp(from, copying, { recursive: true });
  // A seed replaced while this copied it would leave holes: check before it becomes the database.
  if (!(await isComplete(copying))) {
    await rm(copying, { recursive: true, force: true });
    return false;
  }
  await chmod(copying, 0o700);
  await rename(copying, dir);
  return true;
}

/** No file of the seed may be writable by group or others, or belong to another user. */
async function ownedAndClosed(dir: string): Promise<boolean> {
  const uid = process.getuid?.();
  const stat = await lstat(dir);
  if ((uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0 || stat.isSymbolicLink()) return false;
  if (!stat.isDirectory()) return true;
  for (const entry of await readdir(dir)) if (!(await ownedAndClosed(path.join(dir, entry)))) return false;
  return true;
}

/** Takes group and other write (and, for the live database, all access) off a directory tree. */
export async function closeTree(dir: string, mask: number): Promise<void> {
  const stat = await lstat(dir);
  if (stat.isSymbolicLink()) return;
  await chmod(dir, stat.mode & ~mask & 0o7777);
  if (stat.isDirectory()) for (const entry of await readdir(dir)) await closeTree(path.join(dir, entry), mask);
}

async function isComplete(dir: string): Promise<boolean> {
  return Promise.all(["PG_VERSION", "global/pg_control"].map((f) => access(path.join(dir, f)))).then(
    () => true,
    () => false,
  );
}
