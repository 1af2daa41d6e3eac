import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { Actor } from "../../domain/types.ts";
import type { ListPosition } from "../wire/paging-values.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { keyListMessage } from "../views/key-list-blocks.ts";
import { publishHome } from "./home-listener.ts";
import { keyPageView } from "./page-views.ts";

/**
 * A row's actions answer in the list they were picked from (issue 10 item 5): the list message is
 * replaced (response_url, replace_original) with the same page re-rendered and a one-line result,
 * and the Home tab is republished, instead of a new message under a stale list.
 */

/** Where a list is shown: a message, replaced through its response_url; or someone's Home tab, republished. */
export type ListSurface = { kind: "message"; respond: RespondFn } | { kind: "home"; client: WebClient; workspaceId: string; userId: string };

/** Page `list` of the key list as a message, with `result` at its top; `askingDelete`: the row that asks "Delete …?". */
export async function keyPageMessage(deps: SlackDeps, actor: Actor, list: ListPosition, result?: string, askingDelete?: string) {
  const view = await keyPageView(deps, actor, list.page, list.cursor);
  return keyListMessage({ ...view, ...(askingDelete ? { askingDelete } : {}) }, result);
}

/** Shows the list again where it was, at the same page. */
export async function showListAgain(
  deps: SlackDeps,
  surface: ListSurface,
  actor: Actor,
  list: ListPosition,
  extras: { result?: string; askingDelete?: string },
): Promise<void> {
  if (surface.kind === "home") return publishHome(deps, surface.client, surface.workspaceId, surface.userId, list.page, list.cursor, extras);
  await surface.respond({
    response_type: "ephemeral",
    replace_original: true,
    ...(await keyPageMessage(deps, actor, list, extras.result, extras.askingDelete)),
  });
}

/** Replaces a list message from outside its interaction (a form submitted later): false when Slack refused or the URL is not Slack's. */
export async function replaceThroughResponseUrl(deps: SlackDeps, url: string, message: { text: string; blocks: unknown[] }): Promise<boolean> {
  // The URL came back through private_metadata, which a forged submission controls: only Slack's hosts.
  if (!deps.isAllowedResponseUrl(url)) return false;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // Checked as Slack's above; a redirect elsewhere is not followed.
      redirect: "error",
      body: JSON.stringify({ response_type: "ephemeral", replace_original: true, ...message }),
      signal: AbortSignal.timeout(1500),
    });
    return response.ok;
  } catch (error) {
    deps.logger.warn({ err: error }, "could not replace a key list through its response_url");
    return false;
  }
}
