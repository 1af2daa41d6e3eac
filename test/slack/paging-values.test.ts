import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/domain/paging.ts";
import {
  decodeIntegrationPageValue,
  decodeKeyPageValue,
  encodeIntegrationPageValue,
  encodeKeyPageValue,
  integrationPositionSchema,
  listPositionSchema,
} from "../../src/slack/wire/paging-values.ts";

const keyCursor = encodeCursor("0190a000-ffff-7fff-bfff-ffffffffffff");

describe("key list paging values (a wire format: list messages and the Home tab carry them)", () => {
  it("round-trips the first page and a page with its cursor, within a button value's 2000 characters", () => {
    for (const position of [{ page: 1 }, { page: 2, cursor: keyCursor }, { page: 9999, cursor: keyCursor }, { page: 7 }]) {
      const value = encodeKeyPageValue(position);
      expect(value.length).toBeLessThanOrEqual(2000);
      expect(decodeKeyPageValue(value)).toEqual(position);
    }
  });

  it("keeps its encoding: the values of buttons already in Slack decode as they did", () => {
    expect(encodeKeyPageValue({ page: 1 })).toBe("first");
    expect(encodeKeyPageValue({ page: 3, cursor: keyCursor })).toBe(`3:${keyCursor}`);
    expect(decodeKeyPageValue("first")).toEqual({ page: 1 });
    expect(decodeKeyPageValue(`3:${keyCursor}`)).toEqual({ page: 3, cursor: keyCursor });
    // The cursor is the domain's to check: a bad one is refused there, where the Home tab offers Try again.
    expect(decodeKeyPageValue("2:not-a-cursor")).toEqual({ page: 2, cursor: "not-a-cursor" });
    expect(decodeKeyPageValue("0:")).toEqual({ page: 1, cursor: undefined });
  });

  it("reads anything else as the first page, in the schema's shape", () => {
    for (const raw of [undefined, "", "x", "12345:c", ":c", "-1:c", "1", "create"]) {
      const position = decodeKeyPageValue(raw);
      expect(position).toEqual({ page: 1 });
      expect(listPositionSchema.parse(position)).toEqual(position);
    }
  });
});

describe("integrations list paging values (a wire format)", () => {
  const longestSlug = `g${"h".repeat(39)}`;
  const cursor = "a".repeat(48);

  it("round-trips paging values, and reads nonsense as the first page", () => {
    const value = encodeIntegrationPageValue({ page: 12, integration: longestSlug, cursor });
    expect(value.length).toBeLessThanOrEqual(2000);
    expect(decodeIntegrationPageValue(value)).toEqual({ page: 12, integration: longestSlug, cursor });
    expect(decodeIntegrationPageValue(encodeIntegrationPageValue({ page: 1 }))).toEqual({ page: 1, integration: undefined, cursor: undefined });
    expect(decodeIntegrationPageValue("x:y:z")).toEqual({ page: 1 });
    expect(decodeIntegrationPageValue(undefined)).toEqual({ page: 1 });
  });

  it("keeps its encoding: the values of buttons already in Slack decode as they did", () => {
    expect(encodeIntegrationPageValue({ page: 1, integration: "github" })).toBe("1:github:");
    expect(encodeIntegrationPageValue({ page: 2, cursor })).toBe(`2::${cursor}`);
    expect(decodeIntegrationPageValue(`2:github:${cursor}`)).toEqual({ page: 2, integration: "github", cursor });
    expect(decodeIntegrationPageValue("1::")).toEqual({ page: 1, integration: undefined, cursor: undefined });
  });

  it("reads forged filters and cursors as the first page, in the schema's shape", () => {
    for (const raw of ["1:Git Hub:", "1:github:not/base64", `1:${"g".repeat(41)}:`, "12345::", "first", ""]) {
      const position = decodeIntegrationPageValue(raw);
      expect(position).toEqual({ page: 1 });
      expect(integrationPositionSchema.parse(position)).toEqual(position);
    }
  });
});
