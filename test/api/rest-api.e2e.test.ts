import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { legacyKey } from "../support/fixed-runtime.ts";

type Json = Record<string, any>;

describe("REST API /api/v1", () => {
  let app: TestApp;
  let admin: Actor;
  let manager: Actor;
  let adminKey: string;
  let viewerKey: string;
  let managerKey: string;
  const ws = () => app.fake.teamId;

  async function call(method: string, path: string, options: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined || options.raw !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${app.keyward.url}/api/v1${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Json };
  }

  const makeKey = async (actor: Actor, name: string, role: string, extra: Json = {}) =>
    (await app.keyward.services.keys.create(actor, { name, role, expiresOn: "2030-01-01", timeZone: "UTC", ...extra })).secret;

  beforeAll(async () => {
    app = await startTestApp({ env: { API_AUTH_FAILURES_PER_MINUTE: "1000" } });
    admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UADMINREST", { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(admin, "UMANAGER1", "Manager");
    manager = await app.keyward.services.access.actorForUser(app.fake.teamId, "UMANAGER1", { isWorkspaceAdmin: false }, "slack");
    adminKey = await makeKey(admin, "admin-key", "Admin");
    viewerKey = await makeKey(admin, "viewer-key", "Viewer");
    managerKey = await makeKey(admin, "manager-key", "Manager");
  });
  afterAll(async () => {
    await app?.close();
  });

  it("creates, lists, reads, renames and deletes keys as the key's role allows", async () => {
    const created = await call("POST", "/api-keys", {
      key: managerKey,
      body: { name: "from-rest", description: "made over REST", role: "Viewer", expiresOn: "2029-12-31", timeZone: "America/New_York" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      name: "from-rest",
      kind: "service",
      role: "Viewer",
      expiresAt: "2030-01-01T04:59:59.999Z",
      createdBy: expect.stringMatching(/^key:/),
    });
    expect(created.json.secret).toMatch(/^kw_/);
    const id = created.json.id as string;
    expect((await call("GET", `/api-keys/${id}`, { key: viewerKey })).json).toMatchObject({ id, name: "from-rest", last4: created.json.secret.slice(-4) });
    expect(JSON.stringify((await call("GET", `/api-keys/${id}`, { key: viewerKey })).json)).not.toContain(created.json.secret);
    const renamed = await call("PATCH", `/api-keys/${id}`, { key: managerKey, body: { name: "renamed-rest" } });
    expect(renamed.status).toBe(200);
    expect(renamed.json.name).toBe("renamed-rest");
    // The new key itself works, with its role.
    expect((await call("GET", "/roles", { key: created.json.secret })).status).toBe(200);
    expect((await call("DELETE", `/api-keys/${id}`, { key: viewerKey })).status).toBe(403);
    expect((await call("DELETE", `/api-keys/${id}`, { key: managerKey })).status).toBe(204);
    expect((await call("GET", "/roles", { key: created.json.secret })).status).toBe(401);
    expect((await call("GET", `/api-keys/${id}`, { key: managerKey })).status).toBe(404);
  });

  it("refuses unknown fields in a PATCH (role, secret, expiry) with 422 and changes nothing", async () => {
    const id = (await app.keyward.services.keys.find(admin, "viewer-key")).id;
    for (const body of [{ role: "Admin" }, { secret: "kw_x" }, { expiresAt: "2040-01-01T00:00:00Z" }, { name: "ok", kind: "personal" }, {}]) {
      const res = await call("PATCH", `/api-keys/${id}`, { key: adminKey, body });
      expect(res.status).toBe(422);
      expect(res.json.error.code).toBe("validation_failed");
    }
    const key = await app.keyward.services.keys.get(admin, id);
    expect(key).toMatchObject({ name: "viewer-key", roleName: "Viewer" });
  });

  it("answers malformed JSON with 400, bad fields with 422, never 500", async () => {
    expect((await call("POST", "/api-keys", { key: adminKey, raw: "{not json" })).status).toBe(400);
    expect((await call("POST", "/api-keys", { key: adminKey, raw: "x".repeat(70 * 1024) })).status).toBe(400);
    for (const body of [
      null,
      [],
      "text",
      42,
      { name: "" },
      { name: "n", role: "Viewer" },
      { name: "n", role: "Viewer", expiresOn: "2030-02-30", timeZone: "UTC" },
      { name: "n", role: "Nope", expiresOn: "2030-01-01", timeZone: "UTC" },
    ]) {
      const res = await call("POST", "/api-keys", { key: adminKey, body });
      expect(res.status).toBe(422);
      expect(res.json.error.message).toBeTruthy();
    }
    const past = await call("POST", "/api-keys", { key: adminKey, body: { name: "old", role: "Viewer", expiresOn: "2020-01-01", timeZone: "UTC" } });
    expect(past.json.error.code).toBe("expiry_in_past");
    expect((await call("GET", "/api-keys?limit=0", { key: adminKey })).status).toBe(422);
    expect((await call("GET", "/api-keys?bogus=1", { key: adminKey })).status).toBe(422);
    expect((await call("GET", "/api-keys/%E0%A4%A", { key: adminKey })).status).toBe(404);
  });

  it("pages over a few hundred keys, each exactly once", async () => {
    for (let i = 0; i < 250; i++) await makeKey(admin, `page-${i}`, "Viewer");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call("GET", `/api-keys?limit=37${cursor ? `&cursor=${cursor}` : ""}`, { key: viewerKey });
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((k: Json) => k.id));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await app.keyward.db.prisma.apiKey.count({ where: { workspaceId: ws(), deletedAt: null } }));
    // 250 keys made one by one: a loaded CI machine needs more than the default 30 s for that alone.
  }, 90_000);

  it("verifies keys for other services: valid, mistyped, expired, deleted", async () => {
    const ok = await call("POST", "/verify", { body: { key: managerKey } });
    expect(ok.json).toMatchObject({
      valid: true,
      role: "Manager",
      permissions: expect.arrayContaining(["api_keys.edit"]),
      expiresAt: "2030-01-01T23:59:59.999Z",
    });
    const typo = managerKey.slice(0, -1) + (managerKey.endsWith("a") ? "b" : "a");
    expect((await call("POST", "/verify", { body: { key: typo } })).json).toMatchObject({ valid: false, reason: "malformed" });
    const gone = await makeKey(admin, "gone", "Viewer");
    await app.keyward.services.keys.delete(admin, (await app.keyward.services.keys.find(admin, "gone")).id);
    expect((await call("POST", "/verify", { body: { key: gone } })).json).toMatchObject({ valid: false, reason: "deleted" });
    const short = (await app.keyward.services.keys.create(admin, { name: "short-lived", role: "Viewer", expiresAt: new Date(Date.now() + 1500).toISOString() }))
      .secret;
    expect((await call("POST", "/verify", { body: { key: short } })).json.valid).toBe(true);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await call("POST", "/verify", { body: { key: short } })).json).toMatchObject({ valid: false, reason: "expired" });
    expect((await call("POST", "/verify", { body: { nope: 1 } })).status).toBe(422);
  });

  it("refuses a deleted key on the very next request, even with a warm cache", async () => {
    const secret = await makeKey(admin, "cached", "Viewer");
    for (let i = 0; i < 3; i++) expect((await call("GET", "/roles", { key: secret })).status).toBe(200);
    await app.keyward.services.keys.delete(admin, (await app.keyward.services.keys.find(admin, "cached")).id);
    expect((await call("GET", "/roles", { key: secret })).status).toBe(401);
  });

  it("rolls a key: the replacement works, the old one until its grace deadline", async () => {
    const old = await makeKey(admin, "rolling", "Viewer");
    const id = (await app.keyward.services.keys.find(admin, "rolling")).id;
    const tooLong = await call("POST", `/api-keys/${id}/roll`, { key: managerKey, body: { graceUntil: new Date(Date.now() + 8 * 86_400_000).toISOString() } });
    expect(tooLong.status).toBe(422);
    const rolled = await call("POST", `/api-keys/${id}/roll`, { key: managerKey, body: { graceUntil: new Date(Date.now() + 1500).toISOString() } });
    expect(rolled.status).toBe(201);
    expect(rolled.json).toMatchObject({ name: "rolling", role: "Viewer", kind: "service", previous: { id } });
    expect((await call("GET", "/roles", { key: rolled.json.secret })).status).toBe(200);
    expect((await call("GET", "/roles", { key: old })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await call("GET", "/roles", { key: old })).status).toBe(401);
    expect((await call("GET", "/roles", { key: rolled.json.secret })).status).toBe(200);
    const actions = (
      await app.keyward.db.prisma.auditEvent.findMany({ where: { OR: [{ targetId: id }, { targetId: rolled.json.id }] }, orderBy: { id: "asc" } })
    ).map((e) => e.action);
    expect(actions).toEqual(["api_key.create", "api_key.roll", "api_key.create"]);
    expect((await call("POST", `/api-keys/${id}/roll`, { key: managerKey, body: {} })).status).toBe(409);
  });

  it("rolls a key to a new expiry: the caller's day and zone, an instant, or the old lifetime again; bad input is a 422 that writes nothing", async () => {
    const expiryOf = async (name: string) => (await app.keyward.services.keys.find(admin, name)).expiresAt.toISOString();
    const rows = async () =>
      JSON.stringify(await app.keyward.db.prisma.apiKey.findMany({ orderBy: { id: "asc" } })) + (await app.keyward.db.prisma.auditEvent.count());
    await makeKey(admin, "renew-by-day", "Viewer");
    const byDayId = (await app.keyward.services.keys.find(admin, "renew-by-day")).id;
    const before = await rows();
    const refused: Array<[Json, string, string]> = [
      [{ expiresOn: "2020-01-01", timeZone: "UTC" }, "expiry_in_past", "expiresOn"],
      [{ expiresAt: "2020-01-01T00:00:00Z" }, "expiry_in_past", "expiresAt"],
      [{ expiresOn: "2031-06-30" }, "validation_failed", "timeZone"],
      [{ expiresOn: "2031-06-30", timeZone: "UTC", expiresAt: "2031-06-30T00:00:00Z" }, "validation_failed", "expiresOn"],
      [{ expiresOn: "2031-02-30", timeZone: "UTC" }, "validation_failed", "expiresOn"],
      [{ expiresOn: "2031-06-30", timeZone: "Nowhere/Land" }, "validation_failed", "timeZone"],
      [{ expiresOn: "2099-01-01", timeZone: "UTC" }, "validation_failed", "expiresOn"],
      [{ expiresAt: "soon" }, "validation_failed", "expiresAt"],
    ];
    for (const [body, code, field] of refused) {
      const answer = await call("POST", `/api-keys/${byDayId}/roll`, { key: managerKey, body });
      expect({ body, status: answer.status, code: answer.json.error.code }).toEqual({ body, status: 422, code });
      expect(Object.keys(answer.json.error.details.fields)).toContain(field);
    }
    expect(await rows()).toBe(before);

    const byDay = await call("POST", `/api-keys/${byDayId}/roll`, {
      key: managerKey,
      body: { expiresOn: "2031-06-30", timeZone: "America/New_York", graceHours: 1 },
    });
    expect(byDay.status).toBe(201);
    expect(byDay.json).toMatchObject({ name: "renew-by-day", expiresAt: "2031-07-01T03:59:59.999Z", previous: { id: byDayId, expiresAt: expect.any(String) } });
    expect(await expiryOf("renew-by-day")).toBe("2031-07-01T03:59:59.999Z");

    await makeKey(admin, "renew-by-instant", "Viewer");
    const byInstant = await call("POST", `/api-keys/${(await app.keyward.services.keys.find(admin, "renew-by-instant")).id}/roll`, {
      key: managerKey,
      body: { expiresAt: "2031-03-01T12:00:00+01:00" },
    });
    expect(byInstant.json).toMatchObject({ expiresAt: "2031-03-01T11:00:00.000Z" });

    // A key made 100 days ago for the end of 2030-01-01 in UTC, rolled without an expiry: the same lifetime again from today.
    const old = await app.keyward.services.keys.create(admin, { name: "renew-default", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    await app.keyward.db.prisma.apiKey.update({ where: { id: old.key.id }, data: { createdAt: new Date(Date.now() - 100 * 86_400_000) } });
    const byDefault = await call("POST", `/api-keys/${old.key.id}/roll`, { key: managerKey, body: {} });
    expect(byDefault.status).toBe(201);
    expect(byDefault.json.expiresAt).toBe("2030-04-11T23:59:59.999Z");

    // The OpenAPI document is generated from the same schema.
    const doc = (await call("GET", "/openapi.json")).json;
    const rollBody = doc.paths["/api-keys/{id}/roll"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(rollBody.properties)).toEqual(expect.arrayContaining(["graceUntil", "graceHours", "expiresOn", "timeZone", "expiresAt"]));
    expect(rollBody.properties.expiresOn).toMatchObject({ type: "string", format: "date" });
  });

  it("keeps a personal key within its creator's current permissions", async () => {
    const personal = await makeKey(manager, "manager-personal", "Manager", { kind: "personal" });
    expect(
      (await call("POST", "/api-keys", { key: personal, body: { name: "by-personal", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" } })).status,
    ).toBe(201);
    // The creator is demoted: the personal key now acts with no more than Viewer.
    await app.keyward.services.roles.assign(admin, "UMANAGER1", "Viewer");
    const keysBefore = await app.keyward.db.prisma.apiKey.count();
    const denied = await call("POST", "/api-keys", { key: personal, body: { name: "by-demoted", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" } });
    expect(denied.status).toBe(403);
    expect(await app.keyward.db.prisma.apiKey.count()).toBe(keysBefore);
    expect((await call("POST", "/verify", { body: { key: personal } })).json.permissions).toEqual(expect.not.arrayContaining(["api_keys.edit"]));
    await app.keyward.services.roles.assign(admin, "UMANAGER1", "Manager");
  });

  it("slows repeated failed authentications from one address with 429 and Retry-After", async () => {
    const limited = await startTestApp({ env: { API_AUTH_FAILURES_PER_MINUTE: "3" } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.keyward.url}/api/v1/roles`, { headers: { authorization: "Bearer kw_wrong" } });
        statuses.push(res.status);
        retryAfter ??= res.headers.get("retry-after");
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe("values PostgreSQL cannot store", () => {
  it("answers a NUL character or a year-10000 expiry with 422, not 500", async () => {
    const app = await startTestApp();
    try {
      const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UNULTEST1", { isWorkspaceAdmin: true }, "slack");
      const { secret } = await app.keyward.services.keys.create(admin, { name: "nul-test", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
      const before = await app.dump();
      for (const body of [
        { name: "nul", description: "a\u0000b", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" },
        { name: "far", role: "Viewer", expiresAt: "+010000-01-01T00:00:00Z" },
        { name: "far2", role: "Viewer", expiresOn: "9999-12-31", timeZone: "Pacific/Kiritimati" },
      ]) {
        const res = await fetch(`${app.keyward.url}/api/v1/api-keys`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect([201, 422], JSON.stringify(body)).toContain(res.status);
        if (res.status === 201) await app.keyward.services.keys.delete(admin, ((await res.json()) as { id: string }).id);
      }
      expect((await app.dump()).includes("a\u0000b")).toBe(false);
      expect(before).toBeTruthy();
    } finally {
      await app.close();
    }
  });
});

describe("REST API with a key issued in the old format (30 random characters)", () => {
  let app: TestApp;
  const pepper = "5e".repeat(32);
  beforeAll(async () => {
    app = await startTestApp({ env: { KEYWARD_PEPPER: pepper } });
  });
  afterAll(async () => {
    await app?.close();
  });

  it("authenticates and verifies, as it did before keys grew", async () => {
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UOLDKEY01", { isWorkspaceAdmin: true }, "slack");
    const { key } = await app.keyward.services.keys.create(admin, { name: "old-format", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const legacy = legacyKey("ZYXWVUTSRQponmlkjihg9876543210");
    // As it was stored when issued: the HMAC under the server's pepper, and the last 4.
    await app.keyward.db.prisma.apiKey.update({
      where: { id: key.id },
      data: { hash: createKeyHasher(Buffer.from(pepper, "hex")).hash(legacy), last4: legacy.slice(-4) },
    });
    // A row written behind keyward's back, as if it had been there at start: the verify filter loads it then.
    await app.keyward.services.keys.loadHashFilter();
    const roles = await fetch(`${app.keyward.url}/api/v1/roles`, { headers: { authorization: `Bearer ${legacy}` } });
    expect(roles.status).toBe(200);
    const verified = await fetch(`${app.keyward.url}/api/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: legacy }),
    });
    expect(await verified.json()).toMatchObject({ valid: true, keyId: key.id, role: "Viewer" });
  });
});
