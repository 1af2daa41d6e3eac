import type { App } from "@slack/bolt";
import { workspaceOf, type SlackDeps } from "../slack-deps.ts";

/**
 * user_change: a person was made or unmade admin, or deactivated. Their cached facts go, and
 * the domain records the change at once, so personal keys used over REST follow it.
 */
export function registerUserChangeListener(app: App, deps: SlackDeps): void {
  app.event("user_change", async ({ event, context }) => {
    const user = event.user as { id?: string; is_admin?: boolean; is_owner?: boolean; deleted?: boolean };
    if (!user?.id) return;
    const workspaceId = workspaceOf(context);
    deps.users.forget(workspaceId, user.id);
    try {
      await deps.services.access.slackUserChanged(workspaceId, user.id, { isWorkspaceAdmin: Boolean(user.is_admin || user.is_owner), deactivated: Boolean(user.deleted) });
    } catch (error) {
      deps.logger.error({ err: error, userId: user.id }, "could not record a Slack user change");
    }
  });
}
