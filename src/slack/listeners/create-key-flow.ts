import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { ModalView } from "@slack/types";
import { dayAfter } from "../../domain/expiry.ts";
import { defaultReplacementDay } from "../../domain/key-roll.ts";
import { callbackIds } from "../ids.ts";
import type { Actor, ApiKey } from "../../domain/types.ts";
import { deliverEphemeral, type DeliveryMessage, type DeliveryTarget } from "../secret-delivery.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { createKeyModal, parseCreateKeyModal } from "../views/create-key-modal.ts";
import { loadingModal } from "../views/notices.ts";
import { secretMessage } from "../views/secret-message.ts";
import { forms } from "./forms.ts";
import { openLoading, tellFailure, type ViewAck } from "./listener-support.ts";
import { answerSubmission, invalidForm, type Notice } from "./submission.ts";

/**
 * Delivers a new secret to its creator and then activates the key; when no route works, the key
 * is removed again
 * (rule 4: no live key whose secret nobody saw) and the creator is told, without the secret.
 */
export async function deliverOrUndo(deps: SlackDeps, client: WebClient, target: DeliveryTarget, message: DeliveryMessage, key: ApiKey, actor: Actor): Promise<boolean> {
  const keyName = key.name;
  if (await deliverEphemeral(client, target, message, deps)) {
    if (await activateWithRetry(deps, actor, key.id)) return true;
    // Shown but never switched on: the sweep removes it; the creator must not rely on it.
    const text = `Your key ${keyName} was shown to you but could not be switched on; it will be removed shortly. Please create a new one.`;
    await deliverEphemeral(client, target, { text, blocks: [] }, deps).catch(() => null);
    return false;
  }
  try {
    await deps.services.keys.discardUndelivered(actor, key, "delivery_failed");
    deps.logger.warn({ keyName }, "secret could not be delivered; the key was removed again");
  } catch (error) {
    deps.logger.error({ err: error, keyName }, "could not remove an undelivered key");
  }
  const text = `Your key ${keyName} could not be shown to you, so it was removed again. Nothing new is live; try again from a channel the app is in, or from the app's Home tab.`;
  await deliverEphemeral(client, target, { text, blocks: [] }, deps).catch(() => null);
  return false;
}

async function activateWithRetry(deps: SlackDeps, actor: Actor, keyId: string): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await deps.services.keys.activate(actor, keyId);
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, keyId, attempt }, "could not activate a delivered key");
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
  return false;
}

/** Where the secret goes, carried through the modal. Never the secret itself. */
interface CreateMetadata {
  ch?: string;
  ru?: string;
}

export function encodeMetadata(target: Omit<DeliveryTarget, "userId">, extra: Record<string, string> = {}): string {
  return JSON.stringify({ ...extra, ch: target.channelId, ru: target.responseUrl } satisfies CreateMetadata);
}

export function decodeMetadata(text: string): Omit<DeliveryTarget, "userId"> {
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
    const view = await createKeyForm(deps, actor, user.tz, { channelId: args.channelId, responseUrl: args.responseUrl });
    await args.client.views.update({ view_id: viewId, view });
  } catch (error) {
    await tellFailure(deps, { client: args.client, viewId }, error);
  }
}

/** The create form for this person; `replacing` fills it in from an expired key (its reminder's "Create a replacement"). */
export async function createKeyForm(deps: SlackDeps, actor: Actor, timeZone: string, target: Omit<DeliveryTarget, "userId">, replacing?: ApiKey): Promise<ModalView> {
  const options = await deps.services.keys.createOptions(actor);
  const now = deps.clock.now();
  return createKeyModal({
    roles: options.roles.map((r) => ({ id: r.id, name: r.name })),
    kinds: options.kinds,
    // A replacement is suggested its predecessor's lifetime again, as a roll is.
    defaultDay: replacing ? defaultReplacementDay(replacing, now, timeZone) : dayAfter(now, timeZone, deps.defaultExpiryDays),
    timeZone,
    privateMetadata: encodeMetadata(target),
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
      const target = { userId, ...decodeMetadata(view.private_metadata) };
      return {
        response: { response_action: "clear" },
        late: { title: "Key created", text: `Your key ${created.key.name} was created.` },
        after: async () => deliveryNotice(created.key.name, await deliverOrUndo(deps, client, target, secretMessage({ ...created.key, secret: created.secret }), created.key, actor)),
      };
    });
  });
}

/** What the modal says after a late create or roll, once delivery has run (never the secret). */
export function deliveryNotice(keyName: string, delivered: boolean, roll = false): Notice {
  if (delivered) return { title: "Key ready", text: `Your key ${keyName} is ready: its secret was posted to you in a message only you can see. Copy it now; it is not shown again.` };
  const undone = roll ? " The old key works as before." : "";
  return { title: roll ? "Not rolled" : "Not created", text: `The new secret of ${keyName} could not be shown to you, so it was removed again. Nothing new is live.${undone}` };
}
