// Builds, once per install, a PGlite data directory that is initialised and migrated, so that the
// app's very first start on the embedded database copies it instead of running initdb (≈ 1.5 s)
// and every migration (src/db/seed-directory.ts says how it is named and checked). It holds the
// schema only: no keys, no secrets (those live in DATA_DIR/secrets, and the pepper check row is
// written by the app at its first open). Runs after scripts/build.mjs: it uses the compiled
// migrator, so the seed's history is exactly what the app would write. Without it (a failed or
// skipped step) the app runs initdb and the migrations itself.
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
if (!existsSync(join(root, "dist/db/seed-directory.js"))) {
  console.warn("PGlite seed directory not built (no dist/: run npm run build); first starts will run initdb");
  process.exit(0);
}
const { seedPath, seedsDir, closeTree } = await import(join(root, "dist/db/seed-directory.js"));
const { migrate } = await import(join(root, "dist/db/migrator.js"));
const { pgliteConnection } = await import(join(root, "dist/db/sql-connection.js"));
const target = await seedPath();
const building = `${target}.building-${process.pid}`;
try {
  if (!existsSync(target)) {
    const { PGlite } = await import("@electric-sql/pglite");
    await mkdir(dirname(target), { recursive: true });
    const pg = await PGlite.create(building);
    const { applied } = await migrate(pgliteConnection(pg));
    await pg.close();
    // PGlite writes 0666 files whatever the umask: nobody but this user may change the seed.
    await closeTree(building, 0o022);
    await rename(building, target);
    console.log(`PGlite seed directory written (${applied.length} migrations): ${basename(target)}`);
  }
  await pruneOthers(target);
} catch (error) {
  await rm(building, { recursive: true, force: true });
  console.warn(`PGlite seed directory not built (${error instanceof Error ? error.message : String(error)}); first starts will run initdb`);
}

/** Seeds for other PGlite versions or migrations, and stale tarballs, once nothing can be copying them (an hour on). */
async function pruneOthers(keep) {
  for (const name of await readdir(seedsDir)) {
    const p = join(seedsDir, name);
    if (p === keep || !name.startsWith("pglite-")) continue;
    if (Date.now() - (await stat(p)).mtimeMs > 3_600_000) await rm(p, { recursive: true, force: true });
  }
}
