import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDenyFormRequestId, decodeRequestFormOrigin, encodeDenyFormMetadata, encodeRequestFormMetadata } from "../../src/slack/wire/form-metadata.ts";
import { decodeRequestValue, encodeRequestValue } from "../../src/slack/wire/request-values.ts";

const id = "0190a000-0000-7000-8000-00000000abcd";

describe("key request wire formats", () => {
  it("round-trips the Approve / Deny value and refuses anything else", () => {
    expect(encodeRequestValue(id)).toBe(`req.${id}`);
    expect(decodeRequestValue(encodeRequestValue(id))).toBe(id);
    for (const bad of [undefined, null, "", id, "req.", "req.nope", `apikey.${id}`, `req.${id} `]) expect(decodeRequestValue(bad)).toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (value) => {
        const decoded = decodeRequestValue(value);
        expect(decoded === null || value === `req.${decoded}`).toBe(true);
      }),
    );
  });

  it("round-trips the request and deny forms' private_metadata, dropping what is malformed", () => {
    expect(decodeRequestFormOrigin(encodeRequestFormMetadata({ channelId: "C0KEYWARD1" }))).toEqual({ channelId: "C0KEYWARD1" });
    expect(decodeRequestFormOrigin(encodeRequestFormMetadata({}))).toEqual({});
    expect(decodeRequestFormOrigin('{"ch":"https://evil"}')).toEqual({});
    expect(decodeRequestFormOrigin("not json")).toEqual({});
    expect(decodeDenyFormRequestId(encodeDenyFormMetadata(id))).toBe(id);
    for (const bad of ["", "{}", '{"rid":"x"}', '{"rid":1}', "[]"]) expect(decodeDenyFormRequestId(bad)).toBeNull();
  });
});
