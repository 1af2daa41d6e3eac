import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { callbackIds } from "../ids.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { loadingModal } from "../views/notices.ts";
import { editKeyIdFrom } from "../views/edit-key-modal.ts";
import { parseRollKeyModal, rollKeyModal } from "../views/roll-key-modal.ts";
import { secretMessage } from "../views/secret-message.ts";
import { decodeMetadata, deliverOrUndo, encodeMetadata } from "./create-key-flow.ts";
import { ackSubmissionFailure, openLoading, tellFailure, type ViewAck } from "./listener-support.ts";

/** `/keys roll <name|id>`: the grace-period form for a key the person may change. */
export async function openRollKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; ref: string; channelId?: string; responseUrl?: string },
): Promise<void> {
  const viewId = await openLoading(args.client, args.triggerId, loadingModal("Roll an API key"));
  try {
    const { actor } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const key = await deps.services.keys.findForChange(actor, args.ref);
    const privateMetadata = encodeMetadata({ channelId: args.channelId, responseUrl: args.responseUrl }, { keyId: key.id });
    await args.client.views.update({ view_id: viewId, view: rollKeyModal({ ...key, privateMetadata }) });
  } catch (error) {
    await tellFailure(deps, { client: args.client, viewId }, error);
  }
}

export function registerRollKeySubmission(app: App, deps: SlackDeps): void {
  app.view(callbackIds.rollKey, async ({ ack, body, view, client, context }) => {
    const parsed = parseRollKeyModal(view.state.values);
    if (!parsed.ok) return void (await ack({ response_action: "errors", errors: parsed.errors }));
    let rolled;
    let actor;
    try {
      actor = (await callerOf(deps, client, workspaceOf(context), body.user.id)).actor;
      // The key id comes from private_metadata: looked up in the submitter's workspace, with their permissions now.
      rolled = await deps.services.keys.roll(actor, editKeyIdFrom(view.private_metadata) ?? "", parsed.input, { pendingDelivery: true });
    } catch (error) {
      return ackSubmissionFailure(deps, ack as ViewAck, error, { title: "Not rolled", fallbackBlock: "grace" });
    }
    await ack({ response_action: "clear" });
    const message = secretMessage({ ...rolled.key, secret: rolled.secret, replaces: { last4: rolled.previous.last4, worksUntil: rolled.previous.expiresAt } });
    await deliverOrUndo(deps, client, { userId: body.user.id, ...decodeMetadata(view.private_metadata) }, message, rolled.key, actor);
  });
}
