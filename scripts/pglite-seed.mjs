// Builds, once per install, a PGlite data directory that is initialised and migrated, so that the
// app's very first start on the embedded database copies it (a plain file copy) instead of running
// initdb (≈ 1.5 s) and every migration. Migrations added later are applied at start as usual: the
// copy records the ones it has in _prisma_migrations, with their checksums, like any database.
// It holds the schema only: no keys, no secrets (those live in DATA_DIR/secrets).
// Without it (a failed or skipped install step) the app runs initdb and the migrations itself.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}node_modules/@electric-sql/pglite/package.json`, "utf8"));
const target = `${root}node_modules/.cache/keyward/pglite-${version}-initdb`;
const building = `${target}.building-${process.pid}`;
try {
  const { PGlite } = await import("@electric-sql/pglite");
  await mkdir(dirname(target), { recursive: true });
  const pg = await PGlite.create(building);
  const migrated = await migrateSeed(pg);
  await pg.close();
  await rm(target, { recursive: true, force: true });
  await rename(building, target);
  console.log(`PGlite seed directory written (${migrated} migrations applied)`);
} catch (error) {
  await rm(building, { recursive: true, force: true });
  console.warn(`PGlite seed directory not built (${error instanceof Error ? error.message : String(error)}); first starts will run initdb`);
}

/** With the build in dist/ (scripts/build.mjs runs first), the app's own migrator; else none. */
async function migrateSeed(pg) {
  if (!existsSync(`${root}dist/db/migrator.js`)) return 0;
  const { migrate } = await import(`${root}dist/db/migrator.js`);
  const { pgliteConnection } = await import(`${root}dist/db/sql-connection.js`);
  const { applied } = await migrate(pgliteConnection(pg));
  return applied.length;
}
