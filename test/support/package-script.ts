import { readFileSync } from "node:fs";

const root = new URL("../..", import.meta.url).pathname;
const scripts = (JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { scripts: Record<string, string> }).scripts;

/**
 * The command of an npm script (`start`, `reminders`, `rekey`, `keys`), as this process's node and
 * its arguments, so that a test spawning "npm start" runs what package.json runs (the compiled
 * build in dist/, which test/support/global-build.ts keeps up to date) without npm in between.
 * Only plain `node <file> [args]` scripts are accepted: a transpiler creeping back in fails here.
 */
export function packageScript(name: string): { command: string; args: string[]; script: string } {
  const line = scripts[name];
  const words = line?.split(/\s+/) ?? [];
  if (words[0] !== "node" || !words[1]?.endsWith(".js")) throw new Error(`npm script ${name} is not "node <compiled .js>": ${line}`);
  return { command: process.execPath, args: words.slice(1), script: words[1] };
}
