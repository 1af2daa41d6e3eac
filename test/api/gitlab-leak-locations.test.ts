import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FailedAuthentications } from "../../src/api/failed-authentications.ts";
import { createGitlabHandler } from "../../src/api/gitlab-handler.ts";
import { generateKey } from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { defaultMigrationsDir } from "../../src/db/migrator.ts";
import { type LeakLocation, type LeakReport, type LeakService, maxLocationBytes } from "../../src/domain/leak-service.ts";
import { createLogger } from "../../src/logger.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

// Hostile review of issue 15: a scanner's location is text of the scanner's choosing. One the
// database could not store (a NUL; a place too long for the sightings index) made the answer throw
// for a live key only, so the key stayed live, the rest of GitLab's batch was never looked at, and
// the 500 told a holder of the pre-shared token that the key was live.

const token = "pre-shared-0123456789abcdef";
const type = "gitleaks_rule_id_keyward_api_key";
const cjk = Array.from({ length: 2000 }, (_, i) => String.fromCodePoint(0x4e00 + ((i * 7919) % 20000))).join("");
const sightingMigration = "20261202024000_leak_sighting_digest";

describe.each(databaseKinds())("GitLab findings with hostile locations, on %s", (kind) => {
  let f: DomainFixture;
  const servers: Server[] = [];
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });
  afterAll(async () => {
    await f?.close();
  });

  const input = { name: "leaky", description: "d", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };
  const leakEvents = (workspaceId: string) => f.db.prisma.auditEvent.findMany({ where: { workspaceId, action: "api_key.leak" } });

  /** The handler over the fixture's leak service; `failFor`: tokens whose answer throws (an injected failure). */
  async function serve(failFor: string[] = []) {
    const announced: LeakReport[] = [];
    const real = f.services.leaks;
    const leaks = {
      respond: (secret: string, scope: { source: "api" }, where: LeakLocation) =>
        failFor.includes(secret) ? Promise.reject(new Error("injected failure")) : real.respond(secret, scope, where),
    } as unknown as LeakService;
    const handler = createGitlabHandler({
      services: { leaks },
      clock: f.clock,
      logger: createLogger("silent"),
      token,
      failedAuth: new FailedAuthentications(f.clock, 20, []),
      announce: async (report) => void announced.push(report),
    });
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitlab/v1/revoke_tokens`;
    const revoke = (findings: Array<{ token: string; location?: string }>) =>
      fetch(url, {
        method: "POST",
        headers: { authorization: token, "content-type": "application/json" },
        body: JSON.stringify(findings.map((finding) => ({ type, ...finding }))),
      });
    return { revoke, announced };
  }

  async function liveKey(workspaceId: string, name: string) {
    const admin = await f.actor(workspaceId, "admin");
    return f.services.keys.create(admin, { ...input, name });
  }

  for (const [label, location, cleaned] of [
    ["a NUL", "https://gitlab.example/x\u0000y", "https://gitlab.example/xy"],
    ["2000 CJK characters (~6000 bytes)", cjk, cjk.slice(0, Math.floor(maxLocationBytes / 3))],
    ["bidi overrides, a zero-width space inside the key and a lone surrogate", "file\u202e.ts\u2066 \ud800 KEY", "file.ts  [redacted]"],
  ] as const) {
    it(`revokes a live key whose location holds ${label}, and audits the location cleaned, never the key`, async () => {
      const ws = f.workspace();
      const { key, secret } = await liveKey(ws, "poisoned");
      // The key itself in the location too, split by a zero-width space that cleaning removes.
      const sent = location.replace("KEY", `${secret.slice(0, 10)}\u200b${secret.slice(10)}`);
      const { revoke, announced } = await serve();
      expect((await revoke([{ token: secret, location: sent }])).status).toBe(204);
      expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
      const events = await leakEvents(ws);
      expect(events).toHaveLength(1);
      expect(events[0]?.details).toMatchObject({ revoked: true, seenIn: { surface: "gitlab", location: cleaned } });
      expect(Buffer.byteLength(cleaned)).toBeLessThanOrEqual(maxLocationBytes);
      expect(announced.map((r) => [r.key.id, r.location])).toEqual([[key.id, { kind: "scanner", scanner: "gitlab", location: cleaned }]]);
      expect(await f.db.dump()).not.toContain(secret);
    });
  }

  // Second review: the location was redacted for the finding's own exact token only.
  describe("a location holding another key, or the finding's own key split by an invisible character", () => {
    /** A key-shaped string that fails keyward's checksum: still a secret to someone, never kept. */
    const forged = () => `kw_${generateKey(cryptoRandom).slice(3, 40)}ZZZ`;
    for (const [label, other] of [
      ["another live key", async (ws: string) => (await liveKey(ws, "bystander")).secret],
      ["a key of another workspace", async () => (await liveKey(f.workspace(), "elsewhere")).secret],
      ["a key-shaped string that fails the checksum", async () => forged()],
      ["a legacy-length key-shaped string", async () => `kw_${"A1b2C3d4E5".repeat(3)}QQQQQQ`],
      [
        "another key split by a combining mark (U+0301, which cleaning keeps)",
        async (ws: string) => {
          const b = (await liveKey(ws, "accented")).secret;
          return `${b.slice(0, 12)}\u0301${b.slice(12)}`;
        },
      ],
    ] as const) {
      it(`keeps ${label} out of the database, the audit and the announcement`, async () => {
        const ws = f.workspace();
        const { key, secret } = await liveKey(ws, "reported");
        const b = await other(ws);
        const { revoke, announced } = await serve();
        expect((await revoke([{ token: secret, location: `https://gitlab.example/${b}/x.ts#L3` }])).status).toBe(204);
        const cleaned = "https://gitlab.example/[redacted]/x.ts#L3";
        const events = await leakEvents(ws);
        expect(events.map((e) => e.details)).toEqual([expect.objectContaining({ seenIn: { surface: "gitlab", location: cleaned } })]);
        expect(announced.map((r) => [r.key.id, r.location])).toEqual([[key.id, { kind: "scanner", scanner: "gitlab", location: cleaned }]]);
        const dump = await f.db.dump();
        // Nor its random part alone: what a reader needs to rebuild it.
        for (const part of [b, b.normalize("NFC"), b.slice(3, 20), secret]) expect(dump).not.toContain(part);
      });
    }

    for (const [label, mark] of [
      ["U+FE0F (a variation selector, Mn)", "\ufe0f"],
      ["U+034F (the combining grapheme joiner, Mn)", "\u034f"],
      ["U+3164 (the Hangul filler, Lo but default-ignorable)", "\u3164"],
      ["U+0301 (a combining acute accent, which shows)", "\u0301"],
      ["several of them at once", "\ufe0f\u034f\u3164\u200b"],
    ] as const) {
      it(`redacts the finding's own key split by ${label}`, async () => {
        const ws = f.workspace();
        const { key, secret } = await liveKey(ws, "split");
        const split = `${secret.slice(0, 3)}${mark}${secret.slice(3, 17)}${mark}${secret.slice(17)}`;
        const { revoke, announced } = await serve();
        expect((await revoke([{ token: secret, location: `src/deploy.ts: token = "${split}"` }])).status).toBe(204);
        const cleaned = 'src/deploy.ts: token = "[redacted]"';
        expect((await leakEvents(ws)).map((e) => e.details)).toEqual([expect.objectContaining({ seenIn: { surface: "gitlab", location: cleaned } })]);
        expect(announced.map((r) => [r.key.id, r.location])).toEqual([[key.id, { kind: "scanner", scanner: "gitlab", location: cleaned }]]);
        const dump = await f.db.dump();
        for (const part of [secret, secret.slice(3, 17), secret.slice(17)]) expect(dump).not.toContain(part);
      });
    }

    it("keeps what is no key: short kw_ runs and text around a redacted key", async () => {
      const ws = f.workspace();
      const { secret } = await liveKey(ws, "near-miss");
      const { revoke, announced } = await serve();
      const location = `kw_short kw_1234567890123456789 ${forged()} tail`;
      expect((await revoke([{ token: secret, location }])).status).toBe(204);
      expect(announced.map((r) => r.location)).toEqual([{ kind: "scanner", scanner: "gitlab", location: "kw_short kw_1234567890123456789 [redacted] tail" }]);
    });
  });

  it("still revokes the later keys of a batch when an earlier finding fails, and answers 500 so that GitLab retries", async () => {
    const ws = f.workspace();
    const a = await liveKey(ws, "first");
    const b = await liveKey(ws, "second");
    const failing = await serve([a.secret]);
    expect(
      (
        await failing.revoke([
          { token: a.secret, location: "x" },
          { token: b.secret, location: "y" },
        ])
      ).status,
    ).toBe(500);
    expect(await f.services.keys.verify(b.secret)).toMatchObject({ valid: false, reason: "deleted" });
    expect((await f.services.keys.verify(a.secret)).valid).toBe(true);
    expect(failing.announced.map((r) => r.key.id)).toEqual([b.key.id]);
    // GitLab's retry: the revoked key is no longer live (nothing again), the other one is revoked now.
    const retried = await serve();
    expect(
      (
        await retried.revoke([
          { token: a.secret, location: "x" },
          { token: b.secret, location: "y" },
        ])
      ).status,
    ).toBe(204);
    expect(retried.announced.map((r) => r.key.id)).toEqual([a.key.id]);
    expect(await f.services.keys.verify(a.secret)).toMatchObject({ valid: false, reason: "deleted" });
    expect(await leakEvents(ws)).toHaveLength(2);
  });

  it("answers the same place reported twice in alert only mode once, a long one too", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.leaks.setLeakMode(admin, "alert_only");
    const { key, secret } = await liveKey(ws, "alerted");
    const { revoke, announced } = await serve();
    for (const location of [cjk, cjk, `${cjk}\u0000`, "https://gitlab.example/a", "https://gitlab.example/a"])
      expect((await revoke([{ token: secret, location }])).status).toBe(204);
    // The third is the first once cleaned: the same place.
    expect(announced.map((r) => r.location)).toEqual([
      { kind: "scanner", scanner: "gitlab", location: cjk.slice(0, Math.floor(maxLocationBytes / 3)) },
      { kind: "scanner", scanner: "gitlab", location: "https://gitlab.example/a" },
    ]);
    expect((await f.services.keys.verify(secret)).valid).toBe(true);
    expect(await leakEvents(ws)).toHaveLength(2);
    const places = await f.db.sql.query<{ place: string }>(`SELECT place FROM "LeakSighting" WHERE "keyId" = $1`, [key.id]);
    expect(places.map((p) => p.place)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });

  it("still recognises a place stored before the digest, once the migration rewrote it (SQL's digest is sightingPlace's)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.leaks.setLeakMode(admin, "alert_only");
    const { key, secret } = await liveKey(ws, "seen-before");
    const slackKey = await liveKey(ws, "seen-in-slack");
    const old = "https://gitlab.example/grüße/文件.ts#L3 😀";
    const slack: LeakLocation = { kind: "slack", channel: "C0OLD", ts: "1700000000.000100", permalink: null, postedBy: null };
    // Rows as keyward wrote them before: the place as raw text.
    const insert = `INSERT INTO "LeakSighting" ("keyId", place, "seenAt") VALUES ($1, $2, now())`;
    await f.db.sql.query(insert, [key.id, `gitlab:${old}`]);
    await f.db.sql.query(insert, [slackKey.key.id, "slack:C0OLD:1700000000.000100"]);
    // The migration's own SQL (it leaves places that are digests already alone, so running it again here is safe).
    await f.db.sql.exec(await readFile(path.join(defaultMigrationsDir, sightingMigration, "migration.sql"), "utf8"));
    const { revoke, announced } = await serve();
    expect((await revoke([{ token: secret, location: old }])).status).toBe(204);
    expect(await f.services.leaks.respond(slackKey.secret, { workspaceId: ws, source: "slack" }, slack)).toBeNull();
    expect(announced).toEqual([]);
    // A place not seen before is still answered: the test can tell the two apart.
    expect((await revoke([{ token: secret, location: `${old}?new` }])).status).toBe(204);
    expect(announced.map((r) => r.key.id)).toEqual([key.id]);
    expect(await leakEvents(ws)).toHaveLength(1);
  });
});
