import { describe, expect, it } from "vitest";
import { sparkline, usesText } from "../../src/slack/views/sparkline.ts";

describe("sparkline", () => {
  it("scales to its own maximum, the full block at the top", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
    expect(sparkline([10, 20, 70])).toBe("▂▃█");
  });

  it("keeps the lowest block for days without use, so one use among thousands still shows", () => {
    expect(sparkline([0, 1, 10_000, 0])).toBe("▁▂█▁");
    expect(sparkline(new Array(14).fill(0))).toBe("▁".repeat(14));
    expect(sparkline([5, 5, 5])).toBe("███");
  });

  it("is one character per day, whatever the numbers", () => {
    expect([...sparkline(Array.from({ length: 14 }, (_, i) => Number.MAX_SAFE_INTEGER - i))]).toHaveLength(14);
  });
});

describe("usesText", () => {
  it("says use or uses, with thousands separated", () => {
    expect(usesText(0, 7)).toBe("0 uses in 7 days");
    expect(usesText(1, 7)).toBe("1 use in 7 days");
    expect(usesText(12_345, 7)).toBe("12,345 uses in 7 days");
  });
});
