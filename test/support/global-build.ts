import { execFileSync } from "node:child_process";

/**
 * Vitest's global set-up: tests that start keyward as its own process run the compiled build, as
 * `npm start` does; this brings dist/ up to date first (a no-op when nothing under src/ changed),
 * and the install's migrated PGlite seed too (a no-op unless a migration was added or changed
 * since `npm install`).
 */
export default function buildOnce(): void {
  const cwd = new URL("../..", import.meta.url).pathname;
  execFileSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/pglite-seed.mjs"], { cwd, stdio: "inherit" });
}
