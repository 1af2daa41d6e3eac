import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/domain/paging.ts";
import {
  decodeRowValue,
  encodeRowValue,
  keyControlFrom,
  legacyRenameRefFrom,
  type RowOp,
  type RowValue,
  rowValueSchema,
} from "../../src/slack/wire/key-row-values.ts";

const keyId = "0190a000-1234-7abc-8def-0123456789ab";
const cursor = encodeCursor("0190a000-ffff-7fff-bfff-ffffffffffff");
const ops: RowOp[] = ["rename", "roll", "delete", "stop"];

describe("key row values (a wire format: messages in Slack carry them)", () => {
  it.each(ops)("round-trips %s with and without a page, within 75 characters and without key:<uuid>", (op) => {
    const values: RowValue[] = [
      { op, keyId },
      { op, keyId, list: { page: 1 } },
      { op, keyId, list: { page: 9999, cursor } },
      { op, keyId: "ffffffff-ffff-7fff-bfff-ffffffffffff", list: { page: 42, cursor } },
    ];
    for (const value of values) {
      const wire = encodeRowValue(value);
      expect(wire.length).toBeLessThanOrEqual(75);
      expect(wire).not.toMatch(/key:[0-9a-f]{8}-/);
      expect(wire).not.toContain(keyId);
      expect(decodeRowValue(wire)).toEqual(value);
      expect(rowValueSchema.parse(decodeRowValue(wire))).toEqual(value);
    }
  });

  it("keeps its encoding: a value posted today decodes the same tomorrow", () => {
    // Pinned: changing the encoding strands every list message already in Slack.
    const wire = encodeRowValue({ op: "delete", keyId, list: { page: 3, cursor } });
    expect(wire).toBe("dl.AZCgABI0eryN7wEjRWeJqw.3.AZCgAP__f_-__________w");
    expect(decodeRowValue("st.AZCgABI0eryN7wEjRWeJqw")).toEqual({ op: "stop", keyId });
  });

  it("decodes nothing from forged or foreign values", () => {
    for (const raw of [
      "",
      "dl",
      "dl.",
      "xx.AZCgABI0eryN7wEjRWeJqw",
      "dl.AZCgABI0eryN7wEjRWeJq",
      "dl.AZCgABI0eryN7wEjRWeJqw.0x",
      "dl.AZCgABI0eryN7wEjRWeJqw.12345",
      `key:${keyId}`,
      keyId,
      "dl.AZCgABI0eryN7wEjRWeJqw.1.short",
      undefined,
      null,
    ]) {
      expect(decodeRowValue(raw)).toBeNull();
    }
    // 16 bytes that are not a UUID's shape (version/variant nibbles are free here, but hex is lowercased): still an id.
    expect(decodeRowValue("dl.AAAAAAAAAAAAAAAAAAAAAA")).toEqual({ op: "delete", keyId: "00000000-0000-0000-0000-000000000000" });
  });

  it("reads the bare key ids of buttons posted before row values existed", () => {
    expect(keyControlFrom(keyId, "delete")).toEqual({ op: "delete", keyId });
    expect(keyControlFrom(encodeRowValue({ op: "delete", keyId, list: { page: 2 } }), "delete")).toEqual({ op: "delete", keyId, list: { page: 2 } });
    expect(keyControlFrom("not-an-id", "delete")).toBeNull();
  });

  it("passes the bare reference of an old list's Rename button on as it came", () => {
    expect(legacyRenameRefFrom(keyId)).toBe(keyId);
    expect(legacyRenameRefFrom("deploy-bot")).toBe("deploy-bot");
    expect(legacyRenameRefFrom(undefined)).toBe("");
    expect(legacyRenameRefFrom(7 as unknown as string)).toBe("");
  });
});
