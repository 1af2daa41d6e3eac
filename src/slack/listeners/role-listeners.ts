import { escapeMrkdwn, mention } from "../views/format.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../views/role-modals.ts";
import { forms } from "./forms.ts";
import { callerOfRequest, openForm, pressListener, triggerOf, type ButtonArgs } from "./listener-support.ts";
import { answered, invalidForm, submissionListener } from "./submission.ts";

/** Create role (under `/keys roles` and on the Home tab): the form offers only permissions the person may grant. */
export const openCreateRoleButton = pressListener(async (deps, args: ButtonArgs) => {
  await openForm(deps, triggerOf(args), "Create a role", async ({ actor }) => createRoleModal(deps.services.roles.grantablePermissions(actor)));
});

/** Assign role (beside it): the form offers only roles the person may assign. */
export const openAssignRoleButton = pressListener(async (deps, args: ButtonArgs) => {
  await openForm(deps, triggerOf(args), "Assign a role", async ({ actor }) => assignRoleModal(await deps.services.roles.assignable(actor)));
});

export const createRoleSubmission = submissionListener(forms.createRole, async (deps, args) => {
  const parsed = parseCreateRoleModal(args.view.state.values);
  if (!parsed.ok) return invalidForm(forms.createRole, args.view, parsed.errors);
  const { actor } = await callerOfRequest(deps, args);
  const role = await deps.services.roles.create(actor, parsed.input);
  return answered({ title: "Role created", text: `${role.name} can now be assigned.` });
});

export const assignRoleSubmission = submissionListener(forms.assignRole, async (deps, args) => {
  const parsed = parseAssignRoleModal(args.view.state.values);
  if (!parsed.ok) return invalidForm(forms.assignRole, args.view, parsed.errors);
  const { actor } = await callerOfRequest(deps, args);
  const role = await deps.services.roles.assign(actor, parsed.input.userId, parsed.input.role);
  return answered({ title: "Role assigned", text: `${mention(parsed.input.userId)} now holds ${escapeMrkdwn(role.name)}.`, formatted: true });
});
