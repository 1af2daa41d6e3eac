import { readFileSync } from "node:fs";

const root = new URL("../..", import.meta.url).pathname;
const scripts = (JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { scripts: Record<string, string> }).scripts;

/**
 * The command of an npm script (`start`, `reminders`, `rekey`, `keys`), as this process's node and
 * its arguments, so that a test spawning "npm start" runs what package.json runs (the compiled
 * build in dist/, which test/support/global-build.ts keeps up to date) without npm in between.
 * Only `node [V8 heap flags] dist/<file>.js` scripts are accepted: a transpiler creeping back in fails here.
 */
export function packageScript(name: string): { command: string; args: string[]; script: string } {
  const line = scripts[name];
  const words = line?.split(/\s+/) ?? [];
  const at = words.findIndex((w) => !w.startsWith("-") && w !== "node");
  const script = words[at];
  const flags = words.slice(1, at);
  // V8's heap flags are welcome; --import/--require/--loader would bring a transpiler back.
  if (
    words[0] !== "node" ||
    !script?.startsWith("dist/") ||
    !script.endsWith(".js") ||
    flags.some((f) => !/^--(max-semi-space-size|heap-growing-percent)=\d+$/.test(f))
  )
    throw new Error(`npm script ${name} is not "node [heap flags] dist/<compiled .js>": ${line}`);
  return { command: process.execPath, args: words.slice(1), script };
}
