import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { actionIds, callbackIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { editKeyIdFrom, editKeyModal, parseEditKeyModal } from "../views/edit-key-modal.ts";
import { keyListMessage } from "../views/key-list-blocks.ts";
import { loadingModal, noticeMessage } from "../views/notices.ts";
import { openCreateKeyForm, registerCreateKeySubmission } from "./create-key-flow.ts";
import { publishHome } from "./home-listener.ts";
import { registerRollKeySubmission } from "./roll-key-flow.ts";
import { forms } from "./forms.ts";
import { keyPageView } from "./page-views.ts";
import { openLoading, parsePageValue, tell, tellFailure, type Reply, type ViewAck, type ButtonArgs } from "./listener-support.ts";
import { answered, answerSubmission, invalidForm } from "./submission.ts";


/** Opens the rename form for a key the person may change. */
export async function openEditKeyForm(deps: SlackDeps, args: { client: ButtonArgs["client"]; triggerId: string; workspaceId: string; userId: string; ref: string }) {
  const viewId = await openLoading(args.client, args.triggerId, loadingModal("Rename an API key"));
  try {
    const { actor } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const key = await deps.services.keys.findForChange(actor, args.ref);
    await args.client.views.update({ view_id: viewId, view: editKeyModal({ ...key, keyId: key.id }) });
  } catch (error) {
    await tellFailure(deps, { client: args.client, viewId }, error);
  }
}

/** The message a list page is shown in: a command's response, or the message that was paged. */
export async function showKeyPage(deps: SlackDeps, reply: Reply & { respond: NonNullable<Reply["respond"]> }, caller: { workspaceId: string; userId: string }, page: number, cursor: string | undefined, replace: boolean) {
  const { actor } = await callerOf(deps, reply.client, caller.workspaceId, caller.userId);
  const message = keyListMessage(await keyPageView(deps, actor, page, cursor));
  await reply.respond({ response_type: "ephemeral", replace_original: replace, ...message });
}

export function registerKeyListeners(app: App, deps: SlackDeps): void {
  registerCreateKeySubmission(app, deps);
  registerRollKeySubmission(app, deps);

  app.action<BlockAction<ButtonAction>>(actionIds.openCreateKey, async ({ ack, body, client, context }) => {
    await ack();
    await openCreateKeyForm(deps, {
      client,
      triggerId: body.trigger_id,
      workspaceId: workspaceOf(context),
      userId: body.user.id,
      channelId: body.channel?.id,
      responseUrl: body.response_url,
    });
  });

  app.action<BlockAction<ButtonAction>>(actionIds.openEditKey, async ({ ack, body, action, client, context }) => {
    await ack();
    await openEditKeyForm(deps, { client, triggerId: body.trigger_id, workspaceId: workspaceOf(context), userId: body.user.id, ref: action.value ?? "" });
  });

  app.view(callbackIds.editKey, async ({ ack, body, view, client, context }) => {
    await answerSubmission(deps, { ack: ack as ViewAck, body, view, client, context }, forms.editKey, async () => {
      const parsed = parseEditKeyModal(view.state.values);
      if (!parsed.ok) return invalidForm(forms.editKey, view, parsed.errors);
      const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
      // The id from private_metadata is looked up in the submitter's own workspace, with their permissions now.
      const updated = await deps.services.keys.update(actor, editKeyIdFrom(view.private_metadata) ?? "", parsed.input);
      return answered({ title: "Saved", text: `The key is now called ${updated.name}.` });
    });
  });

  // Delete from a list or the Home tab: Slack's confirm dialog has already asked.
  app.action<BlockAction<ButtonAction>>(actionIds.deleteKey, async (args) => {
    await args.ack();
    await deleteKey(deps, args as ButtonArgs, false);
  });

  // Delete from `/keys delete <name>`: the confirmation message's own button.
  app.action<BlockAction<ButtonAction>>(actionIds.askDeleteKey, async (args) => {
    await args.ack();
    await deleteKey(deps, args as ButtonArgs, true);
  });

  app.action<BlockAction<ButtonAction>>(actionIds.cancelDelete, async ({ ack, respond }) => {
    await ack();
    await respond({ response_type: "ephemeral", replace_original: true, ...noticeMessage("Nothing was deleted.") });
  });

  for (const actionId of [actionIds.listNextPage, actionIds.listFirstPage]) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, client, context, respond }) => {
      await ack();
      const { page, cursor } = parsePageValue(action.value);
      try {
        await showKeyPage(deps, { client, respond }, { workspaceId: workspaceOf(context), userId: body.user.id }, page, cursor, true);
      } catch (error) {
        await tellFailure(deps, { client, respond }, error);
      }
    });
  }
}

async function deleteKey(deps: SlackDeps, { body, action, client, context, respond }: ButtonArgs, replace: boolean): Promise<void> {
  const workspaceId = workspaceOf(context);
  const onHome = body.view?.type === "home";
  const reply: Reply = onHome || !respond ? { client, triggerId: body.trigger_id } : { client, respond };
  try {
    const { actor } = await callerOf(deps, client, workspaceId, body.user.id);
    const key = await deps.services.keys.delete(actor, action.value ?? "");
    const text = `Deleted ${key.name} (…${key.last4}). It is refused from now on.`;
    if (onHome) await publishHome(deps, client, workspaceId, body.user.id);
    if (onHome || !respond) {
      await tell(deps, reply, text, ":wastebasket:");
    } else {
      await respond({ response_type: "ephemeral", replace_original: replace, ...noticeMessage(text, ":wastebasket:") });
    }
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
}
