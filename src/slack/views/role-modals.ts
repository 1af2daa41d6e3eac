import type { ModalView } from "@slack/types";
import { permissionLabels, type Permission } from "../../domain/permissions.ts";
import { createRoleInputSchema, roleNameLimits } from "../../domain/schemas.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { plain } from "./format.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

const option = (text: string, value: string) => ({ text: plain(text, 75), value });

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
        element: { type: "plain_text_input", action_id: inputActionId, max_length: roleNameLimits.max },
      },
      {
        type: "input",
        block_id: b.permissions,
        label: plain("Permissions"),
        hint: plain("Only permissions you hold yourself are listed."),
        element: { type: "checkboxes", action_id: inputActionId, options: grantable.slice(0, 10).map((p) => option(permissionLabels[p], p)) },
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

export function assignRoleModal(roles: Array<{ id: string; name: string }>): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.assignRole,
    title: plain("Assign a role", 24),
    submit: plain("Assign", 24),
    close: plain("Cancel", 24),
    blocks: [
      { type: "input", block_id: b.user, label: plain("Person"), element: { type: "users_select", action_id: inputActionId } },
      {
        type: "input",
        block_id: b.role,
        label: plain("Role"),
        element: { type: "static_select", action_id: inputActionId, options: roles.slice(0, 100).map((r) => option(r.name, r.id)) },
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
