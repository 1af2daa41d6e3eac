import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { escapeMrkdwn, mention } from "../views/format.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../views/role-modals.ts";
import { forms } from "./forms.ts";
import { openForm, triggerOf, type ButtonArgs, type SubmitArgs } from "./listener-support.ts";
import { answered, answerSubmission, invalidForm } from "./submission.ts";

/** Create role (under `/keys roles` and on the Home tab): the form offers only permissions the person may grant. */
export const openCreateRoleButton =
  (deps: SlackDeps) =>
  async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await openForm(deps, triggerOf(args), "Create a role", async ({ actor }) => createRoleModal(deps.services.roles.grantablePermissions(actor)));
  };

/** Assign role (beside it): the form offers only roles the person may assign. */
export const openAssignRoleButton =
  (deps: SlackDeps) =>
  async (args: ButtonArgs): Promise<void> => {
    await args.ack();
    await openForm(deps, triggerOf(args), "Assign a role", async ({ actor }) => assignRoleModal(await deps.services.roles.assignable(actor)));
  };

export const createRoleSubmission =
  (deps: SlackDeps) =>
  (args: SubmitArgs): Promise<void> =>
    answerSubmission(deps, args, forms.createRole, async () => {
      const { body, view, client, context } = args;
      const parsed = parseCreateRoleModal(view.state.values);
      if (!parsed.ok) return invalidForm(forms.createRole, view, parsed.errors);
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.create(actor, parsed.input);
      return answered({ title: "Role created", text: `${role.name} can now be assigned.` });
    });

export const assignRoleSubmission =
  (deps: SlackDeps) =>
  (args: SubmitArgs): Promise<void> =>
    answerSubmission(deps, args, forms.assignRole, async () => {
      const { body, view, client, context } = args;
      const parsed = parseAssignRoleModal(view.state.values);
      if (!parsed.ok) return invalidForm(forms.assignRole, view, parsed.errors);
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.assign(actor, parsed.input.userId, parsed.input.role);
      return answered({ title: "Role assigned", text: `${mention(parsed.input.userId)} now holds ${escapeMrkdwn(role.name)}.`, formatted: true });
    });
