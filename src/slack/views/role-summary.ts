import { permissions, type Permission } from "../../domain/permissions.ts";

/**
 * What a role lets its holder do, in words short enough for a select option's description
 * (Slack allows 75 characters there). A stronger permission stands in for the weaker one it
 * goes with ("create, rename and delete any key" says "see keys" too, as the forms offer it).
 */
export function roleSummary(held: readonly string[]): string {
  const has = (p: Permission) => held.includes(p);
  if (permissions.every(has)) return "Everything, including roles and reading integration secrets";
  const parts: string[] = [];
  if (has("api_keys.edit")) parts.push("create and change any key");
  else if (has("personal_tokens.edit")) parts.push(has("api_keys.view") ? "see keys, make own personal keys" : "make own personal keys");
  else if (has("api_keys.view")) parts.push("see keys");
  if (has("integrations.edit")) parts.push("manage integrations");
  else if (has("integrations.view")) parts.push("see integrations");
  if (has("integrations.secrets.read")) parts.push("read integration secrets");
  if (has("roles.edit")) parts.push("manage roles");
  if (has("audit.view")) parts.push("read the audit log");
  if (has("policy.edit")) parts.push("set the policy");
  if (parts.length === 0) return "Nothing yet: holds no permission";
  const sentence = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
  const capitalised = sentence[0]!.toUpperCase() + sentence.slice(1);
  return capitalised.length <= 75 ? capitalised : `${capitalised.slice(0, 74)}…`;
}

/** What each permission allows, for the create-role checklist (option descriptions, 75 characters at most). */
export const permissionHints: Record<Permission, string> = {
  "api_keys.view": "See every API key: name, role, last 4, creator, expiry, last use",
  "api_keys.edit": "Create, rename, roll and delete any API key",
  "personal_tokens.edit": "Create, roll and delete one's own personal keys",
  "integrations.view": "See integration configurations (never their secrets)",
  "integrations.edit": "Add, rotate, make default and delete integration configurations",
  "integrations.secrets.read": "Read integration secrets back over the REST API",
  "roles.edit": "Create custom roles and assign roles to people",
  "audit.view": "Read the audit log",
  "policy.edit": "Set the workspace policy and the key approvals channel (Admin only)",
};
