import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

type Json = Record<string, any>;
type Answer = { status: number; json: Json };

/**
 * Issue 9 item 6: conflicting changes of one key, sent at the same moment to two instances
 * sharing one PostgreSQL database, have exactly one winner; the loser gets 409 (or 404 when the
 * key was already gone before it started). On PGlite (one instance, one connection) the same
 * requests serialise; the rules must hold there too.
 */
const rounds = 20;

describe.each(databaseKinds())("races on one key (%s)", (kind) => {
  let db: TestDatabase | undefined;
  let a: Keyward;
  let b: Keyward;
  let admin: Actor;
  let adminKey: string;
  const team = "TRACES";

  beforeAll(async () => {
    if (kind === "postgres") db = await createTestDatabase("postgres");
    const start = async () =>
      startKeyward({
        config: loadConfig({
          ...(db ? { DATABASE_URL: db.url! } : {}),
          KEYWARD_PEPPER: "f".repeat(64),
          KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 5).toString("base64")}`,
          PORT: "0",
          DATA_DIR: await mkdtemp(join(tmpdir(), "kw-races-")),
        }),
        logger: createLogger("silent"),
        reminderScheduler: false,
      });
    a = await start();
    // PGlite is one process's database: the "second instance" is the first one again.
    b = kind === "postgres" ? await start() : a;
    admin = await a.services.access.actorForUser(team, "URACEADMIN", { isWorkspaceAdmin: true }, "slack");
    adminKey = (await a.services.keys.create(admin, { name: "race-admin", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    if (b !== a) await b?.close();
    await db?.close();
  });

  async function call(app: Keyward, method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${adminKey}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${app.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Json };
  }

  const makeKey = async (name: string) => (await a.services.keys.create(admin, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).key.id;
  const row = (id: string) => a.db.prisma.apiKey.findUniqueOrThrow({ where: { id } });
  /** Keys that work or will (not deleted), are nobody's predecessor, and hold this name: the ones the name means. */
  const current = (name: string) => a.db.prisma.apiKey.findMany({ where: { workspaceId: team, name, deletedAt: null, replacedBy: null } });
  /** Runs every round even after a broken one, so that a failure says how many of the rounds broke. */
  async function eachRound(body: (round: number) => Promise<void>): Promise<void> {
    const broken: string[] = [];
    for (let round = 0; round < rounds; round++) {
      await body(round).catch((error: Error) => broken.push(`round ${round}: ${error.message.split("\n")[0]}`));
    }
    expect(broken, `${broken.length} of ${rounds} rounds broke`).toEqual([]);
  }
  const roll = (app: Keyward, id: string) => call(app, "POST", `/api-keys/${id}/roll`, { graceHours: 1 });

  it(`four concurrent rolls of one key, over two instances: one 201, three 409, one live replacement (${rounds} rounds)`, async () => {
    await eachRound(async (round) => {
      const name = `roll4-${round}`;
      const id = await makeKey(name);
      const answers = await Promise.all([roll(a, id), roll(b, id), roll(a, id), roll(b, id)]);
      expect(answers.map((r) => r.status).sort(), `round ${round}`).toEqual([201, 409, 409, 409]);
      for (const loser of answers.filter((r) => r.status === 409)) expect(loser.json.error.code).toBe("conflict");
      const winner = answers.find((r) => r.status === 201)!;
      const replacements = await current(name);
      expect(
        replacements.map((k) => k.id),
        `round ${round}`,
      ).toEqual([winner.json.id]);
      expect((await row(id)).replacedBy).toBe(winner.json.id);
      // The losers wrote nothing: no stray replacement, pending or deleted.
      expect(await a.db.prisma.apiKey.count({ where: { workspaceId: team, name } })).toBe(2);
    });
  });

  it(`a roll racing a delete: one wins, the other is refused, and a deleted key has no live replacement (${rounds} rounds)`, async () => {
    const seen: Record<string, number> = {};
    await eachRound(async (round) => {
      const name = `roll-del-${round}`;
      const id = await makeKey(name);
      const [rolled, deleted] = await Promise.all([roll(a, id), call(b, "DELETE", `/api-keys/${id}`)]);
      const outcome = `roll ${rolled.status}, delete ${deleted.status}`;
      seen[outcome] = (seen[outcome] ?? 0) + 1;
      expect([`roll 201, delete 409`, `roll 409, delete 204`, `roll 404, delete 204`], `round ${round}`).toContain(outcome);
      const old = await row(id);
      if (deleted.status === 204) {
        expect(old.deletedAt).not.toBeNull();
        expect(await current(name), `round ${round}: the deleted key's replacement is live`).toEqual([]);
        expect(await a.db.prisma.apiKey.count({ where: { workspaceId: team, name } })).toBe(1);
      } else {
        expect(deleted.json.error).toMatchObject({ code: "conflict", details: { replacedBy: rolled.json.id } });
        expect(deleted.json.error.message).toContain(rolled.json.id);
        expect(old.deletedAt).toBeNull();
        expect((await current(name)).map((k) => k.id)).toEqual([rolled.json.id]);
      }
    });
    console.info(`roll vs delete on ${kind}:`, seen);
  });

  it(`a rename racing a roll: never a replacement under the old name while its predecessor was renamed (${rounds} rounds)`, async () => {
    const seen: Record<string, number> = {};
    await eachRound(async (round) => {
      const name = `ren-roll-${round}`;
      const renamed = `${name}-renamed`;
      const id = await makeKey(name);
      const [rolled, patched] = await Promise.all([roll(a, id), call(b, "PATCH", `/api-keys/${id}`, { name: renamed })]);
      const outcome = `roll ${rolled.status}, rename ${patched.status}`;
      seen[outcome] = (seen[outcome] ?? 0) + 1;
      // Rename first, then roll: both fine (the replacement takes the new name). Roll first: the rename is refused.
      expect([`roll 201, rename 409`, `roll 201, rename 200`], `round ${round}`).toContain(outcome);
      const old = await row(id);
      const replacement = await row(rolled.json.id);
      expect(replacement.name, `round ${round}`).toBe(old.name);
      expect(old.name).toBe(patched.status === 200 ? renamed : name);
      expect([...(await current(name)), ...(await current(renamed))].map((k) => k.id)).toEqual([replacement.id]);
      if (patched.status === 409) expect(patched.json.error.code).toBe("conflict");
    });
    console.info(`rename vs roll on ${kind}:`, seen);
  });

  it(`two creates of one name, on two instances: one 201, one 409 (${rounds} rounds)`, async () => {
    await eachRound(async (round) => {
      const name = `twin-${round}`;
      const body = { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };
      const answers = await Promise.all([call(a, "POST", "/api-keys", body), call(b, "POST", "/api-keys", body)]);
      expect(answers.map((r) => r.status).sort(), `round ${round}`).toEqual([201, 409]);
      expect(answers.find((r) => r.status === 409)!.json.error.code).toBe("conflict");
      expect(await a.db.prisma.apiKey.count({ where: { workspaceId: team, name } })).toBe(1);
    });
  });

  it(`a rename and a create of one name, on two instances: one wins (${rounds} rounds)`, async () => {
    await eachRound(async (round) => {
      const name = `taken-${round}`;
      const id = await makeKey(`before-${round}`);
      const [patched, created] = await Promise.all([
        call(a, "PATCH", `/api-keys/${id}`, { name }),
        call(b, "POST", "/api-keys", { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" }),
      ]);
      const outcome = `rename ${patched.status}, create ${created.status}`;
      expect([`rename 200, create 409`, `rename 409, create 201`], `round ${round}`).toContain(outcome);
      expect(await a.db.prisma.apiKey.count({ where: { workspaceId: team, name, deletedAt: null } })).toBe(1);
    });
  });
});
