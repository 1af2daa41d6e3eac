// Property-based tests of the key format (SPEC rule 3): only a correctly checksummed key passes the
// shape check, every truncation or typo of a generated key is refused, odd inputs are answered at
// once; and the same holds end to end through POST /api/v1/verify and Bearer authentication.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkKeyShape, generateKey, keyLength, keyPrefix, legacyKeyLength } from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { seededRandom } from "../support/fixed-runtime.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

// ---------------------------------------------------------------------------------------------
// An independent oracle: CRC-32 (IEEE) from its table, six base62 digits, most significant first.

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksumOf(body: string): string {
  let value = crc32(body);
  let digits = "";
  for (let i = 0; i < 6; i++) {
    digits = base62[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits;
}

/** What the shape check should say, from the format's description alone. */
function expectedShape(candidate: string): "ok" | "malformed" | "bad_checksum" {
  // 30 random characters (keys issued before the format grew) or 34, then 6 checksum digits.
  if (!/^kw_(?:[0-9A-Za-z]{36}|[0-9A-Za-z]{40})$/.test(candidate)) return "malformed";
  return checksumOf(candidate.slice(0, -6)) === candidate.slice(-6) ? "ok" : "bad_checksum";
}

// ---------------------------------------------------------------------------------------------

const base62Char = fc.constantFrom(...base62);
const generated = fc.string({ minLength: 1, maxLength: 12 }).map((seed) => generateKey(seededRandom(seed)));
/** A key nobody generated but with a correct checksum: the shape check must accept it too. */
const checksummed = fc
  .constantFrom(30, 34)
  .chain((n) => fc.array(base62Char, { minLength: n, maxLength: n }))
  .map((chars) => {
    const body = keyPrefix + chars.join("");
    return body + checksumOf(body);
  });
const nearKeys = fc.oneof(
  fc
    .constantFrom(36, 40)
    .chain((n) => fc.array(base62Char, { minLength: n, maxLength: n }))
    .map((chars) => keyPrefix + chars.join("")),
  fc.string({ unit: "binary", minLength: keyLength, maxLength: keyLength }),
  fc
    .constantFrom(36, 40)
    .chain((n) => fc.string({ unit: "binary", minLength: n, maxLength: n }))
    .map((rest) => keyPrefix + rest),
  fc
    .constantFrom("KW_", "kw-", "kW_", "kw_ ", " kw_")
    .chain((prefix) => fc.array(base62Char, { minLength: 40, maxLength: 40 }).map((c) => prefix + c.join(""))),
);
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  nearKeys,
  fc.constantFrom("", "kw_", keyPrefix.repeat(13)),
);

type Mutation = (key: string) => fc.Arbitrary<string>;
const otherThan = (c: string) => fc.constantFrom(...[...base62].filter((x) => x !== c));
/** Typo classes CRC-32 is guaranteed to catch, plus every change of length. */
const mutations: Record<string, Mutation> = {
  truncate: (k) => fc.integer({ min: 0, max: k.length - 1 }).map((n) => k.slice(0, n)),
  dropStart: (k) => fc.integer({ min: 1, max: k.length }).map((n) => k.slice(n)),
  deleteOne: (k) => fc.integer({ min: 0, max: k.length - 1 }).map((i) => k.slice(0, i) + k.slice(i + 1)),
  insertOne: (k) =>
    fc.tuple(fc.integer({ min: 0, max: k.length }), fc.string({ unit: "binary", minLength: 1, maxLength: 3 })).map(([i, s]) => k.slice(0, i) + s + k.slice(i)),
  substitute: (k) => fc.integer({ min: 3, max: k.length - 1 }).chain((i) => otherThan(k[i]!).map((c) => k.slice(0, i) + c + k.slice(i + 1))),
  substituteUnicode: (k) =>
    fc
      .tuple(fc.integer({ min: 0, max: k.length - 1 }), fc.constantFrom("é", "О", "０", "😀", "\u0000", " ", "_"))
      .map(([i, c]) => k.slice(0, i) + c + k.slice(i + 1)),
  flipCase: (k) =>
    fc
      .integer({ min: 3, max: k.length - 1 })
      .filter((i) => k[i]!.toLowerCase() !== k[i]!.toUpperCase())
      .map((i) => k.slice(0, i) + (k[i] === k[i]!.toLowerCase() ? k[i]!.toUpperCase() : k[i]!.toLowerCase()) + k.slice(i + 1)),
  swapAdjacent: (k) =>
    fc
      .integer({ min: 3, max: k.length - 2 })
      .filter((i) => k[i] !== k[i + 1])
      .map((i) => k.slice(0, i) + k[i + 1] + k[i] + k.slice(i + 2)),
  pad: (k) => fc.tuple(fc.constantFrom(" ", "\n", "\t", "\u00a0", "\u200b"), fc.boolean()).map(([w, before]) => (before ? w + k : k + w)),
  doubled: (k) => fc.constant(k + k),
};
const mutated = fc
  .tuple(generated, fc.constantFrom(...Object.keys(mutations)))
  .chain(([key, name]) => mutations[name]!(key).map((typo) => ({ key, name, typo })))
  .filter(({ key, typo }) => key !== typo);

/** Many random characters at once: no guarantee from CRC-32, so the oracle decides (it says "ok" about 1 in 2^32). */
const scrambled = fc
  .tuple(
    generated,
    fc.uniqueArray(fc.integer({ min: 3, max: keyLength - 1 }), { minLength: 2, maxLength: 8 }),
    fc.array(base62Char, { minLength: 8, maxLength: 8 }),
  )
  .map(([key, positions, chars]) => {
    const out = [...key];
    positions.forEach((p, i) => {
      out[p] = chars[i]!;
    });
    return out.join("");
  });

describe("key format under fuzzing", () => {
  it("calls a string ok exactly when it is a correctly checksummed key", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, checksummed, generated, scrambled), (candidate) => {
        expect(checkKeyShape(candidate)).toBe(expectedShape(candidate));
      }),
      { numRuns: 200 },
    );
  });

  it("accepts every generated key and every checksummed key nobody generated", () => {
    fc.assert(
      fc.property(fc.oneof(generated, checksummed), (key) => {
        expect([keyLength, legacyKeyLength]).toContain(key.length);
        expect(checkKeyShape(key)).toBe("ok");
      }),
      { numRuns: 200 },
    );
    for (let i = 0; i < 50; i++) expect(checkKeyShape(generateKey(cryptoRandom))).toBe("ok");
  });

  it("refuses every truncation, insertion, deletion, substitution, case flip and swap of a generated key", () => {
    fc.assert(
      fc.property(mutated, ({ typo }) => {
        const shape = checkKeyShape(typo);
        expect(shape).not.toBe("ok");
        expect(shape).toBe(expectedShape(typo));
        if (typo.length !== keyLength && typo.length !== legacyKeyLength) expect(shape).toBe("malformed");
      }),
      { numRuns: 200 },
    );
  });

  it("answers huge and unicode inputs at once", () => {
    const hugeInput = fc
      .tuple(
        fc.oneof(fc.constantFrom("kw_", "a", "😀", "\u0000", " ", "kw_AAAA"), fc.string({ unit: "binary", minLength: 1, maxLength: 8 })),
        fc.integer({ min: 1_000, max: 2_000_000 }),
      )
      .map(([chunk, size]) => chunk.repeat(Math.ceil(size / chunk.length)));
    fc.assert(
      fc.property(fc.oneof(hugeInput, fc.string({ unit: "grapheme", minLength: keyLength - 2, maxLength: keyLength + 2 })), (input) => {
        const started = performance.now();
        const shape = checkKeyShape(input);
        expect(performance.now() - started).toBeLessThan(50);
        expect(shape).toBe(expectedShape(input));
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The same end to end: POST /api/v1/verify (what other services call) and Bearer authentication.

describe("key verification over REST under fuzzing", () => {
  let app: TestApp;
  let liveKey: string;
  let deletedKey: string;
  let requests = 0;

  async function verify(body: unknown): Promise<{ status: number; json: Record<string, unknown>; contentType: string | null; ms: number }> {
    requests++;
    const started = performance.now();
    const res = await fetch(`${app.keyward.url}/api/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: JSON.parse(text) as Record<string, unknown>,
      contentType: res.headers.get("content-type"),
      ms: performance.now() - started,
    };
  }

  async function rolesWith(key: string): Promise<number> {
    requests++;
    const res = await fetch(`${app.keyward.url}/api/v1/roles`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    if (res.status !== 200) expect(body.error?.code).toBeTruthy();
    return res.status;
  }

  const refused = { valid: false, workspaceId: null, keyId: null, role: null, permissions: [], expiresAt: null };

  beforeAll(async () => {
    app = await startTestApp({ env: { API_AUTH_FAILURES_PER_MINUTE: "100000" } });
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UKEYFUZZ1", { isWorkspaceAdmin: true }, "slack");
    const make = async (name: string) =>
      (await app.keyward.services.keys.create(admin, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
    liveKey = await make("fuzz-live");
    deletedKey = await make("fuzz-deleted");
    await app.keyward.services.keys.delete(admin, (await app.keyward.services.keys.find(admin, "fuzz-deleted")).id);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("verifies the live key and refuses the deleted one", async () => {
    expect((await verify({ key: liveKey })).json).toMatchObject({ valid: true, role: "Viewer" });
    expect((await verify({ key: deletedKey })).json).toMatchObject({ ...refused, reason: "deleted" });
  });

  it("refuses any non-key string as malformed, and a checksummed stranger as unknown, always with 200 JSON", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyText, checksummed, scrambled), async (candidate) => {
        fc.pre(candidate !== liveKey && candidate !== deletedKey);
        const answer = await verify({ key: candidate });
        expect(answer.status).toBe(200);
        expect(answer.contentType).toMatch(/^application\/json/);
        expect(answer.json).toEqual({ ...refused, reason: expectedShape(candidate) === "ok" ? "unknown" : "malformed" });
      }),
      { numRuns: 60 },
    );
  });

  it("refuses every typo of the live key, through /verify and as a Bearer key", async () => {
    const typos = fc
      .constantFrom(...Object.keys(mutations))
      .chain((name) => mutations[name]!(liveKey).map((typo) => ({ name, typo })))
      .filter(({ typo }) => typo !== liveKey);
    await fc.assert(
      fc.asyncProperty(typos, async ({ typo }) => {
        const answer = await verify({ key: typo });
        expect(answer.status).toBe(200);
        expect(answer.json).toEqual({ ...refused, reason: "malformed" });
        // As a header value only printable ASCII without spaces survives HTTP unchanged (a padded key is
        // trimmed back to the key by the HTTP parser, other characters are refused by fetch itself).
        if (/^[\x21-\x7e]+$/.test(typo)) expect(await rolesWith(typo)).toBe(401);
      }),
      { numRuns: 50 },
    );
    expect(await rolesWith(liveKey)).toBe(200);
  });

  it("answers huge keys quickly, and bodies over 64 KiB with 400", async () => {
    // Bodies stay under ~90 KB: a larger one makes the server hold its socket (see the BUG test in
    // rest-bodies.fuzz.test.ts), and the app's close() then waits for keep-alive to time out.
    const sized = fc
      .tuple(fc.constantFrom("kw_", "a", "😀", "\\", '"'), fc.oneof(fc.integer({ min: 40, max: 1_200 }), fc.integer({ min: 1_000, max: 90_000 })))
      .map(([chunk, bytes]) => chunk.repeat(Math.max(1, Math.floor(bytes / Buffer.byteLength(JSON.stringify(chunk).slice(1, -1))))));
    await fc.assert(
      fc.asyncProperty(sized, async (key) => {
        const answer = await verify({ key });
        expect(answer.ms).toBeLessThan(1000);
        if (Buffer.byteLength(JSON.stringify({ key })) > 64 * 1024) {
          expect(answer.status).toBe(400);
          expect(answer.json).toMatchObject({ error: { code: "malformed_request" } });
        } else if ([...key].length > 1000) {
          // The request schema caps a key at 1000 characters (zod counts code points): a validation error.
          expect(answer.status).toBe(422);
          expect(answer.json).toMatchObject({ error: { code: "validation_failed", message: expect.any(String) } });
        } else {
          expect(answer.json).toEqual({ ...refused, reason: "malformed" });
        }
      }),
      { numRuns: 20 },
    );
    // A few hundred requests in all, as the brief bounds it.
    expect(requests).toBeLessThan(400);
  });
});
