import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

// Issue 9 item 3: failed authentications must not lock out valid keys, and behind a proxy each
// client (not the proxy) is counted. The test client always connects from loopback.

async function get(app: TestApp, path: string, options: { key?: string; forwardedFor?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.forwardedFor !== undefined) headers["x-forwarded-for"] = options.forwardedFor;
  const res = await fetch(`${app.keyward.url}/api/v1${path}`, { headers });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get("retry-after") };
}

async function statuses(app: TestApp, count: number, options: { key?: string; forwardedFor?: string } = {}): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await get(app, "/roles", options)).status);
  return seen;
}

async function validKey(app: TestApp, name: string): Promise<string> {
  const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "URATEADMIN", { isWorkspaceAdmin: true }, "slack");
  return (await app.keyward.services.keys.create(admin, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
}

describe("failed authentications without a trusted proxy (defaults: 20 a minute, TRUST_PROXY unset)", () => {
  let app: TestApp;
  let key: string;
  beforeAll(async () => {
    app = await startTestApp();
    key = await validKey(app, "rate-default");
  });
  afterAll(async () => {
    await app?.close();
  });

  it("answers a valid key 200 after 25 anonymous requests from the same address", async () => {
    const anonymous = await statuses(app, 25);
    expect(anonymous.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(anonymous.slice(20)).toEqual(Array(5).fill(429));
    expect((await get(app, "/roles", { key })).status).toBe(200);
  });

  it("keeps serving a valid key while failures go on, and keeps refusing the failures", async () => {
    await statuses(app, 25, { key: "kw_wrong" });
    for (let i = 0; i < 10; i++) {
      expect((await get(app, "/roles", { key })).status).toBe(200);
      const failed = await get(app, "/roles", { key: "kw_wrong" });
      expect(failed.status).toBe(429);
      expect(Number(failed.retryAfter)).toBeGreaterThan(0);
    }
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    // Rotating the header must not give an attacker a fresh counter.
    const seen: number[] = [];
    for (let i = 0; i < 25; i++) seen.push((await get(app, "/roles", { forwardedFor: `198.51.100.${i}` })).status);
    expect(seen.at(-1)).toBe(429);
    expect((await get(app, "/roles", { forwardedFor: "203.0.113.77" })).status).toBe(429);
  });

  it("never rate-limits POST /verify, a service-to-service call", async () => {
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${app.keyward.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: "kw_wrong" }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { valid: boolean }).valid).toBe(false);
    }
  });
});

describe("failed authentications behind a trusted proxy (TRUST_PROXY=127.0.0.1,::1, 3 a minute)", () => {
  let app: TestApp;
  let key: string;
  beforeAll(async () => {
    app = await startTestApp({ env: { TRUST_PROXY: "127.0.0.1, ::1", API_AUTH_FAILURES_PER_MINUTE: "3" } });
    key = await validKey(app, "rate-proxy");
  });
  afterAll(async () => {
    await app?.close();
  });

  it("counts two clients with different X-Forwarded-For separately", async () => {
    expect(await statuses(app, 5, { forwardedFor: "198.51.100.1" })).toEqual([401, 401, 401, 429, 429]);
    expect(await statuses(app, 4, { forwardedFor: "198.51.100.2" })).toEqual([401, 401, 401, 429]);
    // The proxy itself (no header) is a third client, still unlimited.
    expect((await get(app, "/roles")).status).toBe(401);
    // And a valid key through the proxy on behalf of a limited client is served.
    expect((await get(app, "/roles", { key, forwardedFor: "198.51.100.1" })).status).toBe(200);
  });

  it("takes the first untrusted hop from the right, not the leftmost one a client can forge", async () => {
    expect(await statuses(app, 4, { forwardedFor: "192.0.2.50, 198.51.100.10" })).toEqual([401, 401, 401, 429]);
    // Same real client (198.51.100.10), a different forged leftmost entry: still limited.
    expect((await get(app, "/roles", { forwardedFor: "192.0.2.51, 198.51.100.10" })).status).toBe(429);
  });

  it("counts IPv6 clients per /64", async () => {
    expect(await statuses(app, 3, { forwardedFor: "2001:db8:1:2::1" })).toEqual([401, 401, 401]);
    expect((await get(app, "/roles", { forwardedFor: "2001:db8:1:2:ffff:ffff:ffff:ffff" })).status).toBe(429);
    expect((await get(app, "/roles", { forwardedFor: "2001:db8:1:3::1" })).status).toBe(401);
  });
});
