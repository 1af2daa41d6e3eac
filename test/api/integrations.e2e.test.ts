import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

type Json = Record<string, any>;
const ghSecret = "ghp_RESTsecretValueForCortex0123456789wxyz";

describe("integration configurations over REST", () => {
  let app: TestApp;
  const keys: Record<string, string> = {};

  async function call(method: string, path: string, key: string | null, body?: unknown) {
    const res = await fetch(`${app.keyward.url}/api/v1${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Json, text };
  }

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UINTADMIN", { isWorkspaceAdmin: true }, "slack");
    for (const role of ["Admin", "Manager", "Viewer"]) {
      keys[role] = (await app.keyward.services.keys.create(admin, { name: `${role}-key`, role, expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  it("adds a GitHub key under cortex-github, resolves an unknown alias to it, rotates and deletes it", async () => {
    const created = await call("POST", "/integrations/github/configurations", keys.Manager!, {
      alias: "cortex-github",
      secret: ghSecret,
      expiresOn: "2027-03-01",
      timeZone: "Europe/Paris",
      reminderChannel: "C0PLATFORM",
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      integration: "github",
      alias: "cortex-github",
      last4: "wxyz",
      isDefault: true,
      reminderChannel: "C0PLATFORM",
      expiresAt: "2027-03-01T22:59:59.999Z",
    });
    expect(created.text).not.toContain(ghSecret);
    const resolved = await call("GET", "/integrations/github/resolve?alias=some-unknown-alias", keys.Viewer!);
    expect(resolved.json).toMatchObject({ alias: "cortex-github", resolvedBy: "default" });
    expect(resolved.text).not.toContain(ghSecret);
    const listed = await call("GET", "/integrations/github/configurations", keys.Viewer!);
    expect(listed.json.data).toHaveLength(1);
    expect(listed.text).not.toContain(ghSecret);
    const rotated = await call("PATCH", "/integrations/github/configurations/cortex-github", keys.Manager!, {
      secret: `${ghSecret}NEW1`,
      expiresOn: "2027-09-01",
      timeZone: "UTC",
    });
    expect(rotated.json).toMatchObject({ alias: "cortex-github", isDefault: true, last4: "NEW1", rotatedAt: expect.any(String) });
    expect((await call("DELETE", "/integrations/github/configurations/cortex-github", keys.Viewer!)).status).toBe(403);
    expect((await call("DELETE", "/integrations/github/configurations/cortex-github", keys.Manager!)).status).toBe(204);
    expect((await call("GET", "/integrations/github/resolve?alias=cortex-github", keys.Viewer!)).status).toBe(404);
  });

  it("reads a secret back only with integrations.secrets.read, and audits it", async () => {
    await call("POST", "/integrations/pagerduty/configurations", keys.Manager!, { alias: "oncall", secret: ghSecret });
    expect((await call("GET", "/integrations/pagerduty/configurations/oncall?reveal=true", keys.Manager!)).status).toBe(403);
    const plain = await call("GET", "/integrations/pagerduty/configurations/oncall", keys.Admin!);
    expect(plain.json.secret).toBeUndefined();
    const revealed = await call("GET", "/integrations/pagerduty/configurations/oncall?reveal=true", keys.Admin!);
    expect(revealed.json.secret).toBe(ghSecret);
    const audit = await app.keyward.db.prisma.auditEvent.findMany({ where: { action: "integration.reveal" } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(ghSecret);
    expect((await call("GET", "/integrations/pagerduty/configurations/oncall?reveal=yes", keys.Admin!)).status).toBe(422);
  });

  it("never stores or logs the secret in clear", async () => {
    const dump = await app.dump();
    expect(dump).not.toContain(ghSecret);
    expect(dump).not.toContain(ghSecret.slice(4, 30));
    expect(app.logs.join("\n")).not.toContain(ghSecret.slice(4, 30));
  });

  it("answers bad input with 422 and writes nothing", async () => {
    const before = await app.dump();
    for (const [path, body] of [
      ["/integrations/Bad Slug!/configurations", { alias: "a", secret: ghSecret }],
      ["/integrations/github/configurations", { alias: "UPPER CASE", secret: ghSecret }],
      ["/integrations/github/configurations", { alias: "a", secret: "two words" }],
      ["/integrations/github/configurations", { alias: "a", secret: ghSecret, unknown: 1 }],
      ["/integrations/github/configurations", { alias: "a", secret: ghSecret, expiresOn: "2020-01-01", timeZone: "UTC" }],
    ] as const) {
      const res = await call("POST", path, keys.Admin!, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(422);
    }
    expect(await app.dump()).toBe(before);
  });
});
