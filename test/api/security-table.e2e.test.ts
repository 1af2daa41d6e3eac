import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/api/api-routes.ts";
import type { Actor } from "../../src/domain/types.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

/**
 * One table of hostile credentials, run against every authenticated route: each is refused
 * before any look-up (401, or 403 where the key is valid but lacks the permission) and nothing
 * in the database changes.
 */
describe("security cases against every route", () => {
  let app: TestApp;
  let target: string;
  const integrationAlias = "table-github";
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    app = await startTestApp({ env: { API_AUTH_FAILURES_PER_MINUTE: "100000" } });
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UADMINSEC", { isWorkspaceAdmin: true }, "slack");
    const make = async (actor: Actor, name: string, role: string, extra: Record<string, unknown> = {}) =>
      (await app.keyward.services.keys.create(actor, { name, role, expiresOn: "2030-01-01", timeZone: "UTC", ...extra })).secret;
    keys.viewer = await make(admin, "viewer", "Viewer");
    keys.admin = await make(admin, "admin", "Admin");
    target = (await app.keyward.services.keys.find(admin, "viewer")).id;
    await app.keyward.services.integrations.add(admin, "github", { alias: integrationAlias, secret: "ghp_securityTableSecret0123456789" });
    keys.deleted = await make(admin, "deleted", "Admin");
    await app.keyward.services.keys.delete(admin, (await app.keyward.services.keys.find(admin, "deleted")).id);
    keys.expired = (
      await app.keyward.services.keys.create(admin, { name: "expired", role: "Admin", expiresAt: new Date(Date.now() + 300).toISOString() })
    ).secret;
    await new Promise((r) => setTimeout(r, 400));
    const other = await app.keyward.services.access.actorForUser("TOTHERWS", "UOTHERADM", { isWorkspaceAdmin: true }, "slack");
    keys.otherWorkspace = await make(other, "theirs", "Admin");
    // Personal Manager keys: one whose creator now holds only Viewer (beyond its creator), one whose
    // creator holds nothing now (refused outright as owner_inactive).
    await app.keyward.services.roles.assign(admin, "UPERSONAL", "Manager");
    const creator = await app.keyward.services.access.actorForUser(app.fake.teamId, "UPERSONAL", { isWorkspaceAdmin: false }, "slack");
    keys.personalBeyondCreator = await make(creator, "personal", "Manager", { kind: "personal" });
    await app.keyward.services.roles.assign(admin, "UPERSONAL", "Viewer");
    await app.keyward.services.roles.assign(admin, "UDEPARTED", "Manager");
    const departed = await app.keyward.services.access.actorForUser(app.fake.teamId, "UDEPARTED", { isWorkspaceAdmin: false }, "slack");
    keys.personalOwnerInactive = await make(departed, "departed", "Manager", { kind: "personal" });
    await app.keyward.services.roles.unassign(admin, "UDEPARTED");
  });
  afterAll(async () => {
    await app?.close();
  });

  const valid = () => keys.viewer!;
  // Every authenticated route from the definitions themselves, so a new route is in the table the day it exists;
  // then ids that exist nowhere and paths that are no route.
  const routes = (): Array<{ method: string; path: string; body?: unknown }> => [
    ...apiRoutes({} as never)
      .filter((r) => r.authenticated)
      .map((r) => ({ method: r.method, path: concrete(r.path), ...(r.body ? { body: sampleBody(r.method, r.path) } : {}) })),
    { method: "GET", path: "/api-keys/00000000-0000-7000-8000-000000000000" },
    { method: "GET", path: "/no/such/route" },
  ];
  const concrete = (template: string) =>
    template.replace(/\{(\w+)\}/g, (_m, name: string) => {
      const value = ({ id: target, integration: "github", alias: integrationAlias } as Record<string, string>)[name];
      if (value === undefined) throw new Error(`The security table has no value for {${name}} in ${template}: add one.`);
      return value;
    });
  // A valid body for each route that takes one: the refusals must not be input errors.
  const sampleBody = (method: string, template: string) => {
    const bodies: Record<string, unknown> = {
      "POST /api-keys": { name: "x", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" },
      "PATCH /api-keys/{id}": { name: "changed" },
      "POST /api-keys/{id}/roll": {},
      "POST /integrations/{integration}/configurations": { alias: "table-new", secret: "ghp_securityTableNew0123456789" },
      "PATCH /integrations/{integration}/configurations/{alias}": { secret: "ghp_securityTableRotated0123456789" },
      "PUT /policy": { requireDescription: true },
    };
    const body = bodies[`${method} ${template}`];
    if (body === undefined) throw new Error(`The security table has no body for ${method} ${template}: add one.`);
    return body;
  };
  // Another workspace's Admin key: this workspace's configurations do not exist for it; its own are its business.
  const otherWorkspaceIntegration = (m: string, p: string) =>
    p.endsWith("/configurations") ? (m === "GET" ? [200] : [201, 422]) : p.includes("/resolve") ? [200, 404] : [404];

  const cases: Array<[string, () => Record<string, string>, (method: string, path: string) => number[]]> = [
    ["no key", () => ({}), () => [401]],
    ["not a bearer", () => ({ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }), () => [401]],
    ["malformed key", () => ({ authorization: "Bearer kw_123" }), () => [401]],
    ["wrong checksum", () => ({ authorization: `Bearer ${valid().slice(0, -1)}${valid().endsWith("a") ? "b" : "a"}` }), () => [401]],
    ["unknown key", () => ({ authorization: `Bearer ${valid().slice(0, 10)}${"Z".repeat(26)}${valid().slice(36)}` }), () => [401]],
    ["huge header", () => ({ authorization: `Bearer kw_${"a".repeat(8000)}` }), () => [401]],
    ["expired key", () => ({ authorization: `Bearer ${keys.expired}` }), () => [401]],
    ["deleted key", () => ({ authorization: `Bearer ${keys.deleted}` }), () => [401]],
    // Valid elsewhere: this workspace's records simply do not exist for it.
    [
      "another workspace's key",
      () => ({ authorization: `Bearer ${keys.otherWorkspace}` }),
      (m, p) =>
        p.startsWith("/integrations/")
          ? otherWorkspaceIntegration(m, p)
          : p.startsWith("/api-keys/") || p.startsWith("/no/")
            ? [404, 405]
            : p === "/api-keys" && m === "GET"
              ? [200]
              : p === "/roles" || p === "/policy" || p === "/key-requests"
                ? [200]
                : [201, 422],
    ],
    // Valid key, missing permission.
    [
      "viewer changing things",
      () => ({ authorization: `Bearer ${valid()}` }),
      (m, p) => (m === "GET" ? (p.includes("0000-7000") || p.startsWith("/no/") ? [404] : [200]) : [403]),
    ],
    [
      "personal key beyond its creator",
      () => ({ authorization: `Bearer ${keys.personalBeyondCreator}` }),
      (m, p) => (m === "GET" ? (p.includes("0000-7000") || p.startsWith("/no/") ? [404] : [200]) : [403]),
    ],
    ["personal key whose creator holds nothing now", () => ({ authorization: `Bearer ${keys.personalOwnerInactive}` }), () => [401]],
  ];

  it.each(cases)("%s", async (_label, headers, allowed) => {
    for (const route of routes()) {
      const before = await app.dump();
      const res = await fetch(`${app.keyward.url}/api/v1${route.path}`, {
        method: route.method,
        headers: { ...headers(), ...(route.body ? { "content-type": "application/json" } : {}) },
        body: route.body ? JSON.stringify(route.body) : undefined,
      });
      const body = await res.text();
      expect(allowed(route.method, route.path), `${route.method} ${route.path} → ${res.status} ${body}`).toContain(res.status);
      if (res.status >= 400) {
        expect(JSON.parse(body)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
        expect(body).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
        expect(await app.dump()).toBe(before);
      }
    }
  });

  it("covers every route but the open ones, which are named here so that opening a route is a decision", () => {
    const open = apiRoutes({} as never).filter((r) => !r.authenticated);
    expect(open.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /verify"]);
    expect(routes().filter((r) => r.path.startsWith("/integrations/"))).toHaveLength(6);
  });

  it("never reveals to an unauthenticated caller whether a path or id exists", async () => {
    const answers = await Promise.all(
      [`/api-keys/${target}`, "/api-keys/00000000-0000-7000-8000-000000000000", "/no/such/route", "/roles"].map(async (p) => {
        const res = await fetch(`${app.keyward.url}/api/v1${p}`);
        return [res.status, await res.text()];
      }),
    );
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  });
});
