import { execFileSync } from "node:child_process";

/**
 * Vitest's global set-up: tests that start keyward as its own process run the compiled build, as
 * `npm start` does; this brings dist/ up to date first (a no-op when nothing under src/ changed).
 */
export default function buildOnce(): void {
  execFileSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: new URL("../..", import.meta.url).pathname, stdio: "inherit" });
}
