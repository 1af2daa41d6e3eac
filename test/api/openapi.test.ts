import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoutes } from "../../src/api/api-routes.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

type Json = Record<string, any>;

describe("GET /api/v1/openapi.json", () => {
  let app: TestApp;
  let doc: Json;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UADMINDOC", { isWorkspaceAdmin: true }, "slack");
    const created = await app.keyward.services.keys.create(admin, { name: "doc-admin", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
    key = created.secret;
    keyId = (await app.keyward.services.keys.create(admin, { name: "doc-target", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).key.id;
    // Two key requests, one of them denied, so a page carries every field of one, set and unset.
    const asker = await app.keyward.services.access.actorForUser(app.fake.teamId, "UASKERDOC", { isWorkspaceAdmin: false }, "slack");
    const ask = (name: string) =>
      app.keyward.services.keyRequests.request(asker, { key: { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" }, reason: "documented" }, {});
    await ask("doc-pending");
    await app.keyward.services.keyRequests.deny(admin, (await ask("doc-denied")).id, "not needed");
    const res = await fetch(`${app.keyward.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Json;
  });
  afterAll(async () => {
    await app?.close();
  });

  it("is OpenAPI 3.1 and documents every route", () => {
    expect(doc.openapi).toBe("3.1.0");
    const routes = apiRoutes({} as never);
    for (const route of routes) expect(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    const documented = Object.entries(doc.paths as Json).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("describes what each route really answers", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addFormat("date-time", true).addFormat("date", true);
    const check = (method: string, path: string, status: number, body: unknown) => {
      const response = doc.paths[path][method.toLowerCase()].responses[String(status)];
      expect(response, `${method} ${path} ${status} is documented`).toBeDefined();
      const schema = response.content?.["application/json"]?.schema;
      if (!schema) return expect(body).toBeUndefined();
      const validate = ajv.compile(schema);
      expect(validate(body) ? [] : validate.errors, `${method} ${path} ${status}`).toEqual([]);
    };
    const call = async (method: string, docPath: string, realPath: string, body?: unknown, auth = true) => {
      const res = await fetch(`${app.keyward.url}/api/v1${realPath}`, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${key}` } : {}), "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      check(method, docPath, res.status, text ? JSON.parse(text) : undefined);
      return res.status;
    };
    expect(await call("GET", "/api-keys", "/api-keys?limit=1")).toBe(200);
    expect(await call("POST", "/api-keys", "/api-keys", { name: "doc-new", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).toBe(201);
    expect(await call("POST", "/api-keys", "/api-keys", { name: "" })).toBe(422);
    expect(await call("GET", "/api-keys/{id}", `/api-keys/${keyId}`)).toBe(200);
    expect(await call("GET", "/api-keys/{id}", "/api-keys/nope")).toBe(404);
    expect(await call("PATCH", "/api-keys/{id}", `/api-keys/${keyId}`, { description: "documented" })).toBe(200);
    expect(await call("POST", "/api-keys/{id}/roll", `/api-keys/${keyId}/roll`, {})).toBe(201);
    expect(await call("POST", "/api-keys/{id}/roll", `/api-keys/${keyId}/roll`, {})).toBe(409);
    expect(await call("DELETE", "/api-keys/{id}", `/api-keys/${keyId}`)).toBe(409);
    expect(await call("DELETE", "/api-keys/{id}", `/api-keys/${keyId}?endGrace=true`)).toBe(204);
    expect(await call("GET", "/roles", "/roles")).toBe(200);
    expect(await call("GET", "/roles", "/roles", undefined, false)).toBe(401);
    const configs = "/integrations/{integration}/configurations";
    expect(await call("POST", configs, "/integrations/github/configurations", { alias: "doc", secret: "ghp_documented0123" })).toBe(201);
    expect(await call("GET", configs, "/integrations/github/configurations")).toBe(200);
    expect(await call("GET", `${configs}/{alias}`, "/integrations/github/configurations/doc?reveal=true")).toBe(200);
    expect(await call("PATCH", `${configs}/{alias}`, "/integrations/github/configurations/doc", { secret: "ghp_rotated0123" })).toBe(200);
    expect(await call("GET", "/integrations/{integration}/resolve", "/integrations/github/resolve?alias=nope")).toBe(200);
    expect(await call("DELETE", `${configs}/{alias}`, "/integrations/github/configurations/doc")).toBe(204);
    expect(await call("GET", `${configs}/{alias}`, "/integrations/github/configurations/doc")).toBe(404);
    // The policy and key requests (issue 14): their bodies as documented, refusals included.
    expect(await call("GET", "/policy", "/policy")).toBe(200);
    expect(await call("PUT", "/policy", "/policy", { maxLifetimeDays: { personal: 30 }, approvalRoles: ["Manager"], reminderDays: [10, 1] })).toBe(200);
    expect(await call("PUT", "/policy", "/policy", { maxLifetimeDays: { personal: -1 } })).toBe(422);
    expect(await call("PUT", "/policy", "/policy", { approvalRoles: [] })).toBe(200);
    expect(await call("GET", "/key-requests", "/key-requests?limit=1")).toBe(200);
    expect(await call("GET", "/key-requests", "/key-requests?status=denied")).toBe(200);
    expect(await call("GET", "/key-requests", "/key-requests?status=granted")).toBe(422);
    expect(await call("POST", "/verify", "/verify", { key }, false)).toBe(200);
    expect(await call("POST", "/verify", "/verify", { key: "kw_nope" }, false)).toBe(200);
  });
});
