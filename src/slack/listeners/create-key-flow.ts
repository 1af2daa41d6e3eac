import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { dayAfter } from "../../domain/expiry.ts";
import { callbackIds } from "../ids.ts";
import { deliverEphemeral, type DeliveryTarget } from "../secret-delivery.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { domainFieldErrors, slackErrorText } from "../slack-errors.ts";
import { createKeyModal, parseCreateKeyModal } from "../views/create-key-modal.ts";
import { blockForField } from "../views/modal-state.ts";
import { loadingModal, noticeModal } from "../views/notices.ts";
import { secretMessage } from "../views/secret-message.ts";
import { openLoading, tellFailure } from "./listener-support.ts";

/** Where the secret goes, carried through the modal. Never the secret itself. */
interface CreateMetadata {
  ch?: string;
  ru?: string;
}

function encodeMetadata(target: Omit<DeliveryTarget, "userId">): string {
  return JSON.stringify({ ch: target.channelId, ru: target.responseUrl } satisfies CreateMetadata);
}

function decodeMetadata(text: string): Omit<DeliveryTarget, "userId"> {
  try {
    const m = JSON.parse(text) as CreateMetadata;
    return {
      channelId: typeof m.ch === "string" && /^[CDG][A-Z0-9]+$/.test(m.ch) ? m.ch : undefined,
      responseUrl: typeof m.ru === "string" ? m.ru : undefined,
    };
  } catch {
    return {};
  }
}

/** Opens the create form: a placeholder first (trigger ids last 3 s), then the real form. */
export async function openCreateKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; channelId?: string; responseUrl?: string },
): Promise<void> {
  const viewId = await openLoading(args.client, args.triggerId, loadingModal("Create an API key"));
  try {
    const { actor, user } = await callerOf(deps, args.client, args.workspaceId, args.userId);
    const options = await deps.services.keys.createOptions(actor);
    const view = createKeyModal({
      roles: options.roles.map((r) => ({ id: r.id, name: r.name })),
      kinds: options.kinds,
      defaultDay: dayAfter(deps.clock.now(), user.tz, deps.defaultExpiryDays),
      timeZone: user.tz,
      privateMetadata: encodeMetadata({ channelId: args.channelId, responseUrl: args.responseUrl }),
    });
    await args.client.views.update({ view_id: viewId, view });
  } catch (error) {
    await tellFailure(deps, { client: args.client, viewId }, error);
  }
}

export function registerCreateKeySubmission(app: App, deps: SlackDeps): void {
  app.view(callbackIds.createKey, async ({ ack, body, view, client, context }) => {
    const workspaceId = workspaceOf(context);
    const userId = body.user.id;
    const { actor, user } = await callerOf(deps, client, workspaceId, userId);
    const parsed = parseCreateKeyModal(view.state.values, user.tz);
    if (!parsed.ok) return void (await ack({ response_action: "errors", errors: parsed.errors }));
    let created;
    try {
      // Permission and role are checked again here, whatever held when the form opened (rule 1).
      created = await deps.services.keys.create(actor, parsed.input);
    } catch (error) {
      const fields = domainFieldErrors(error);
      if (fields) {
        const errors = Object.fromEntries(Object.entries(fields).map(([f, m]) => [blockForField(f, "name"), m]));
        return void (await ack({ response_action: "errors", errors }));
      }
      return void (await ack({ response_action: "update", view: noticeModal("Not created", slackErrorText(error)) }));
    }
    await ack({ response_action: "clear" });
    const target = { userId, ...decodeMetadata(view.private_metadata) };
    const message = secretMessage({ ...created.key, secret: created.secret });
    const route = await deliverEphemeral(client, target, message, deps);
    if (route) return;
    // Rule 4: no live key whose secret nobody saw.
    try {
      await deps.services.keys.delete(actor, created.key.id, "delivery_failed");
    } catch (error) {
      deps.logger.error({ err: error, keyId: created.key.id }, "could not delete an undelivered key");
    }
    deps.logger.warn({ keyId: created.key.id }, "secret could not be delivered; the key was deleted");
    const notice = await deliverEphemeral(
      client,
      target,
      { text: `Your key ${created.key.name} could not be shown to you, so it was deleted again. Nothing is live; try again from a channel the app is in, or from the app's Home tab.`, blocks: [] },
      deps,
    ).catch(() => null);
    if (!notice) await tellFailure(deps, { client }, new Error("undeliverable")).catch(() => undefined);
  });
}
