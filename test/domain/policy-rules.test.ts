import { describe, expect, it } from "vitest";
import { isDomainError } from "../../src/domain/errors.ts";
import { checkKeyPolicy, latestAllowedExpiry, noPolicy, outOfPolicy, shortenedExpiry, type WorkspacePolicy } from "../../src/domain/policy-rules.ts";
import { endOfDayIn } from "../../src/domain/expiry.ts";
import type { PolicyRole } from "../../src/domain/policy-rules.ts";

const viewer: PolicyRole = { id: "r-viewer", name: "Viewer", permissions: ["api_keys.view", "integrations.view"] };
const member: PolicyRole = { id: "r-member", name: "Member", permissions: ["api_keys.view", "integrations.view", "personal_tokens.edit", "audit.view"] };
const manager: PolicyRole = { id: "r-manager", name: "Manager", permissions: [...member.permissions, "api_keys.edit", "integrations.edit"] };

const policy = (over: Partial<WorkspacePolicy>): WorkspacePolicy => ({ ...noPolicy, ...over });
const now = new Date("2026-03-10T12:00:00Z");

function refusal(run: () => void) {
  try {
    run();
  } catch (error) {
    if (isDomainError(error)) return { code: error.code, fields: error.details?.fields ?? {} };
    throw error;
  }
  return null;
}

const candidate = (over: Partial<Parameters<typeof checkKeyPolicy>[2]> = {}) => ({
  kind: "personal" as const,
  description: "for CI",
  expiresAt: endOfDayIn("2026-04-01", "Europe/Paris"),
  expiryTimeZone: "Europe/Paris",
  now,
  expiryField: "expiresOn" as const,
  ...over,
});

describe("the policy rules of a new key (policy-rules.ts)", () => {
  it("no policy: anything within the global limits passes", () => {
    expect(refusal(() => checkKeyPolicy(noPolicy, manager, candidate({ description: "" }), { approved: false }))).toBeNull();
  });

  it("maximum lifetime per kind: the end of the day N days ahead in the chosen zone, across a daylight-saving change", () => {
    const p = policy({ maxLifetimeDays: { service: null, personal: 30 } });
    // 10 March + 30 days = 9 April; Paris moves to UTC+2 on 29 March, so that day ends at 21:59:59.999Z, not 22:59.
    expect(latestAllowedExpiry(now, 30, "Europe/Paris")!.toISOString()).toBe("2026-04-09T21:59:59.999Z");
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate({ expiresAt: endOfDayIn("2026-04-09", "Europe/Paris") }), { approved: false }))).toBeNull();
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate({ expiresAt: endOfDayIn("2026-04-10", "Europe/Paris") }), { approved: false }))).toEqual({
      code: "policy_violation",
      fields: { expiresOn: "At most 30 days for personal keys: by 2026-04-09." },
    });
    // The service kind has no maximum here.
    expect(
      refusal(() => checkKeyPolicy(p, viewer, candidate({ kind: "service", expiresAt: endOfDayIn("2027-04-10", "Europe/Paris") }), { approved: false })),
    ).toBeNull();
  });

  it("an instant is held to N × 24 h, keyed by expiresAt", () => {
    const p = policy({ maxLifetimeDays: { service: 7, personal: null } });
    const ok = candidate({ kind: "service", expiryTimeZone: null, expiryField: "expiresAt", expiresAt: new Date(now.getTime() + 7 * 86_400_000) });
    expect(refusal(() => checkKeyPolicy(p, viewer, ok, { approved: false }))).toBeNull();
    const late = { ...ok, expiresAt: new Date(ok.expiresAt.getTime() + 1) };
    expect(refusal(() => checkKeyPolicy(p, viewer, late, { approved: false }))?.fields).toHaveProperty("expiresAt");
  });

  it("a required description refuses a blank one (a roll, description null, is not asked)", () => {
    const p = policy({ requireDescription: true });
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate({ description: "  " }), { approved: false }))?.fields).toEqual({
      description: expect.stringContaining("requires a description"),
    });
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate({ description: null }), { approved: false }))).toBeNull();
  });

  it("the most powerful role of a personal key: nothing beyond it; service keys are not bound", () => {
    const p = policy({ personalMaxRole: member });
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate(), { approved: false }))).toBeNull();
    expect(refusal(() => checkKeyPolicy(p, member, candidate(), { approved: false }))).toBeNull();
    const r = refusal(() => checkKeyPolicy(p, manager, candidate(), { approved: false }));
    expect(r?.code).toBe("policy_violation");
    expect(r?.fields.role).toContain("api_keys.edit");
    expect(refusal(() => checkKeyPolicy(p, manager, candidate({ kind: "service" }), { approved: false }))).toBeNull();
  });

  it("four eyes: refused directly with approval_required on role; the approval path passes it but no other rule", () => {
    const p = policy({ approvalRoles: [manager], maxLifetimeDays: { service: 30, personal: 30 } });
    const r = refusal(() => checkKeyPolicy(p, manager, candidate({ kind: "service" }), { approved: false }));
    expect(r).toEqual({ code: "approval_required", fields: { role: expect.stringContaining("/keys request") } });
    expect(refusal(() => checkKeyPolicy(p, manager, candidate({ kind: "service" }), { approved: true }))).toBeNull();
    const tooLong = candidate({ kind: "service", expiresAt: endOfDayIn("2026-06-01", "Europe/Paris") });
    expect(refusal(() => checkKeyPolicy(p, manager, tooLong, { approved: true }))?.code).toBe("policy_violation");
    expect(refusal(() => checkKeyPolicy(p, viewer, candidate({ kind: "service" }), { approved: false }))).toBeNull();
  });

  it("keys from before a stricter policy: out of policy with short reasons, and shortened to creation + maximum", () => {
    const p = policy({ maxLifetimeDays: { service: null, personal: 30 }, requireDescription: true });
    const key = {
      kind: "personal" as const,
      description: "",
      roleId: viewer.id,
      createdAt: now,
      expiresAt: endOfDayIn("2026-06-01", "Europe/Paris"),
      expiryTimeZone: "Europe/Paris",
    };
    expect(outOfPolicy(p, key)).toEqual(["lives over 30 days", "no description"]);
    expect(shortenedExpiry(key, p)!.toISOString()).toBe("2026-04-09T21:59:59.999Z");
    expect(shortenedExpiry({ ...key, expiryTimeZone: null }, p)!.toISOString()).toBe("2026-04-09T12:00:00.000Z");
    expect(shortenedExpiry({ ...key, expiresAt: endOfDayIn("2026-04-01", "Europe/Paris") }, p)).toBeNull();
  });
});
