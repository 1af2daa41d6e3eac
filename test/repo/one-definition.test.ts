import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = new URL("../../src", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === "generated" ? [] : sources(join(dir, e.name))) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Issue 12 item 4: a rule that is written out once cannot drift (the user-id test once differed in one of six copies). */
describe("rules defined in one place", () => {
  it.each([
    ["the Slack user id pattern", /\[UW\]\[A-Z0-9\]/],
    ["the Slack channel id pattern", /\[CG\]\[A-Z0-9\]/],
    ["the 7-day grace limit", /\b168\b|7 \* 24 \* 3600/],
    ["the repository interfaces", /interface \w+Repository\b/],
    ["writing and reading the audit log", /\b(tx|store)\.audit\./],
    ["the key ring type", /ReadonlyMap<number, Buffer>/],
    ["the new-key builder", /last4: lastFour\(/],
    ["the domain context's wiring", /hasher: createKeyHasher\(/],
    // Issue 12 item 1: "was this pressed on the Home tab" is asked of one helper (listener-support.ts).
    ["the Home-tab check", /type === "home"/],
  ])("%s appears once in src/", (_what, pattern) => {
    const hits = sources(src).filter((f) => pattern.test(readFileSync(f, "utf8")));
    expect(hits.map((f) => f.slice(src.length + 1))).toHaveLength(1);
  });
});

describe("domain services", () => {
  it("take only the parts of the context they use, not the whole of it", () => {
    const whole = sources(join(src, "domain")).filter((f) => /readonly ctx: DomainContext\b/.test(readFileSync(f, "utf8")));
    expect(whole.map((f) => f.slice(src.length + 1))).toEqual([]);
  });
});
