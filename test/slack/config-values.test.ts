import { describe, expect, it } from "vitest";
import { configButtonTargetSchema, decodeConfigValue, encodeConfigValue } from "../../src/slack/wire/config-values.ts";

const configId = "0190a000-0000-7000-8000-000000000001";

describe("integration configuration button values (a wire format: list messages and the Home tab carry them)", () => {
  it("round-trips a configuration, as its bare id: the value of the buttons already in Slack", () => {
    expect(encodeConfigValue({ id: configId })).toBe(configId);
    expect(decodeConfigValue(encodeConfigValue({ id: configId }))).toEqual({ id: configId });
    expect(decodeConfigValue(configId)).toEqual({ id: configId });
  });

  it("decodes anything to the schema's shape, naming at most an id nobody has", () => {
    for (const raw of [undefined, null, "", "garbage", "apikey.x", 42 as unknown as string]) {
      const target = decodeConfigValue(raw);
      expect(configButtonTargetSchema.parse(target)).toEqual(target);
    }
    expect(decodeConfigValue(undefined)).toEqual({ id: "" });
    expect(decodeConfigValue(42 as unknown as string)).toEqual({ id: "" });
  });
});
