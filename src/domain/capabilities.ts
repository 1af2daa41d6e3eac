import type { Actor, ApiKey, KeyKind } from "./types.ts";

/**
 * What an actor may do, as the surfaces need it to shape help texts, buttons and forms.
 * The services enforce the same rules on every change; this only decides what to offer.
 */
export interface Capabilities {
  viewKeys: boolean;
  createKinds: KeyKind[];
  editAnyKey: boolean;
  editRoles: boolean;
  viewAudit: boolean;
  viewIntegrations: boolean;
  editIntegrations: boolean;
  editPolicy: boolean;
  /** Anyone of the workspace may ask for a key (`/keys request`); not a person of another organisation. */
  requestKeys: boolean;
  /** Set the approvals channel (`/keys approvals #channel`): policy.edit, Admins. */
  setApprovals: boolean;
}

export function capabilitiesOf(actor: Actor): Capabilities {
  const has = (p: Parameters<Actor["permissions"]["has"]>[0]) => actor.permissions.has(p);
  const createKinds: KeyKind[] = [];
  if (has("api_keys.edit")) createKinds.push("service");
  if (has("api_keys.edit") || has("personal_tokens.edit")) createKinds.push("personal");
  return {
    viewKeys: has("api_keys.view"),
    createKinds,
    editAnyKey: has("api_keys.edit"),
    editRoles: has("roles.edit"),
    viewAudit: has("audit.view"),
    viewIntegrations: has("integrations.view"),
    editIntegrations: has("integrations.edit"),
    editPolicy: has("policy.edit"),
    requestKeys: !actor.outsider,
    setApprovals: has("policy.edit"),
  };
}

/** Rule 1: api_keys.edit for any key; personal_tokens.edit for one's own personal keys. */
export function canChangeKey(actor: Actor, key: Pick<ApiKey, "kind" | "createdBy">): boolean {
  if (actor.permissions.has("api_keys.edit")) return true;
  return key.kind === "personal" && key.createdBy === actor.userId && actor.permissions.has("personal_tokens.edit");
}
