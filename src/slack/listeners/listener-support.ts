import { randomUUID } from "node:crypto";
import type { App, BlockAction, ButtonAction, RespondFn, ViewResponseAction } from "@slack/bolt";
import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { isDomainError } from "../../domain/errors.ts";
import type { Actor, ApiKey, Page } from "../../domain/types.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { slackErrorText } from "../slack-errors.ts";
import { keysPerPage } from "../views/key-list-blocks.ts";
import { noticeMessage, noticeModal } from "../views/notices.ts";

/** Where a listener can answer the person: a response_url, or a modal it may open or update. */
export interface Reply {
  respond?: RespondFn;
  client: WebClient;
  triggerId?: string;
  viewId?: string;
}

/** Shows `text` to the person, ephemerally, wherever this request lets us. */
export async function tell(deps: SlackDeps, reply: Reply, text: string, emoji = ""): Promise<void> {
  try {
    if (reply.viewId) {
      await reply.client.views.update({ view_id: reply.viewId, view: noticeModal("keyward", text) });
    } else if (reply.respond) {
      await reply.respond({ response_type: "ephemeral", replace_original: false, ...noticeMessage(text, emoji) });
    } else if (reply.triggerId) {
      await reply.client.views.open({ trigger_id: reply.triggerId, view: noticeModal("keyward", text) });
    }
  } catch (error) {
    deps.logger.warn({ err: error }, "could not show a notice to the user");
  }
}

/** Turns a failure into a message for the person; unexpected ones are logged with a reference. */
export async function tellFailure(deps: SlackDeps, reply: Reply, error: unknown): Promise<void> {
  if (isDomainError(error)) return tell(deps, reply, slackErrorText(error), ":no_entry:");
  const reference = randomUUID().slice(0, 8);
  deps.logger.error({ err: error, reference }, "Slack listener failed");
  await tell(deps, reply, slackErrorText(error, reference), ":warning:");
}

/** A button press's listener arguments. */
export type ButtonArgs = Parameters<Parameters<App["action"]>[1]>[0] & { body: BlockAction<ButtonAction>; action: ButtonAction };

export type ViewAck = (response?: ViewResponseAction) => Promise<void>;

/** Opens a placeholder modal at once, while the trigger_id is fresh; returns its view id. */
export async function openLoading(client: WebClient, triggerId: string, view: ModalView): Promise<string> {
  const opened = await client.views.open({ trigger_id: triggerId, view });
  if (!opened.view?.id) throw new Error("views.open returned no view id");
  return opened.view.id;
}

/**
 * Page `n` of the key list, one query either way: with a cursor from a Next button, by key (stable
 * while keys come and go); from a typed page number, by position.
 */
export async function loadKeyPage(deps: SlackDeps, actor: Actor, page: number, cursor?: string): Promise<Page<ApiKey>> {
  if (cursor) return deps.services.keys.list(actor, { cursor, limit: keysPerPage });
  return deps.services.keys.listAt(actor, { page, limit: keysPerPage });
}
