// `npm run keys`'s usage (issue 11, review item 4): stdout carries the secret alone only when npm
// prints no banner there, so the usage shows `npm run -s keys` (or node on the build), and its
// create text says why; plain `npm run keys --` appears nowhere in it.
import { describe, expect, it } from "vitest";
import { usage } from "../../src/cli/keys-args.ts";

describe("npm run keys --help", () => {
  it("shows the command with -s (or node dist/cli/keys.js), so that stdout holds the secret alone", () => {
    expect(usage.split("\n")[0]).toBe("Usage: npm run -s keys -- <command> [options]    (or: node dist/cli/keys.js <command> [options])");
    expect(usage).toContain("Keep the -s: without it npm prints its own banner on stdout ahead of the secret");
    expect(usage).not.toMatch(/npm run keys\b/);
  });
});
