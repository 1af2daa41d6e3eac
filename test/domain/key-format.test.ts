import { describe, expect, it } from "vitest";
import {
  checkKeyShape,
  checksumLength,
  generateKey,
  keyLength,
  keyPrefix,
  lastFour,
  legacyKeyLength,
  legacyRandomLength,
  randomLength,
  shownLength,
} from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { legacyKey, seededRandom } from "../support/fixed-runtime.ts";

describe("key format", () => {
  it("has the prefix, base62 body and a valid checksum", () => {
    const key = generateKey(cryptoRandom);
    expect(key.startsWith(keyPrefix)).toBe(true);
    expect(key).toHaveLength(keyLength);
    expect(key).toMatch(/^kw_[0-9A-Za-z]{40}$/);
    expect(checkKeyShape(key)).toBe("ok");
  });

  it("carries at least 160 random bits", () => {
    expect(randomLength * Math.log2(62)).toBeGreaterThanOrEqual(160);
    const keys = new Set(Array.from({ length: 2000 }, () => generateKey(cryptoRandom)));
    expect(keys.size).toBe(2000);
  });

  it("leaves at least 160 bits unknown to someone who sees the last 4 characters", () => {
    // What lastFour shows is a function of the random part (checksum digits, or random characters
    // themselves if it reached past the checksum): at most log2(62) bits per character shown.
    expect(lastFour(generateKey(cryptoRandom))).toHaveLength(shownLength);
    const revealed = Math.min(shownLength * Math.log2(62), shownLength <= checksumLength ? 32 : Infinity);
    const unknown = randomLength * Math.log2(62) - revealed;
    expect(unknown).toBeGreaterThanOrEqual(160);
    // The old format did not: 30 random characters less the 4 checksum digits shown.
    expect(legacyRandomLength * Math.log2(62) - revealed).toBeLessThan(160);
  });

  it("still accepts keys issued in the old format (30 random characters), with their checksum", () => {
    const legacy = legacyKey("0123456789abcdefghijABCDEFGHIJ");
    expect(legacy).toHaveLength(legacyKeyLength);
    expect(checkKeyShape(legacy)).toBe("ok");
    expect(checkKeyShape(legacy.slice(0, -1) + (legacy.at(-1) === "a" ? "b" : "a"))).toBe("bad_checksum");
    expect(generateKey(cryptoRandom)).not.toHaveLength(legacyKeyLength);
  });

  it("is reproducible from injected randomness", () => {
    expect(generateKey(seededRandom("a"))).toBe(generateKey(seededRandom("a")));
    expect(generateKey(seededRandom("a"))).not.toBe(generateKey(seededRandom("b")));
  });

  it("uses every base62 character with no strong bias", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) for (const c of generateKey(cryptoRandom).slice(3, 3 + randomLength)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    const expected = (2000 * randomLength) / 62;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.2);
  });

  it("refuses every single-character typo through the checksum", () => {
    const key = generateKey(seededRandom("typo"));
    for (let i = 3; i < key.length; i++) {
      const replacement = key[i] === "a" ? "b" : "a";
      const typo = key.slice(0, i) + replacement + key.slice(i + 1);
      expect(checkKeyShape(typo)).toBe("bad_checksum");
    }
  });

  it.each([
    ["", "malformed"],
    ["kw_", "malformed"],
    [`xx_${"a".repeat(36)}`, "malformed"],
    [`kw_${"a".repeat(35)}`, "malformed"],
    [`kw_${"a".repeat(37)}`, "malformed"],
    [`kw_${"a".repeat(39)}`, "malformed"],
    [`kw_${"a".repeat(41)}`, "malformed"],
    [`kw_${"a".repeat(35)}-`, "malformed"],
    [`kw_${"é".repeat(36)}`, "malformed"],
    [` kw_${"a".repeat(36)}`, "malformed"],
    [`kw_${"a".repeat(100_000)}`, "malformed"],
  ])("calls %j %s", (candidate, shape) => {
    expect(checkKeyShape(candidate)).toBe(shape);
  });

  it("keeps the last four characters", () => {
    expect(lastFour("kw_abcdWXYZ")).toBe("WXYZ");
  });
});

describe("ids", () => {
  it("sort in creation order, even within one millisecond", async () => {
    const { newId, looksLikeId } = await import("../../src/domain/runtime.ts");
    const clock = { now: () => new Date("2026-11-27T12:00:00Z") };
    const ids = Array.from({ length: 5000 }, () => newId(clock, cryptoRandom));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(looksLikeId)).toBe(true);
    expect(ids[0]!.slice(14, 15)).toBe("7");
  });
});
