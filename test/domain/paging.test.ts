import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/domain/paging.ts";

const id = "0190a000-ffff-7fff-bfff-ffffffffffff";

describe("paging cursors", () => {
  it("round-trips an id through an opaque, URL-safe cursor", () => {
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).toBe(Buffer.from(id, "utf8").toString("base64url"));
    expect(decodeCursor(cursor)).toBe(id);
  });

  it.each([
    ["a cursor of something that is not an id", Buffer.from("not-an-id", "utf8").toString("base64url")],
    ["an empty cursor", ""],
    ["an id given as is", id],
  ])("refuses %s, on the cursor field", (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrowError(
      expect.objectContaining({
        code: "validation_failed",
        message: "The cursor is not valid.",
        details: { fields: { cursor: "Use nextCursor from a previous page." } },
      }),
    );
  });
});
