import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { ModalView } from "@slack/types";
import { dayAfter } from "../../domain/expiry.ts";
import { defaultReplacementDay } from "../../domain/key-roll.ts";
import { callbackIds } from "../ids.ts";
import type { Actor, ApiKey } from "../../domain/types.ts";
import { deliverOrUndo, type DeliveryMessage } from "../secret-delivery.ts";
import { decodeSecretFormOrigin, encodeSecretFormMetadata, type FormOrigin } from "../wire/form-metadata.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { createKeyModal, parseCreateKeyModal } from "../views/create-key-modal.ts";
import { loadingModal } from "../views/notices.ts";
import { secretMessage } from "../views/secret-message.ts";
import { deliveryNotice, deliveryStatus, type DeliveryNoticeView } from "../views/delivery-notice.ts";
import { forms } from "./forms.ts";
import { refreshHome } from "./home-listener.ts";
import { openLoading, tellFailure, type ViewAck } from "./listener-support.ts";
import { answerSubmission, invalidForm, noticeView, type Notice, type Submission } from "./submission.ts";

/** What a create or roll form hands over: the key, its one-time message, and where it came from. */
export interface Handover {
  origin: FormOrigin;
  userId: string;
  /** The submitter's team and the app's id, for the link to the conversation holding the secret. */
  teamId?: string;
  appId?: string;
  actor: Actor;
  key: ApiKey;
  message: DeliveryMessage;
  replaces?: DeliveryNoticeView["replaces"];
}

/**
 * Delivers the secret, then answers the form. Seen where the person typed, the form just closes
 * onto the message; anywhere else (the DM, from the Home tab or past a channel that refused) the
 * form turns into a notice saying where the secret is, with a link, and how long it stays; when
 * nothing worked, it says so (rule 4). The delivery runs before the answer because the answer
 * depends on it; a slow one takes the late path (submission.ts), where the same notice replaces
 * the "working" view. A form from the Home tab republishes the tab afterwards, with the key.
 */
export async function handOverSecret(deps: SlackDeps, client: WebClient, handover: Handover): Promise<Submission> {
  const { origin, key } = handover;
  const outcome = await deliverOrUndo(
    deps,
    client,
    { userId: handover.userId, channelId: origin.channelId, responseUrl: origin.responseUrl },
    handover.message,
    key,
    handover.actor,
  );
  const view: DeliveryNoticeView = {
    keyName: key.name,
    last4: key.last4,
    outcome,
    teamId: handover.teamId,
    appId: handover.appId,
    replaces: handover.replaces,
  };
  const notice: Notice = { ...deliveryNotice(view), formatted: true };
  const seenInPlace = outcome.state === "delivered" && outcome.route !== "dm" && !origin.home;
  const after = origin.home
    ? () => refreshHome(deps, { client, workspaceId: handover.actor.workspaceId, userId: handover.userId }, deliveryStatus(view))
    : undefined;
  return { response: seenInPlace ? { response_action: "clear" } : { response_action: "update", view: noticeView(notice) }, late: notice, after };
}

/** Opens the create form: a placeholder first (trigger ids last 3 s), then the real form. */
export async function openCreateKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; channelId?: string; responseUrl?: string; home?: boolean },
): Promise<void> {
  const viewId = await openLoading(args.client, args.triggerId, loadingModal("Create an API key"));
  try {
    const { actor, user } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const view = await createKeyForm(deps, actor, user.tz, { channelId: args.channelId, responseUrl: args.responseUrl, home: args.home });
    await args.client.views.update({ view_id: viewId, view });
  } catch (error) {
    await tellFailure(deps, { client: args.client, viewId }, error);
  }
}

/** The create form for this person; `replacing` fills it in from an expired key (its reminder's "Create a replacement"). */
export async function createKeyForm(deps: SlackDeps, actor: Actor, timeZone: string, target: FormOrigin, replacing?: ApiKey): Promise<ModalView> {
  const options = await deps.services.keys.createOptions(actor);
  const now = deps.clock.now();
  return createKeyModal({
    roles: options.roles.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions })),
    kinds: options.kinds,
    // A replacement is suggested its predecessor's lifetime again, as a roll is.
    defaultDay: replacing ? defaultReplacementDay(replacing, now, timeZone) : dayAfter(now, timeZone, deps.defaultExpiryDays),
    timeZone,
    privateMetadata: encodeSecretFormMetadata(target),
    prefill: replacing && {
      name: replacing.name,
      description: replacing.description,
      roleId: replacing.roleId,
      roleName: replacing.roleName,
      kind: replacing.kind,
      replaces: { last4: replacing.last4, expiresAt: replacing.expiresAt },
    },
  });
}

export function registerCreateKeySubmission(app: App, deps: SlackDeps): void {
  app.view(callbackIds.createKey, async ({ ack, body, view, client, context }) => {
    const userId = body.user.id;
    await answerSubmission(deps, { ack: ack as ViewAck, body, view, client, context }, forms.createKey, async () => {
      const { actor, user } = await callerOf(deps, client, workspaceOf(context), userId);
      const parsed = parseCreateKeyModal(view.state.values, user.tz);
      if (!parsed.ok) return invalidForm(forms.createKey, view, parsed.errors);
      // Permission and role are checked again here, whatever held when the form opened (rule 1).
      const created = await deps.services.keys.create(actor, parsed.input, { pendingDelivery: true });
      const message = secretMessage({ ...created.key, secret: created.secret });
      return handOverSecret(deps, client, {
        origin: decodeSecretFormOrigin(view.private_metadata),
        userId,
        teamId: context.teamId,
        appId: body.api_app_id,
        actor,
        key: created.key,
        message,
      });
    });
  });
}
