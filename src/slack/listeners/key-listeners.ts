import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { actionIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { openCreateKeyForm, registerCreateKeySubmission } from "./create-key-flow.ts";
import { openEditKeyForm, registerEditKeySubmission } from "./edit-key-flow.ts";
import { registerKeyListActions } from "./key-list-actions.ts";
import { keyPageMessage } from "./key-list-surface.ts";
import { legacyRenameRefFrom } from "../wire/key-row-values.ts";
import { decodeKeyPageValue } from "../wire/paging-values.ts";
import { fromHome, tellFailure, type Reply } from "./listener-support.ts";
import { registerRollKeySubmission } from "./roll-key-flow.ts";

/** The message a list page is shown in: a command's response, or the message that was paged. */
export async function showKeyPage(
  deps: SlackDeps,
  reply: Reply & { respond: NonNullable<Reply["respond"]> },
  caller: { workspaceId: string; userId: string },
  page: number,
  cursor: string | undefined,
  replace: boolean,
) {
  const { actor } = await callerOf(deps, reply.client, caller.workspaceId, caller.userId);
  const message = await keyPageMessage(deps, actor, { page, ...(cursor ? { cursor } : {}) });
  await reply.respond({ response_type: "ephemeral", replace_original: replace, ...message });
}

export function registerKeyListeners(app: App, deps: SlackDeps): void {
  registerCreateKeySubmission(app, deps);
  registerRollKeySubmission(app, deps);
  registerEditKeySubmission(app, deps);
  registerKeyListActions(app, deps);

  app.action<BlockAction<ButtonAction>>(actionIds.openCreateKey, async ({ ack, body, client, context }) => {
    await ack();
    await openCreateKeyForm(deps, {
      client,
      triggerId: body.trigger_id,
      workspaceId: workspaceOf(context),
      userId: body.user.id,
      channelId: body.channel?.id,
      responseUrl: body.response_url,
      home: fromHome(body),
    });
  });

  // The Rename button of lists posted before the row menu (and of any message that still has one).
  app.action<BlockAction<ButtonAction>>(actionIds.openEditKey, async ({ ack, body, action, client, context }) => {
    await ack();
    await openEditKeyForm(deps, {
      client,
      triggerId: body.trigger_id,
      workspaceId: workspaceOf(context),
      userId: body.user.id,
      ref: legacyRenameRefFrom(action.value),
    });
  });

  for (const actionId of [actionIds.listNextPage, actionIds.listFirstPage]) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, context, respond }) => {
      await ack();
      const { page, cursor } = decodeKeyPageValue(action.value);
      try {
        await showKeyPage(deps, { client, respond }, { workspaceId: workspaceOf(context), userId: body.user.id }, page, cursor, true);
      } catch (error) {
        await tellFailure(deps, { client, respond }, error);
      }
    });
  }
}
