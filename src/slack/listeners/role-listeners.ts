import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { actionIds, callbackIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { escapeMrkdwn, mention } from "../views/format.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../views/role-modals.ts";
import { forms } from "./forms.ts";
import { openForm, triggerOf, type ViewAck } from "./listener-support.ts";
import { answered, answerSubmission, invalidForm } from "./submission.ts";

export function registerRoleListeners(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(actionIds.openCreateRole, async ({ ack, body, client, context }) => {
    await ack();
    await openForm(deps, triggerOf({ body, client, context }), "Create a role", async ({ actor }) =>
      createRoleModal(deps.services.roles.grantablePermissions(actor)),
    );
  });

  app.action<BlockAction<ButtonAction>>(actionIds.openAssignRole, async ({ ack, body, client, context }) => {
    await ack();
    await openForm(deps, triggerOf({ body, client, context }), "Assign a role", async ({ actor }) =>
      assignRoleModal(await deps.services.roles.assignable(actor)),
    );
  });

  app.view(callbackIds.createRole, async ({ ack, body, view, client, context }) => {
    await answerSubmission(deps, { ack: ack as ViewAck, body, view, client, context }, forms.createRole, async () => {
      const parsed = parseCreateRoleModal(view.state.values);
      if (!parsed.ok) return invalidForm(forms.createRole, view, parsed.errors);
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.create(actor, parsed.input);
      return answered({ title: "Role created", text: `${role.name} can now be assigned.` });
    });
  });

  app.view(callbackIds.assignRole, async ({ ack, body, view, client, context }) => {
    await answerSubmission(deps, { ack: ack as ViewAck, body, view, client, context }, forms.assignRole, async () => {
      const parsed = parseAssignRoleModal(view.state.values);
      if (!parsed.ok) return invalidForm(forms.assignRole, view, parsed.errors);
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.assign(actor, parsed.input.userId, parsed.input.role);
      return answered({ title: "Role assigned", text: `${mention(parsed.input.userId)} now holds ${escapeMrkdwn(role.name)}.`, formatted: true });
    });
  });
}
