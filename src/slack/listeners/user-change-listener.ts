import type { SlackUserOrigin } from "../served-workspace.ts";
import { workspaceOf, type SlackDeps } from "../slack-deps.ts";
import type { EventArgs } from "./listener-support.ts";

/**
 * user_change: a person was made or unmade admin, or deactivated. Their cached facts go, and
 * the domain records the change at once, so personal keys used over REST follow it. (A person of
 * another organisation never gets here: the served-workspace guard drops such events; a sister
 * workspace's admin on Grid is not an admin here, as with users.info.)
 */
export const userChanged =
  (deps: SlackDeps) =>
  async ({ event, context }: EventArgs<"user_change">): Promise<void> => {
    const user = event.user as SlackUserOrigin & { id?: string; deleted?: boolean };
    if (!user?.id) return;
    const workspaceId = workspaceOf(context);
    deps.users.forget(workspaceId, user.id);
    try {
      await deps.services.access.slackUserChanged(workspaceId, user.id, {
        isWorkspaceAdmin: await deps.users.isAdminHere(workspaceId, user),
        deactivated: Boolean(user.deleted),
      });
    } catch (error) {
      deps.logger.error({ err: error, userId: user.id }, "could not record a Slack user change");
    }
  };
