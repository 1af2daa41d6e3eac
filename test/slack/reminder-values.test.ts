import { describe, expect, it } from "vitest";
import { decodeReminderValue, encodeReminderValue, reminderButtonTargetSchema } from "../../src/slack/wire/reminder-values.ts";

const keyId = "0190a000-0000-7000-8000-00000000abcd";
/** What the Done-when greps every call sent to Slack for. */
const legacyKeyValue = /key:[0-9a-f]{8}-/;

describe("reminder button values (a wire format)", () => {
  it("round-trips both kinds, and still decodes the values of reminders posted before issue 10", () => {
    for (const target of [
      { type: "api_key", id: keyId },
      { type: "integration", id: keyId },
    ] as const) {
      expect(decodeReminderValue(encodeReminderValue(target))).toEqual(target);
    }
    expect(encodeReminderValue({ type: "api_key", id: keyId })).toBe(`apikey.${keyId}`);
    expect(encodeReminderValue({ type: "integration", id: keyId })).toBe(keyId);
    expect(encodeReminderValue({ type: "api_key", id: keyId })).not.toMatch(legacyKeyValue);
    expect(decodeReminderValue(`key:${keyId}`)).toEqual({ type: "api_key", id: keyId });
    expect(decodeReminderValue(undefined)).toEqual({ type: "integration", id: "" });
    expect(decodeReminderValue(null)).toEqual({ type: "integration", id: "" });
  });

  it("decodes the literal values of reminders already in Slack as they decoded when posted", () => {
    const configId = "0190a000-0000-7000-8000-000000000001";
    expect(decodeReminderValue(configId)).toEqual({ type: "integration", id: configId });
    expect(decodeReminderValue(`apikey.${keyId}`)).toEqual({ type: "api_key", id: keyId });
    expect(decodeReminderValue(`key:${keyId}`)).toEqual({ type: "api_key", id: keyId });
  });

  it("decodes anything to a target of the schema's shape, naming at most an id nobody has", () => {
    for (const raw of ["", "apikey.", "key:", "garbage", "APIKEY.x", " key:x", 42 as unknown as string, {} as unknown as string]) {
      const target = decodeReminderValue(raw);
      expect(reminderButtonTargetSchema.parse(target)).toEqual(target);
    }
    expect(decodeReminderValue("apikey.")).toEqual({ type: "api_key", id: "" });
    expect(decodeReminderValue(42 as unknown as string)).toEqual({ type: "integration", id: "" });
  });
});
