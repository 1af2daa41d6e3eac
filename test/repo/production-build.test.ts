import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageScript } from "../support/package-script.ts";

const root = new URL("../..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string>; dependencies: Record<string, string> };

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Issue 11 item 1: what serves is plain node on compiled JavaScript, built by npm install. */
describe("the production build", () => {
  it("npm start, reminders, rekey and keys run node on dist/, which npm install builds", () => {
    for (const name of ["start", "reminders", "rekey", "keys"]) expect(existsSync(join(root, packageScript(name).script)), name).toBe(true);
    expect(pkg.scripts.postinstall).toContain("scripts/build.mjs");
    // Nothing that transpiles at run time is a production dependency.
    expect(Object.keys(pkg.dependencies)).not.toContain("tsx");
  });

  it("dist/ imports no TypeScript file and holds a module for every source module", () => {
    const compiled = files(join(root, "dist")).filter((f) => f.endsWith(".js"));
    const tsImports = compiled.filter((f) => /(?:from\s*|import\s*\(\s*)["'][^"']+\.ts["']/.test(readFileSync(f, "utf8")));
    expect(tsImports).toEqual([]);
    const sources = files(join(root, "src")).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"));
    const missing = sources.map((f) => f.replace(join(root, "src"), join(root, "dist")).replace(/\.ts$/, ".js")).filter((f) => !existsSync(f));
    expect(missing).toEqual([]);
  });
});
