/** The capabilities of keyward (SPEC "Concepts") and the built-in roles made of them. */
export const permissions = [
  "api_keys.view",
  "api_keys.edit",
  "personal_tokens.edit",
  "integrations.view",
  "integrations.edit",
  "integrations.secrets.read",
  "roles.edit",
  "audit.view",
  "policy.edit",
] as const;

export type Permission = (typeof permissions)[number];

export const permissionLabels: Record<Permission, string> = {
  "api_keys.view": "View API keys",
  "api_keys.edit": "Edit API keys",
  "personal_tokens.edit": "Create and delete own personal keys",
  "integrations.view": "View integrations",
  "integrations.edit": "Edit integrations",
  "integrations.secrets.read": "Read integration secrets",
  "roles.edit": "Manage roles",
  "audit.view": "View the audit log",
  "policy.edit": "Edit the workspace policy",
};

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}

const viewer: Permission[] = ["api_keys.view", "integrations.view"];
const member: Permission[] = [...viewer, "personal_tokens.edit", "audit.view"];
const manager: Permission[] = [...member, "api_keys.edit", "integrations.edit"];

export const builtInRoles = {
  viewer: { name: "Viewer", permissions: viewer },
  member: { name: "Member", permissions: member },
  manager: { name: "Manager", permissions: manager },
  admin: { name: "Admin", permissions: [...permissions] },
} as const satisfies Record<string, { name: string; permissions: readonly Permission[] }>;

export type BuiltInRoleKey = keyof typeof builtInRoles;
export const builtInRoleKeys = Object.keys(builtInRoles) as BuiltInRoleKey[];

/** Returns the permissions in `wanted` that `held` lacks (empty: `held` covers `wanted`). */
export function missingPermissions(held: ReadonlySet<Permission>, wanted: Iterable<Permission>): Permission[] {
  return [...wanted].filter((p) => !held.has(p));
}
