import { describe, expect, it } from "vitest";
import {
  builtInRoleKeys,
  builtInRoles,
  isPermission,
  missingPermissions,
  permissionLabels,
  permissions,
  type Permission,
} from "../../src/domain/permissions.ts";

describe("permissions and built-in roles", () => {
  it("knows the nine capabilities of SPEC 'Concepts', each with a label for people", () => {
    expect(permissions).toEqual([
      "api_keys.view",
      "api_keys.edit",
      "personal_tokens.edit",
      "integrations.view",
      "integrations.edit",
      "integrations.secrets.read",
      "roles.edit",
      "audit.view",
      "policy.edit",
    ]);
    expect(permissionLabels).toEqual({
      "api_keys.view": "View API keys",
      "api_keys.edit": "Edit API keys",
      "personal_tokens.edit": "Create and delete own personal keys",
      "integrations.view": "View integrations",
      "integrations.edit": "Edit integrations",
      "integrations.secrets.read": "Read integration secrets",
      "roles.edit": "Manage roles",
      "audit.view": "View the audit log",
      "policy.edit": "Edit the workspace policy",
    });
  });

  it("tells a permission from any other string", () => {
    expect(permissions.every(isPermission)).toBe(true);
    expect(["", "api_keys", "API_KEYS.VIEW", "api_keys.view ", "admin", "toString"].some(isPermission)).toBe(false);
  });

  it("builds each role on the one below it; only Admin reads secrets or manages roles", () => {
    expect(builtInRoleKeys).toEqual(["viewer", "member", "manager", "admin"]);
    expect(builtInRoles.viewer).toEqual({ name: "Viewer", permissions: ["api_keys.view", "integrations.view"] });
    expect(builtInRoles.member).toEqual({ name: "Member", permissions: ["api_keys.view", "integrations.view", "personal_tokens.edit", "audit.view"] });
    expect(builtInRoles.manager).toEqual({
      name: "Manager",
      permissions: ["api_keys.view", "integrations.view", "personal_tokens.edit", "audit.view", "api_keys.edit", "integrations.edit"],
    });
    expect(builtInRoles.admin).toEqual({ name: "Admin", permissions: [...permissions] });
  });

  it("lists what a holder lacks, in the order asked, and nothing when it is covered", () => {
    const held = new Set<Permission>(["api_keys.view", "audit.view"]);
    expect(missingPermissions(held, ["roles.edit", "api_keys.view", "integrations.edit"])).toEqual(["roles.edit", "integrations.edit"]);
    expect(missingPermissions(held, ["audit.view", "api_keys.view"])).toEqual([]);
    expect(missingPermissions(new Set(), [])).toEqual([]);
  });
});
