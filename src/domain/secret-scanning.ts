// What keyward publishes for secret scanners (README "Leaked keys"): the regular expression of its
// keys, the gitleaks rule built on it, and the token types its GitLab Token Revocation API lists.
// All derived from key-format.ts, so a change of the format changes what is published (tests check).
import { checksumLength, keyPrefix, legacyRandomLength, randomLength } from "./key-format.ts";

/**
 * Every keyward key, current (40 characters after the prefix) and legacy (36), as RE2, Go's and
 * JavaScript's regular expressions all read it: `\b` on both sides, so no key is found inside a
 * longer word. The longer alternative comes first, so a current key is never cut to a legacy one.
 */
export const keyRegexSource = `\\b${keyPrefix}(?:[0-9A-Za-z]{${randomLength + checksumLength}}|[0-9A-Za-z]{${legacyRandomLength + checksumLength}})\\b`;

/**
 * The gitleaks rule keyward publishes. Its id and its description both read `keyward_api_key` in
 * lower case with underscores, which is how GitLab names the finding's type for the revocation API.
 */
export const gitleaksRule = { id: "keyward_api_key", description: "keyward API key", keywords: [keyPrefix] } as const;

/** GitLab's name for a gitleaks rule's findings: `gitleaks_rule_id_` and the rule's name in lower case with underscores. */
export const gitlabTokenType = (ruleName: string): string => `gitleaks_rule_id_${ruleName.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;

/** What `GET /gitlab/v1/revocable_token_types` answers. */
export const revocableTokenTypes: readonly string[] = [gitlabTokenType(gitleaksRule.id)];
