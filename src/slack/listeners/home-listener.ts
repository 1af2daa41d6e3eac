import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { capabilitiesOf } from "../../domain/capabilities.ts";
import { actionIds } from "../ids.ts";
import { integrationListView } from "../integration-presenters.ts";
import { keyListView } from "../presenters.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { homeView } from "../views/home-view.ts";
import { integrationsPerPage } from "../views/integration-list-blocks.ts";
import { loadKeyPage, parsePageValue } from "./listener-support.ts";

/** What a republish after a row action adds: the result line, or the row that asks "Delete …?". */
export interface HomeExtras {
  result?: string;
  askingDelete?: string;
}

/** Builds and publishes one person's Home tab, at the given page of keys. */
export async function publishHome(deps: SlackDeps, client: WebClient, workspaceId: string, userId: string, page = 1, cursor?: string, extras: HomeExtras = {}): Promise<void> {
  const { actor } = await callerOf(deps, client, workspaceId, userId);
  const caps = capabilitiesOf(actor);
  const keys = caps.viewKeys ? { ...keyListView(actor, await loadKeyPage(deps, actor, page, cursor), page, deps.clock.now(), cursor), askingDelete: extras.askingDelete } : null;
  // The Home tab shows the first page of configurations only; the command pages through the rest.
  const integrations = caps.viewIntegrations
    ? integrationListView(actor, await deps.services.integrations.list(actor, undefined, { limit: integrationsPerPage }), 1, undefined, deps.clock.now())
    : null;
  const view = homeView({ roleName: actor.roleName, keys, canEditRoles: caps.editRoles, canCreate: caps.createKinds.length > 0, integrations, result: extras.result });
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
