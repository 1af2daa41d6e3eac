import type { ModalView } from "@slack/types";
import { permissionLabels, type Permission } from "../../domain/permissions.ts";
import { createRoleInputSchema, roleNameLimits } from "../../domain/schemas.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { roleOption } from "./create-key-modal.ts";
import { plain } from "./format.ts";
import { permissionHints } from "./role-summary.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

const permissionOption = (p: Permission) => ({ text: plain(permissionLabels[p], 75), value: p, description: plain(permissionHints[p], 75) });

/** A custom role from a checklist of the permissions the creator holds (no more can be granted). */
export function createRoleModal(grantable: Permission[]): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.createRole,
    title: plain("Create a role", 24),
    submit: plain("Create", 24),
    close: plain("Cancel", 24),
    blocks: [
      {
        type: "input",
        block_id: b.roleName,
        label: plain("Role name"),
        hint: plain(`Unique in this workspace, at most ${roleNameLimits.max} characters; the built-in names (Viewer, Member, Manager, Admin) are taken.`),
        element: { type: "plain_text_input", action_id: inputActionId, max_length: roleNameLimits.max, placeholder: plain("Deployer") },
      },
      {
        type: "input",
        block_id: b.permissions,
        label: plain("Permissions"),
        hint: plain("What holders of the role, and keys given it, may do. Only permissions you hold yourself are listed."),
        element: { type: "checkboxes", action_id: inputActionId, options: grantable.slice(0, 10).map(permissionOption) },
      },
    ],
  };
}

export function parseCreateRoleModal(values: StateValues) {
  const raw = readValues(values);
  const result = createRoleInputSchema.safeParse({ name: raw[b.roleName] ?? "", permissions: raw[b.permissions] ?? [] });
  if (result.success) return { ok: true as const, input: result.data };
  return { ok: false as const, errors: fieldErrorsToBlocks(result.error.issues, b.roleName, { name: b.roleName }) };
}

/** With their permissions, each role option says what the role may do. */
export function assignRoleModal(roles: Array<{ id: string; name: string; permissions?: readonly string[] }>): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.assignRole,
    title: plain("Assign a role", 24),
    submit: plain("Assign", 24),
    close: plain("Cancel", 24),
    blocks: [
      {
        type: "input",
        block_id: b.user,
        label: plain("Person"),
        hint: plain("Their current role, if any, is replaced. Slack workspace owners and admins are keyward Admins anyway."),
        element: { type: "users_select", action_id: inputActionId, placeholder: plain("Choose a person") },
      },
      {
        type: "input",
        block_id: b.role,
        label: plain("Role"),
        hint: plain("Only roles whose permissions you hold yourself are offered."),
        element: { type: "static_select", action_id: inputActionId, options: roles.slice(0, 100).map(roleOption), placeholder: plain("Choose a role") },
      },
    ],
  };
}

export function parseAssignRoleModal(values: StateValues) {
  const raw = readValues(values);
  const errors: Record<string, string> = {};
  const user = typeof raw[b.user] === "string" ? (raw[b.user] as string) : "";
  const role = typeof raw[b.role] === "string" ? (raw[b.role] as string) : "";
  if (!user) errors[b.user] = "Choose a person.";
  if (!role) errors[b.role] = "Choose a role.";
  if (Object.keys(errors).length > 0) return { ok: false as const, errors };
  return { ok: true as const, input: { userId: user, role } };
}
