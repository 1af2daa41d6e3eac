// `npm run build` (and a step of `npm install`): compiles src/ to plain JavaScript in dist/, which
// `npm start`, `npm run reminders`, `npm run rekey` and `npm run keys` run with node alone.
// dist/ is emptied first, so a source file that was renamed or removed leaves nothing behind.
// `--if-stale` (before `npm start`, and the test suite's global set-up) builds only when a file
// under src/ is newer than the last build, so a `git pull` without `npm install`, or a test that
// starts the compiled app, never runs yesterday's code.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = join(root, "dist", ".built");
const tsc = join(root, "node_modules/typescript/bin/tsc");

const ifStale = process.argv.includes("--if-stale");
// An image that ships dist/ without src/ has nothing to compare with.
if (ifStale && existsSync(stamp) && (!existsSync(join(root, "src")) || newestMtime(join(root, "src")) <= statSync(stamp).mtimeMs)) process.exit(0);
if (!existsSync(tsc)) {
  // An install without dev dependencies (npm ci --omit=dev) cannot compile: it must ship dist/.
  if (existsSync(join(root, "dist/main.js"))) {
    if (ifStale) console.warn("keyward: src/ is newer than dist/, and TypeScript is not installed to rebuild it: running the existing build.");
    process.exit(0);
  }
  console.error("keyward: TypeScript is not installed, so dist/ cannot be built: run npm install (with dev dependencies), or copy a built dist/.");
  process.exit(1);
}
const started = Date.now();
await rm(join(root, "dist"), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit", cwd: root });
if (result.status !== 0) process.exit(result.status ?? 1);
// The stamp carries the time the build started: a source saved during the build counts as newer.
await writeFile(stamp, "");
utimesSync(stamp, started / 1000, started / 1000);

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
