import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// A clone made anywhere (a contributor's laptop) must pass on its own: nothing the project runs may
// reach outside the repository for files, as the tests once did for Slack's JSON Schemas.
const root = fileURLToPath(new URL("../../", import.meta.url));
// Built from parts, so that this file does not itself contain the path it looks for.
const up = "\\.\\./";
const outside = new RegExp(`${up}(?:${up})*${"sha" + "red"}\\b|["'\`]${up}${up}${up}`);
const sharedPath = (rest: string) => ["..", "sha" + "red", rest].join("/");

function runnableFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8" });
  return listed
    .split("\n")
    .filter((f) => /\.(?:ts|mjs|cjs|js|json|sh)$/.test(f) || f === ".ci/run")
    .filter((f) => !f.startsWith("test/schemas/") && f !== "package-lock.json");
}

describe("the repository is self-contained", () => {
  it("reads nothing from the steering folder beside the clone, or above the repository", () => {
    const offenders = runnableFiles().filter((f) => {
      try {
        return outside.test(readFileSync(`${root}${f}`, "utf8"));
      } catch {
        return false; // listed but deleted in the work tree
      }
    });
    expect(offenders).toEqual([]);
  });

  it("finds such a reference when there is one (the check can fail)", () => {
    expect(outside.test(`new URL("../../${sharedPath("slack-block-kit-schema/x.json")}", import.meta.url)`)).toBe(true);
    expect(outside.test(`readFile("${sharedPath("SPEC.md")}")`)).toBe(true);
    expect(outside.test(`new URL("../schemas/slack-manifest-schema/m.json", import.meta.url)`)).toBe(false);
  });

  it("vendors both Slack schemas with their licence and source", () => {
    for (const dir of ["slack-block-kit-schema", "slack-manifest-schema"]) {
      expect(readFileSync(`${root}test/schemas/${dir}/LICENSE`, "utf8")).toMatch(/MIT/);
      expect(readFileSync(`${root}test/schemas/${dir}/README.md`, "utf8")).toMatch(/commit [0-9a-f]{7}/);
    }
  });
});
