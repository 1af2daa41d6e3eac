import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

type Json = Record<string, any>;

async function call(base: string, method: string, path: string, options: { key?: string; body?: unknown } = {}) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(options.key ? { authorization: `Bearer ${options.key}` } : {}), ...(options.body ? { "content-type": "application/json" } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Json };
}

const verify = (base: string, key: string) => call(base, "POST", "/verify", { body: { key } });

describe("GET /api/v1/api-keys/{id}/usage", () => {
  let app: TestApp;
  let admin: Actor;
  let adminKey: string;
  // Two seconds before midnight UTC: the test's uses fall on two days.
  const clock = new ManualClock(new Date("2026-12-01T23:59:58Z"));
  const base = () => app.keyward.url;

  beforeAll(async () => {
    app = await startTestApp({ clock, env: { API_AUTH_FAILURES_PER_MINUTE: "1000" } });
    admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UUSAGEADM", { isWorkspaceAdmin: true }, "slack");
    adminKey = (await app.keyward.services.keys.create(admin, { name: "usage-admin", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("counts each verify and REST authentication on its UTC day, once flushed, over 90 days with zeros filled", async () => {
    clock.set("2026-12-01T23:59:58Z");
    const { key, secret } = await app.keyward.services.keys.create(admin, { name: "counted", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    for (let i = 0; i < 2; i++) expect((await verify(base(), secret)).json.valid).toBe(true);
    clock.set("2026-12-02T00:00:01Z");
    for (let i = 0; i < 3; i++) expect((await verify(base(), secret)).json.valid).toBe(true);
    expect((await call(base(), "GET", "/roles", { key: secret })).status).toBe(200); // REST authentication counts too
    // Refused presentations are not uses.
    expect((await verify(base(), `${secret.slice(0, -1)}${secret.endsWith("a") ? "b" : "a"}`)).json.valid).toBe(false);

    // Nothing is written per request: the counts wait in memory for the flush.
    const unflushed = await call(base(), "GET", `/api-keys/${key.id}/usage`, { key: adminKey });
    expect(unflushed.json.data.every((d: Json) => d.count === 0)).toBe(true);
    await app.keyward.services.usageCounter.flush();

    const usage = await call(base(), "GET", `/api-keys/${key.id}/usage`, { key: adminKey });
    expect(usage.status).toBe(200);
    const data = usage.json.data as Array<{ day: string; count: number }>;
    expect(data).toHaveLength(90);
    expect(data[0]).toEqual({ day: "2026-09-04", count: 0 });
    expect(data.slice(-3)).toEqual([
      { day: "2026-11-30", count: 0 },
      { day: "2026-12-01", count: 2 },
      { day: "2026-12-02", count: 4 },
    ]);

    // A second flush adds to the day's row, it does not replace it.
    await verify(base(), secret);
    await app.keyward.services.usageCounter.flush();
    expect((await call(base(), "GET", `/api-keys/${key.id}/usage`, { key: adminKey })).json.data.at(-1)).toEqual({ day: "2026-12-02", count: 5 });
  });

  it("is 404 for another workspace's key and for no key at all, and writes nothing", async () => {
    const other = await app.keyward.services.access.actorForUser("TUSAGEOTHER", "UOTHER1", { isWorkspaceAdmin: true }, "slack");
    const theirs = await app.keyward.services.keys.create(other, { name: "theirs", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
    await verify(base(), theirs.secret);
    await app.keyward.services.usageCounter.flush();
    const before = await app.dump();
    expect((await call(base(), "GET", `/api-keys/${theirs.key.id}/usage`, { key: adminKey })).status).toBe(404);
    expect((await call(base(), "GET", "/api-keys/00000000-0000-7000-8000-000000000000/usage", { key: adminKey })).status).toBe(404);
    // Their own key sees its own usage.
    expect((await call(base(), "GET", `/api-keys/${theirs.key.id}/usage`, { key: theirs.secret })).json.data.at(-1).count).toBeGreaterThan(0);
    expect(await app.dump()).toBe(before);
  });

  it("needs api_keys.view", async () => {
    await app.keyward.services.roles.create(admin, { name: "verifier-only", permissions: ["integrations.view"] });
    const { key, secret } = await app.keyward.services.keys.create(admin, { name: "no-view", role: "verifier-only", expiresOn: "2030-01-01", timeZone: "UTC" });
    const res = await call(base(), "GET", `/api-keys/${key.id}/usage`, { key: secret });
    expect(res.status).toBe(403);
  });

  it("keeps 90 days: the prune beside the flush, on a later UTC day, deletes the rows before its window", async () => {
    clock.set("2026-12-02T12:00:00Z");
    const { key, secret } = await app.keyward.services.keys.create(admin, { name: "old-uses", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    await verify(base(), secret);
    await app.keyward.services.usageCounter.flush();
    const usageRows = async () => (await app.dump()).split("\n").filter((l) => l.startsWith("KeyUsageDay:") && l.includes(`keyId=${key.id}`));
    expect(await usageRows()).toEqual([expect.stringContaining("day=2026-12-02 | count=1")]);
    clock.set("2027-03-01T23:59:59Z"); // still the 90th day
    await app.keyward.services.usageCounter.pruneIfDue();
    expect(await usageRows()).toHaveLength(1);
    clock.set("2027-03-02T00:00:00Z"); // 2026-12-02 is now the first day out of the window
    expect(await app.keyward.services.usageCounter.pruneIfDue()).toBeGreaterThanOrEqual(1);
    expect(await usageRows()).toEqual([]);
    clock.set("2026-12-02T12:00:00Z");
  });
});

/** Every instance adds its own counts to the same rows: two instances on one PostgreSQL add up. */
describe.runIf(databaseKinds().includes("postgres"))("key usage with two instances on PostgreSQL", () => {
  let db: TestDatabase;
  let a: Keyward;
  let b: Keyward;
  const clock = new ManualClock(new Date("2026-12-02T08:00:00Z"));

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const start = async () =>
      startKeyward({
        clock,
        config: loadConfig({
          DATABASE_URL: db.url!,
          KEYWARD_PEPPER: "f".repeat(64),
          KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 5).toString("base64")}`,
          PORT: "0",
          DATA_DIR: await mkdtemp(join(tmpdir(), "kw-usage-")),
        }),
        logger: createLogger("silent"),
        reminderScheduler: false,
        lastUsedFlushMs: 24 * 3600_000,
      });
    a = await start();
    b = await start();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  it("counts the same key on both, flushed at once, and the day's row holds the sum", async () => {
    const admin = await a.services.access.actorForUser("TUSAGETWO", "UUSAGETWO", { isWorkspaceAdmin: true }, "slack");
    const { key, secret } = await a.services.keys.create(admin, { name: "shared", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const other = await a.services.keys.create(admin, { name: "other", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    // Made on a: b's verify filter hears of them by a notification, which a loaded machine may delay past
    // the verifies below (then b answers "unknown" and counts nothing); its reload reads them now.
    await b.services.keys.loadHashFilter();
    await Promise.all([
      ...Array.from({ length: 7 }, () => verify(a.url, secret)),
      ...Array.from({ length: 5 }, () => verify(b.url, secret)),
      verify(a.url, other.secret),
      verify(b.url, other.secret),
    ]);
    // Both flushes at the same moment: overlapping batches, each adding to the same two rows.
    await Promise.all([a.services.usageCounter.flush(), b.services.usageCounter.flush()]);
    const usage = await a.services.usage.recent(admin, [key, other.key], 14);
    expect(usage.get(key.id)?.days.at(-1)).toBe(12);
    expect(usage.get(other.key.id)?.days.at(-1)).toBe(2);
    expect(usage.get(key.id)?.last7).toBe(12);
    // And again: the rows grow, they are not overwritten by the last writer.
    await Promise.all([verify(a.url, secret), verify(b.url, secret)]);
    await Promise.all([b.services.usageCounter.flush(), a.services.usageCounter.flush()]);
    expect((await b.services.usage.daily(admin, key.id)).at(-1)).toEqual({ day: "2026-12-02", count: 14 });
  });

  it("writes the counts left in memory when an instance shuts down", async () => {
    const admin = await a.services.access.actorForUser("TUSAGETWO", "UUSAGETWO", { isWorkspaceAdmin: true }, "slack");
    // Made on b, which verifies it: a key made on a reaches b's verify filter by a notification, which a loaded machine may delay past the first verify.
    const { key, secret } = await b.services.keys.create(admin, { name: "at-shutdown", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    for (let i = 0; i < 3; i++) expect((await verify(b.url, secret)).json).toMatchObject({ valid: true });
    expect(b.services.usageCounter.size).toBe(1);
    await b.close();
    expect((await a.services.usage.daily(admin, key.id)).at(-1)).toEqual({ day: "2026-12-02", count: 3 });
  });
});
