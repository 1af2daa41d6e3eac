// A database as an upgrade finds it: every migration before the one under test applied, none after,
// so a test can store rows in the old shape and then apply the migration itself from the same folder.
import { cp, readdir } from "node:fs/promises";
import path from "node:path";
import { defaultMigrationsDir, migrate } from "../../src/db/migrator.ts";
import type { SqlConnection } from "../../src/db/sql-connection.ts";

/**
 * Copies the project's migrations sorted before `migration` (which must exist) into `dir`, an empty
 * folder, and applies them to a blank database; copying `migration` there later applies just it.
 */
export async function migrateBefore(sql: SqlConnection, migration: string, dir: string): Promise<void> {
  const names = (await readdir(defaultMigrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (!names.includes(migration)) throw new Error(`no migration named ${migration}`);
  await cp(path.join(defaultMigrationsDir, "migration_lock.toml"), path.join(dir, "migration_lock.toml"));
  for (const name of names.filter((n) => n < migration)) await cp(path.join(defaultMigrationsDir, name), path.join(dir, name), { recursive: true });
  await migrate(sql, { migrationsDir: dir });
}
