import { describe, expect, it } from "vitest";
import { generateKey, keyLength, legacyKeyLength } from "../../src/domain/key-format.ts";
import { findKeyCandidates, maxCandidatesPerText } from "../../src/domain/leak-service.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { gitlabTokenType, gitleaksRule, keyRegexSource, revocableTokenTypes } from "../../src/domain/secret-scanning.ts";
import { legacyKey } from "../support/fixed-runtime.ts";

const randomLegacy = () => legacyKey(generateKey(cryptoRandom).slice(3, 33));

describe("what keyward publishes for secret scanners", () => {
  it("has a regular expression that finds generated keys of both lengths, whole, and nothing shorter, longer or inside a word", () => {
    const whole = new RegExp(`^${keyRegexSource}$`);
    const anywhere = new RegExp(keyRegexSource, "g");
    for (let i = 0; i < 200; i++) {
      const current = generateKey(cryptoRandom);
      const legacy = randomLegacy();
      expect(current).toHaveLength(keyLength);
      expect(legacy).toHaveLength(legacyKeyLength);
      for (const key of [current, legacy]) {
        expect(key).toMatch(whole);
        expect([...`token="${key}";`.matchAll(anywhere)].map((m) => m[0])).toEqual([key]);
        expect(`x${key}`).not.toMatch(anywhere);
        expect(`${key}x`).not.toMatch(anywhere);
      }
      expect(current.slice(0, -1)).not.toMatch(anywhere);
    }
    // As published, it is the RE2 subset (no look-around): what gitleaks, GitHub and GitLab read.
    expect(keyRegexSource).toBe("\\bkw_(?:[0-9A-Za-z]{40}|[0-9A-Za-z]{36})\\b");
  });

  it("names the gitleaks rule so that GitLab's type for it is the one the revocation API lists", () => {
    expect(revocableTokenTypes).toEqual(["gitleaks_rule_id_keyward_api_key"]);
    // GitLab builds the type from the finding's identifier: the rule's id or its description, either way the same.
    expect(gitlabTokenType(gitleaksRule.id)).toBe(revocableTokenTypes[0]);
    expect(gitlabTokenType(gitleaksRule.description)).toBe(revocableTokenTypes[0]);
    expect(gitlabTokenType("GitLab Personal Access Token")).toBe("gitleaks_rule_id_gitlab_personal_access_token");
  });
});

describe("findKeyCandidates", () => {
  it("returns each string passing the checksum once, whatever surrounds it, and nothing else", () => {
    const a = generateKey(cryptoRandom);
    const b = randomLegacy();
    const typo = `${a.slice(0, -1)}${a.endsWith("0") ? "1" : "0"}`;
    const text = `deploy with \`${a}\`, or <${b}|this>; not ${typo}, not x${a}, again: ${a}`;
    expect(findKeyCandidates(text)).toEqual([a, b]);
    expect(findKeyCandidates("no keys here kw_ kw_123")).toEqual([]);
  });

  it("reads every text of a message (its text, attachments, blocks), each candidate once, up to a bound of distinct candidates", () => {
    const a = generateKey(cryptoRandom);
    const b = generateKey(cryptoRandom);
    expect(findKeyCandidates(`text ${a}`, `attachment ${b}`, `block ${a}`)).toEqual([a, b]);
    const many = Array.from({ length: maxCandidatesPerText + 5 }, () => generateKey(cryptoRandom));
    // Repeats do not use the bound up: a key after many copies of one decoy is still found.
    expect(findKeyCandidates(Array(5000).fill(a).join(" "), b)).toEqual([a, b]);
    expect(findKeyCandidates(many.join(" "))).toEqual(many.slice(0, maxCandidatesPerText));
  });
});
