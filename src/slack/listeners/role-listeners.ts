import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { actionIds, callbackIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { loadingModal, noticeModal } from "../views/notices.ts";
import { escapeMrkdwn, mention } from "../views/format.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../views/role-modals.ts";
import { ackSubmissionFailure, openLoading, tellFailure, type ViewAck } from "./listener-support.ts";
import { inputBlockIds } from "../ids.ts";

/** Maps domain field errors to this form's blocks, or replaces the form with the refusal. */
export function registerRoleListeners(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(actionIds.openCreateRole, async ({ ack, body, client, context }) => {
    await ack();
    const viewId = await openLoading(client, body.trigger_id, loadingModal("Create a role"));
    try {
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const grantable = deps.services.roles.grantablePermissions(actor);
      await client.views.update({ view_id: viewId, view: createRoleModal(grantable) });
    } catch (error) {
      await tellFailure(deps, { client, viewId }, error);
    }
  });

  app.action<BlockAction<ButtonAction>>(actionIds.openAssignRole, async ({ ack, body, client, context }) => {
    await ack();
    const viewId = await openLoading(client, body.trigger_id, loadingModal("Assign a role"));
    try {
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const roles = await deps.services.roles.assignable(actor);
      await client.views.update({ view_id: viewId, view: assignRoleModal(roles) });
    } catch (error) {
      await tellFailure(deps, { client, viewId }, error);
    }
  });

  app.view(callbackIds.createRole, async ({ ack, body, view, client, context }) => {
    const parsed = parseCreateRoleModal(view.state.values);
    if (!parsed.ok) return void (await ack({ response_action: "errors", errors: parsed.errors }));
    try {
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.create(actor, parsed.input);
      await ack({ response_action: "update", view: noticeModal("Role created", `${role.name} can now be assigned.`) });
    } catch (error) {
      await ackSubmissionFailure(deps, ack as ViewAck, error, { title: "Not created", fallbackBlock: inputBlockIds.roleName, blocks: { name: inputBlockIds.roleName, permissions: inputBlockIds.permissions } });
    }
  });

  app.view(callbackIds.assignRole, async ({ ack, body, view, client, context }) => {
    const parsed = parseAssignRoleModal(view.state.values);
    if (!parsed.ok) return void (await ack({ response_action: "errors", errors: parsed.errors }));
    try {
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      const role = await deps.services.roles.assign(actor, parsed.input.userId, parsed.input.role);
      await ack({ response_action: "update", view: noticeModal("Role assigned", `${mention(parsed.input.userId)} now holds ${escapeMrkdwn(role.name)}.`, { formatted: true }) });
    } catch (error) {
      await ackSubmissionFailure(deps, ack as ViewAck, error, { title: "Not assigned", fallbackBlock: inputBlockIds.role, blocks: { role: inputBlockIds.role, user: inputBlockIds.user } });
    }
  });
}

