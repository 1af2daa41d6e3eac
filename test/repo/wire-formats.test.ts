import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const slack = new URL("../../src/slack", import.meta.url).pathname;
const wire = join(slack, "wire");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const name = (file: string) => file.slice(slack.length + 1);
const outsideWire = sources(slack).filter((f) => !f.startsWith(`${wire}/`));
const wireDecoders = new Set(sources(wire).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/export function (\w+)\(/g)].map((m) => m[1]!)));

/** Issue 12 item 2: what Slack echoes back is a wire format, decoded in src/slack/wire/ and nowhere else. */
describe("values Slack echoes back have one home", () => {
  it("parses JSON only in src/slack/wire/", () => {
    expect(outsideWire.filter((f) => readFileSync(f, "utf8").includes("JSON.parse")).map(name)).toEqual([]);
  });

  it("hands a button's value and a form's private_metadata, in the listeners, straight to a decoder of wire/", () => {
    const stray: string[] = [];
    for (const file of sources(join(slack, "listeners"))) {
      const source = readFileSync(file, "utf8");
      for (const use of source.matchAll(/(\w+)\((?:args\.)?(?:action\.value|view\.private_metadata)\)|(?:action\.value|view\.private_metadata)/g)) {
        if (!use[1] || !wireDecoders.has(use[1])) stray.push(`${name(file)}: ${use[0]}`);
      }
    }
    expect(wireDecoders.size).toBeGreaterThan(10);
    expect(stray).toEqual([]);
  });
});
