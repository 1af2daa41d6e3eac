import { describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/domain/paging.ts";
import {
  decodeEditFormOrigin,
  decodeFormKeyId,
  decodeIntegrationMetadata,
  decodeSecretFormOrigin,
  encodeEditFormMetadata,
  encodeIntegrationMetadata,
  encodeSecretFormMetadata,
  formOriginSchema,
} from "../../src/slack/wire/form-metadata.ts";

const keyId = "0190a000-1234-7abc-8def-0123456789ab";
const cursor = encodeCursor("0190a000-ffff-7fff-bfff-ffffffffffff");
const responseUrl = "https://hooks.slack.com/commands/T1/2/3";
/** Texts a forged submission may carry instead of our JSON. */
const garbage = ["", "{", "not json", "null", "[]", "1", '"x"', "true", '{"__proto__":{"keyId":"x","pg":1,"home":1,"id":"x"}}'];

describe("create and roll forms' private_metadata (a wire format: open forms carry it)", () => {
  it("the form's origin travels in private_metadata; old forms without it still decode", () => {
    const metadata = encodeSecretFormMetadata({ channelId: "C0CHAN001", responseUrl, home: true }, { keyId: "k" });
    expect(decodeSecretFormOrigin(metadata)).toEqual({ channelId: "C0CHAN001", responseUrl, home: true });
    expect(JSON.parse(metadata)).toMatchObject({ keyId: "k", ch: "C0CHAN001", home: 1 });
    expect(decodeSecretFormOrigin(JSON.stringify({ ch: "C0CHAN001" }))).toEqual({ channelId: "C0CHAN001", responseUrl: undefined, home: false });
    expect(decodeSecretFormOrigin("not json")).toEqual({ home: false });
  });

  it("round-trips every origin, and the roll form's key id beside it", () => {
    for (const origin of [{}, { channelId: "D0DM00001" }, { responseUrl }, { home: true }, { channelId: "G0PRIV001", responseUrl, home: true }]) {
      const metadata = encodeSecretFormMetadata(origin, { keyId });
      expect(decodeSecretFormOrigin(metadata)).toEqual({ home: false, ...origin });
      expect(formOriginSchema.parse(decodeSecretFormOrigin(metadata))).toEqual({ home: false, ...origin });
      expect(decodeFormKeyId(metadata)).toBe(keyId);
      expect(decodeFormKeyId(encodeSecretFormMetadata(origin))).toBeNull();
    }
  });

  it("keeps its encoding: the private_metadata of forms open now decodes as it did", () => {
    expect(encodeSecretFormMetadata({ channelId: "C0CHAN001", responseUrl, home: true }, { keyId })).toBe(
      `{"keyId":"${keyId}","ch":"C0CHAN001","ru":"${responseUrl}","home":1}`,
    );
    expect(encodeSecretFormMetadata({ channelId: "C0CHAN001" })).toBe('{"ch":"C0CHAN001"}');
    expect(encodeSecretFormMetadata({})).toBe("{}");
    expect(decodeSecretFormOrigin(`{"keyId":"${keyId}","ru":"${responseUrl}","home":1}`)).toEqual({ channelId: undefined, responseUrl, home: true });
  });

  it("drops a malformed field, and reads garbage as an origin with nowhere to deliver but the DM", () => {
    expect(decodeSecretFormOrigin('{"ch":"U0PERSON1","ru":42,"home":true}')).toEqual({ channelId: undefined, responseUrl: undefined, home: false });
    expect(decodeSecretFormOrigin('{"ch":"C0CHAN001","ru":{},"home":"1"}')).toEqual({ channelId: "C0CHAN001", responseUrl: undefined, home: false });
    for (const raw of garbage) {
      expect(decodeSecretFormOrigin(raw)).toEqual({ home: false });
    }
  });
});

describe("the key id of roll and rename forms", () => {
  it("is read from today's forms, and nothing else counts as one", () => {
    expect(decodeFormKeyId("not json")).toBeNull();
    expect(decodeFormKeyId(JSON.stringify({ keyId: 42 }))).toBeNull();
    expect(decodeFormKeyId(JSON.stringify({ keyId: "abc" }))).toBe("abc");
    expect(decodeFormKeyId(`{"keyId":"${keyId}"}`)).toBe(keyId);
    expect(decodeFormKeyId(JSON.stringify({ keyId: "k".repeat(65) }))).toBeNull();
    for (const raw of garbage) expect(decodeFormKeyId(raw)).toBeNull();
  });
});

describe("the rename form's private_metadata", () => {
  it("carries a rename form's origin in private_metadata, within 3000 characters, and drops what is malformed", () => {
    const listUrl = "https://hooks.slack.com/actions/T1/2/abc";
    const metadata = encodeEditFormMetadata(keyId, { responseUrl: listUrl, list: { page: 2, cursor } });
    expect(JSON.parse(metadata).keyId).toBe(keyId);
    expect(decodeEditFormOrigin(metadata)).toEqual({ responseUrl: listUrl, list: { page: 2, cursor } });
    expect(decodeEditFormOrigin(encodeEditFormMetadata(keyId, { home: true, list: { page: 1 } }))).toEqual({ home: true, list: { page: 1 } });
    expect(decodeEditFormOrigin(encodeEditFormMetadata(keyId))).toBeNull();
    // A response_url too long for Slack's 3000 is dropped rather than the form refused.
    const huge = encodeEditFormMetadata(keyId, { responseUrl: `https://hooks.slack.com/${"x".repeat(3000)}`, list: { page: 1 } });
    expect(huge.length).toBeLessThanOrEqual(3000);
    expect(decodeEditFormOrigin(huge)).toBeNull();
    for (const raw of [
      "",
      "{",
      "null",
      "[]",
      '{"keyId":"x","pg":0,"ru":"u"}',
      '{"keyId":"x","pg":1}',
      '{"keyId":"x","pg":1.5,"ru":"u"}',
      '{"keyId":"x","pg":"1","ru":"u"}',
    ]) {
      expect(decodeEditFormOrigin(raw)).toBeNull();
    }
    expect(decodeEditFormOrigin('{"keyId":"x","pg":1,"ru":"u","cur":"<bad>"}')).toEqual({ responseUrl: "u", list: { page: 1 } });
  });

  it("keeps its encoding: the private_metadata of rename forms open now decodes as it did", () => {
    expect(encodeEditFormMetadata(keyId)).toBe(`{"keyId":"${keyId}"}`);
    expect(encodeEditFormMetadata(keyId, { responseUrl, home: true, list: { page: 3, cursor } })).toBe(
      `{"keyId":"${keyId}","ru":"${responseUrl}","home":1,"pg":3,"cur":"${cursor}"}`,
    );
    expect(decodeEditFormOrigin(`{"keyId":"${keyId}","home":1,"pg":3}`)).toEqual({ home: true, list: { page: 3 } });
    expect(decodeEditFormOrigin(`{"keyId":"${keyId}","ru":"","home":2,"pg":3}`)).toBeNull();
    expect(decodeEditFormOrigin(`{"keyId":"${keyId}","ru":"${"u".repeat(2001)}","home":1,"pg":9999}`)).toEqual({ home: true, list: { page: 9999 } });
    for (const raw of garbage) expect(decodeEditFormOrigin(raw)).toBeNull();
  });
});

describe("integration forms' private_metadata", () => {
  const metadata = encodeIntegrationMetadata({ id: "0190a000-0000-7000-8000-000000000001", channel: "C0123456789", threadTs: "1790000000.000100", home: true });

  it("keeps ids and places in private_metadata and drops anything malformed", () => {
    expect(decodeIntegrationMetadata(metadata)).toEqual({
      id: "0190a000-0000-7000-8000-000000000001",
      channel: "C0123456789",
      threadTs: "1790000000.000100",
      home: true,
    });
    expect(decodeIntegrationMetadata("not json")).toEqual({});
    expect(decodeIntegrationMetadata(JSON.stringify({ id: "x y", ch: "U123", ts: "now" }))).toEqual({
      id: undefined,
      channel: undefined,
      threadTs: undefined,
      home: false,
    });
  });

  it("keeps its encoding: the private_metadata of integration forms open now decodes as it did", () => {
    expect(metadata).toBe('{"id":"0190a000-0000-7000-8000-000000000001","ch":"C0123456789","ts":"1790000000.000100","home":1}');
    expect(encodeIntegrationMetadata({})).toBe("{}");
    expect(decodeIntegrationMetadata("{}")).toEqual({ home: false });
    expect(decodeIntegrationMetadata('{"id":"0190a000-0000-7000-8000-000000000001"}')).toEqual({ id: "0190a000-0000-7000-8000-000000000001", home: false });
  });

  it("reads garbage as no configuration and no place", () => {
    for (const raw of garbage.filter((t) => !t.startsWith('{"__proto__'))) expect(decodeIntegrationMetadata(raw)).toEqual({});
    expect(decodeIntegrationMetadata('{"__proto__":{"id":"x"}}')).toEqual({ home: false });
    expect(decodeIntegrationMetadata('{"id":"a/b","ch":"D0DM00001","ts":"1.2.3","home":true}')).toEqual({ home: false });
  });
});
