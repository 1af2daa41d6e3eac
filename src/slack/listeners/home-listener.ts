import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { capabilitiesOf } from "../../domain/capabilities.ts";
import { actionIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { homeView } from "../views/home-view.ts";
import { parsePageValue } from "./listener-support.ts";
import { homePages } from "./page-views.ts";

/** Builds and publishes one person's Home tab, at the given page of keys. */
export async function publishHome(deps: SlackDeps, client: WebClient, workspaceId: string, userId: string, page = 1, cursor?: string): Promise<void> {
  const { actor } = await callerOf(deps, client, workspaceId, userId);
  const caps = capabilitiesOf(actor);
  const { keys, integrations, admins } = await homePages(deps, actor, page, cursor);
  const view = homeView({ roleName: actor.roleName, keys, canEditRoles: caps.editRoles, canCreate: caps.createKinds.length > 0, integrations, admins });
  await client.views.publish({ user_id: userId, view });
}

export function registerHomeListeners(app: App, deps: SlackDeps): void {
  app.event("app_home_opened", async ({ event, client, context }) => {
    if (event.tab !== "home") return;
    try {
      await publishHome(deps, client, workspaceOf(context), event.user);
    } catch (error) {
      deps.logger.error({ err: error }, "could not publish the Home tab");
    }
  });

  for (const actionId of [actionIds.homeNextPage, actionIds.homeFirstPage]) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, context }) => {
      await ack();
      const { page, cursor } = parsePageValue(action.value);
      try {
        await publishHome(deps, client, workspaceOf(context), body.user.id, page, cursor);
      } catch (error) {
        deps.logger.error({ err: error }, "could not page the Home tab");
      }
    });
  }
}
