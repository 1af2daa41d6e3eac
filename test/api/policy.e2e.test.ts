import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";

type Json = Record<string, any>;

/** Issue 14 part 2 over REST: GET/PUT /policy, a create beyond it refused with 422 (nothing written), applying the maximum to existing keys. */
describe("REST /api/v1/policy", () => {
  let app: TestApp;
  let admin: Actor;
  let adminKey: string;
  let managerKey: string;
  let viewerKey: string;
  const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));

  async function call(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${app.keyward.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as Json };
  }

  beforeAll(async () => {
    app = await startTestApp({ clock, env: { API_AUTH_FAILURES_PER_MINUTE: "1000" } });
    admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UPOLADMIN", { isWorkspaceAdmin: true }, "slack");
    const make = async (name: string, role: string) =>
      (await app.keyward.services.keys.create(admin, { name, role, description: "setup", expiresOn: "2027-06-01", timeZone: "UTC" })).secret;
    adminKey = await make("admin-key", "Admin");
    managerKey = await make("manager-key", "Manager");
    viewerKey = await make("viewer-key", "Viewer");
  });
  afterAll(async () => {
    await app?.close();
  });

  it("reads the policy with api_keys.view; changing it needs policy.edit (403, nothing written); bad input is 422", async () => {
    const empty = await call("GET", "/policy", viewerKey);
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({
      maxLifetimeDays: { service: null, personal: null },
      requireDescription: false,
      personalMaxRole: null,
      approvalRoles: [],
      reminderDays: null,
      updatedAt: null,
      updatedBy: null,
    });
    const before = await app.dump();
    const refused = await call("PUT", "/policy", managerKey, { requireDescription: true });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("permission_denied");
    for (const body of [{ maxLifetimeDays: { personal: 0 } }, { reminderDays: [] }, { approvalRoles: ["Nope"] }, { color: "red" }]) {
      const bad = await call("PUT", "/policy", adminKey, body);
      expect(bad.status, JSON.stringify(body)).toBe(422);
    }
    expect(await app.dump()).toBe(before);
  });

  it("a personal key of 60 days under a 30-day personal maximum is refused with 422 policy_violation, writing nothing; 30 days passes", async () => {
    const set = await call("PUT", "/policy", adminKey, { maxLifetimeDays: { personal: 30 }, personalMaxRole: "Member", approvalRoles: ["Manager"] });
    expect(set.status).toBe(200);
    expect(set.json.policy).toMatchObject({
      maxLifetimeDays: { service: null, personal: 30 },
      personalMaxRole: { id: expect.any(String), name: "Member" },
      approvalRoles: [{ id: expect.any(String), name: "Manager" }],
    });
    expect(set.json.stricterKinds).toEqual(["personal"]);
    const audit = await app.keyward.services.audit.latest(admin, 1);
    expect(audit[0]).toMatchObject({ action: "policy.update", details: { maxLifetimePersonalDays: { from: null, to: 30 } } });

    const before = await app.dump();
    const long = await call("POST", "/api-keys", adminKey, { name: "mine", kind: "personal", role: "Viewer", expiresOn: "2027-01-30", timeZone: "UTC" });
    expect(long.status).toBe(422);
    expect(long.json.error).toMatchObject({
      code: "policy_violation",
      details: { fields: { expiresOn: "At most 30 days for personal keys: by 2026-12-31." } },
    });
    const tooStrong = await call("POST", "/api-keys", adminKey, { name: "mine", kind: "personal", role: "Manager", expiresOn: "2026-12-20", timeZone: "UTC" });
    expect(tooStrong.json.error).toMatchObject({ code: "policy_violation", details: { fields: { role: expect.stringContaining("Member") } } });
    const fourEyes = await call("POST", "/api-keys", adminKey, { name: "svc", role: "Manager", expiresOn: "2027-01-30", timeZone: "UTC" });
    expect(fourEyes.status).toBe(422);
    expect(fourEyes.json.error).toMatchObject({ code: "approval_required", details: { fields: { role: expect.stringContaining("/keys request") } } });
    expect(await app.dump()).toBe(before);

    const ok = await call("POST", "/api-keys", adminKey, { name: "mine", kind: "personal", role: "Viewer", expiresOn: "2026-12-31", timeZone: "UTC" });
    expect(ok.status).toBe(201);
  });

  it("applyMaxLifetimeToExisting shortens live keys to creation + maximum, audited; the shortened key stops at its new expiry", async () => {
    // Made before any service maximum: 2027-06-01, six months.
    const old = await app.keyward.services.keys.create(admin, { name: "old-svc", role: "Viewer", expiresOn: "2027-06-01", timeZone: "UTC" });
    clock.advance(5 * 86_400_000);
    // Verified once before the policy: this instance's verify cache holds it.
    expect((await call("GET", "/roles", old.secret)).status).toBe(200);
    const preview = await call("PUT", "/policy", adminKey, { maxLifetimeDays: { service: 3 } });
    expect(preview.json).toMatchObject({ applied: false, stricterKinds: ["service"] });
    // The service keys of this file, all made on 1 December to 2027-06-01: the three of the setup and old-svc (the personal one is untouched).
    expect(preview.json.beyondMaximum).toEqual({ shortened: 4, stoppedNow: 4 });
    expect((await app.keyward.services.keys.get(admin, old.key.id)).expiresAt.toISOString()).toBe("2027-06-01T23:59:59.999Z");

    const applied = await call("PUT", "/policy", adminKey, { applyMaxLifetimeToExisting: true });
    expect(applied.status).toBe(200);
    expect(applied.json.applied).toBe(true);
    expect(applied.json.beyondMaximum.shortened).toBe(preview.json.beyondMaximum.shortened);
    // Created 1 December, its day in UTC: 3 days on, it ends at the end of 4 December, already past: it stops at once.
    const shortened = await app.keyward.services.keys.get(admin, old.key.id);
    expect(shortened.expiresAt.toISOString()).toBe("2026-12-04T23:59:59.999Z");
    expect(applied.json.beyondMaximum).toEqual({ shortened: 4, stoppedNow: 4 });
    const event = (await app.keyward.services.audit.latest(admin, 5)).find((e) => e.action === "policy.apply_max_lifetime");
    expect(event?.details).toMatchObject({ shortened: applied.json.beyondMaximum.shortened, keyIds: expect.arrayContaining([old.key.id]) });

    // No clock moved: the verify cache must not keep it valid.
    expect((await call("GET", "/roles", old.secret)).status).toBe(401);
  });
});
