// Applies prisma/migrations/<timestamp>_<name>/migration.sql in folder-name order and records them
// in _prisma_migrations exactly as `prisma migrate deploy` does (same table, checksums and lock
// key), so that the Prisma CLI can take over a database this migrator started, and vice versa.
// We cannot use the CLI at run time: its schema engine is a native binary that PGlite cannot host.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlConnection } from "./sql-connection.ts";

interface MigrationLogger {
  info(obj: object, msg?: string): void;
}

interface MigrateOptions {
  /** Defaults to <repo>/prisma/migrations. */
  migrationsDir?: string;
  logger?: MigrationLogger;
}

interface MigrationFile {
  /** The folder name, e.g. 20261127000000_init; what _prisma_migrations.migration_name holds. */
  name: string;
  script: string;
  /** sha256 hex of the script, as Prisma computes it. */
  checksum: string;
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

export const defaultMigrationsDir = fileURLToPath(new URL("../../prisma/migrations/", import.meta.url));

/** The advisory lock key Prisma Migrate takes, so this migrator and `prisma migrate deploy` exclude each other. */
const MIGRATION_LOCK_KEY = 72707369;

// Prisma's own DDL for the history table (schema engine, PostgreSQL connector).
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/**
 * Brings the database up to date. Each migration runs in its own transaction together with its
 * _prisma_migrations row, under a transaction-scoped advisory lock: a second process that starts at
 * the same time waits, then sees the row and skips the migration. Throws, applying nothing more,
 * when the recorded history disagrees with the files.
 */
export async function migrate(sql: SqlConnection, opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const dir = opts.migrationsDir ?? defaultMigrationsDir;
  const migrations = await readMigrations(dir);
  // Validate before the first migration too, so an empty or fully applied folder is still checked.
  await sql.transaction(async (tx) => {
    await lockHistory(tx);
    assertHistoryMatches(await appliedRows(tx), migrations, dir);
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    if (await applyIfPending(sql, migration, migrations, dir, opts.logger)) applied.push(migration.name);
  }
  opts.logger?.info({ applied, total: migrations.length }, applied.length ? "database migrated" : "database schema up to date");
  return { applied };
}

/** Reads the migration folders in the order Prisma applies them (folder name, i.e. timestamp). */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  await assertPostgresqlLock(dir);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(names.map((name) => readMigration(dir, name)));
}

function checksumOf(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}

/**
 * Prisma's comparison: a checkout that only changed line endings (git on Windows) still matches,
 * and so do the unpadded hex checksums an old Prisma version wrote. Exported for its test.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll("\r\n", "\n"), script.replaceAll("\n", "\r\n")];
  return variants.some((variant) => {
    const digest = createHash("sha256").update(variant, "utf8").digest();
    const hex = checksum.length === 64 ? digest.toString("hex") : [...digest].map((b) => b.toString(16)).join("");
    return hex === checksum;
  });
}

async function readMigration(dir: string, name: string): Promise<MigrationFile> {
  const file = path.join(dir, name, "migration.sql");
  const script = await readFile(file, "utf8").catch(() => {
    throw new Error(`Migration folder ${name} has no readable migration.sql (${file}); remove the folder or restore the file.`);
  });
  return { name, script, checksum: checksumOf(script) };
}

async function assertPostgresqlLock(dir: string): Promise<void> {
  const lock = await readFile(path.join(dir, "migration_lock.toml"), "utf8").catch(() => undefined);
  const provider = lock?.match(/^\s*provider\s*=\s*"([^"]*)"/m)?.[1];
  if (lock !== undefined && provider !== "postgresql") {
    throw new Error(`${dir}/migration_lock.toml names provider "${provider}", but keyward's migrations are for "postgresql".`);
  }
}

async function lockHistory(tx: SqlConnection): Promise<void> {
  // Transaction-scoped, so it is released by COMMIT/ROLLBACK even if the process dies, and it
  // survives transaction-mode poolers (PgBouncer), unlike Prisma's session lock.
  await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
  await tx.exec(CREATE_MIGRATIONS_TABLE);
}

async function appliedRows(tx: SqlConnection): Promise<MigrationRow[]> {
  // Rows marked rolled back (prisma migrate resolve --rolled-back) no longer count, as in Prisma.
  return tx.query<MigrationRow>(
    `SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at
       FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
}

function assertHistoryMatches(rows: MigrationRow[], migrations: MigrationFile[], dir: string): void {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  for (const row of rows) {
    const name = row.migration_name;
    if (row.finished_at === null) {
      throw new Error(
        `Migration ${name} started at ${row.started_at.toISOString()} but never finished (failed or interrupted): inspect the database, then run \`prisma migrate resolve --rolled-back ${name}\` or \`--applied ${name}\`.`,
      );
    }
    const file = byName.get(name);
    if (!file) {
      throw new Error(
        `Migration ${name} is recorded as applied in _prisma_migrations but is missing from ${dir}: this database was migrated by a newer or different version of keyward.`,
      );
    }
    if (!scriptMatchesChecksum(file.script, row.checksum)) {
      throw new Error(
        `Migration ${name} was modified after it was applied: ${name}/migration.sql has checksum ${file.checksum}, _prisma_migrations recorded ${row.checksum}. Restore the file and add a new migration instead.`,
      );
    }
  }
}

async function applyIfPending(
  sql: SqlConnection,
  migration: MigrationFile,
  all: MigrationFile[],
  dir: string,
  logger: MigrationLogger | undefined,
): Promise<boolean> {
  const started = Date.now();
  const didApply = await sql.transaction(async (tx) => {
    await lockHistory(tx);
    // Re-read under the lock: another process may have applied it (or changed history) meanwhile.
    const rows = await appliedRows(tx);
    assertHistoryMatches(rows, all, dir);
    if (rows.some((row) => row.migration_name === migration.name)) return false;
    await applyMigration(tx, migration);
    return true;
  });
  if (didApply) logger?.info({ migration: migration.name, ms: Date.now() - started }, "applied migration");
  return didApply;
}

async function applyMigration(tx: SqlConnection, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  // Prisma's sequence: a started row with 0 steps, the script, then 1 step and finished_at.
  await tx.query(
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count)
     VALUES ($1, $2, $3, clock_timestamp(), 0)`,
    [id, migration.checksum, migration.name],
  );
  try {
    await tx.exec(migration.script);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error });
  }
  // clock_timestamp, not now(): now() is frozen at BEGIN and would hide how long the script took.
  await tx.query(`UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`, [id]);
}
