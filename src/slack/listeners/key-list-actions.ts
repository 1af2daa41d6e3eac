import type { BlockAction, BlockElementAction, RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { isDomainError } from "../../domain/errors.ts";
import type { Actor, ApiKey } from "../../domain/types.ts";
import type { ListOrigin } from "../wire/form-metadata.ts";
import { decodeRowValue, keyControlFrom, type RowValue } from "../wire/key-row-values.ts";
import type { ListPosition } from "../wire/paging-values.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { noticeMessage } from "../views/notices.ts";
import { openEditKeyForm } from "./edit-key-flow.ts";
import { failureStatus, homeViewer, publishHome, refreshHome } from "./home-listener.ts";
import { showListAgain, type ListSurface } from "./key-list-surface.ts";
import { callerOfRequest, fromHome, pressListener, replyTo, tell, tellFailure, triggerOf, type ElementArgs } from "./listener-support.ts";
import { openRollKeyForm } from "./roll-key-flow.ts";

/**
 * The key list's row controls: the overflow menu (Rename / Roll / Delete), a rolled key's Stop old
 * key now, and the Delete question's two buttons. Each answers in the list it was pressed in.
 */

/** A press on one of the list's controls, in a message or on the Home tab. */
interface Press {
  body: BlockAction<BlockElementAction>;
  client: WebClient;
  context: Record<string, unknown>;
  respond?: RespondFn;
}

function surfaceOf(press: Press): ListSurface | null {
  if (fromHome(press.body)) return { kind: "home", ...homeViewer(press) };
  return press.respond && press.body.response_url ? { kind: "message", respond: press.respond } : null;
}

const keyLabel = (key: Pick<ApiKey, "name" | "last4">) => `${key.name} …${key.last4}`;

/** The value of what was pressed: an overflow's chosen option, or a button's value. */
function pressedValue(action: BlockElementAction): string | undefined {
  const a = action as { selected_option?: { value?: unknown } | null; value?: unknown };
  const value = a.selected_option?.value ?? a.value;
  return typeof value === "string" ? value : undefined;
}

/** Tells the person where they are: on the Home tab as its status line (no modal), elsewhere as a message. */
async function say(deps: SlackDeps, press: Press, text: string, emoji?: string): Promise<void> {
  if (fromHome(press.body)) return refreshHome(deps, homeViewer(press), { tone: "refused", text });
  // Refusals go where the person is, as a message of their own: the list they were reading stays.
  await tell(deps, replyTo(press), text, { emoji });
}

async function answering(deps: SlackDeps, press: Press, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (fromHome(press.body)) return refreshHome(deps, homeViewer(press), failureStatus(deps, error, "a Home tab action failed"));
    await tellFailure(deps, replyTo(press), error);
  }
}

/**
 * Shows a change that is done in the list it came from. A failure to show it (a response_url past
 * its 30 minutes, say) must not be reported as a failure of the change: the result is told instead.
 */
async function showDone(deps: SlackDeps, press: Press, actor: Actor, list: ListPosition, result: string): Promise<void> {
  const surface = surfaceOf(press);
  try {
    if (surface) return await showListAgain(deps, surface, actor, list, { result });
  } catch (error) {
    deps.logger.warn({ err: error }, "could not show the key list again after a change");
  }
  await say(deps, press, result);
}

const outOfDate = "That control is out of date; nothing was changed. Run `/keys list` again.";

/** The row menu: Rename and Roll open their forms; Delete asks first, in the row. */
async function onRowMenu(deps: SlackDeps, press: Press, control: RowValue): Promise<void> {
  const args = { ...triggerOf(press), ref: control.keyId };
  const list = control.list ?? { page: 1 };
  switch (control.op) {
    case "rename": {
      const surface = surfaceOf(press);
      const origin: ListOrigin | undefined =
        surface?.kind === "home" ? { home: true, list } : surface ? { responseUrl: press.body.response_url, list } : undefined;
      return openEditKeyForm(deps, { ...args, origin });
    }
    case "roll":
      return openRollKeyForm(deps, { ...args, channelId: press.body.channel?.id, responseUrl: press.body.response_url, home: fromHome(press.body) });
    case "delete":
      return answering(deps, press, async () => {
        const { actor } = await callerOfRequest(deps, press);
        // Refused here already (a Viewer, another's personal key), before any question is asked.
        const key = await deps.services.keys.findForChange(actor, control.keyId);
        const surface = surfaceOf(press);
        if (!surface) return say(deps, press, outOfDate);
        await showListAgain(deps, surface, actor, list, { askingDelete: key.id });
      });
    case "stop":
      return stopOldKey(deps, press, control);
  }
}

/** The question's Delete (or an old message's red Delete button): delete, then show the list without the key. */
async function confirmDelete(deps: SlackDeps, press: Press, control: RowValue, legacyButton: boolean): Promise<void> {
  await answering(deps, press, async () => {
    const { actor } = await callerOfRequest(deps, press);
    const key = await deps.services.keys.delete(actor, control.keyId);
    const result = `Deleted ${keyLabel(key)}. It is refused from now on.`;
    if (control.list || fromHome(press.body)) return showDone(deps, press, actor, control.list ?? { page: 1 }, result);
    // `/keys delete`'s question is replaced by the answer; an old list's red button answers below it.
    await tell(deps, replyTo(press, !legacyButton), result, { emoji: ":wastebasket:" });
  });
}

async function cancelDelete(deps: SlackDeps, press: Press, control: RowValue | null): Promise<void> {
  await answering(deps, press, async () => {
    const surface = surfaceOf(press);
    if (control?.list && surface) {
      const { actor } = await callerOfRequest(deps, press);
      return showListAgain(deps, surface, actor, control.list, { result: "Nothing was deleted." });
    }
    if (surface?.kind === "home") return publishHome(deps, surface.client, surface.workspaceId, surface.userId);
    if (press.respond) await press.respond({ response_type: "ephemeral", replace_original: true, ...noticeMessage("Nothing was deleted.") });
  });
}

/** A rolled key's Stop old key now (or Remove, once its grace is over): ends its grace at once; its replacement keeps working. */
async function stopOldKey(deps: SlackDeps, press: Press, control: RowValue): Promise<void> {
  await answering(deps, press, async () => {
    const { actor } = await callerOfRequest(deps, press);
    let key: ApiKey;
    try {
      // The service refuses, under the key's lock, a key no longer rolled: a button from before a roll was undone.
      key = await deps.services.keys.delete(actor, control.keyId, { endGrace: true });
    } catch (error) {
      const notReplaced = isDomainError(error) && error.details?.notReplaced ? (error.details as { name: string; last4: string }) : null;
      if (notReplaced) return say(deps, press, `${keyLabel(notReplaced)} is not being replaced (its roll was undone), so nothing was stopped.`, ":no_entry:");
      throw error;
    }
    const expired = key.expiresAt.getTime() <= deps.clock.now().getTime();
    const result = expired
      ? `Removed the old ${keyLabel(key)}; its replacement keeps working.`
      : `Stopped the old ${keyLabel(key)} now; its replacement keeps working.`;
    await showDone(deps, press, actor, control.list ?? { page: 1 }, result);
  });
}

/** A row's overflow menu: Rename, Roll, Delete (asks first) or Stop old key now. */
export const rowMenuPick = pressListener(async (deps, press: ElementArgs) => {
  const control = decodeRowValue(pressedValue(press.action));
  if (!control) return say(deps, press, outOfDate, ":warning:");
  await onRowMenu(deps, press, control);
});

export const stopOldKeyButton = pressListener(async (deps, press: ElementArgs) => {
  const control = decodeRowValue(pressedValue(press.action));
  if (control?.op !== "stop") return say(deps, press, outOfDate, ":warning:");
  await stopOldKey(deps, press, control);
});

/** A Delete that deletes: the question's button, or (`legacyButton`) the red button of an old list, whose confirm dialog asked already. */
const deleteButton = (legacyButton: boolean) =>
  pressListener(async (deps, press: ElementArgs) => {
    // From a row menu the value names the page; from `/keys delete`, a bare id (before row values).
    const control = keyControlFrom(pressedValue(press.action), "delete");
    if (control?.op !== "delete") return say(deps, press, outOfDate, ":warning:");
    await confirmDelete(deps, press, control, legacyButton);
  });

/** The Delete question's Delete. */
export const askDeleteButton = deleteButton(false);
/** The red Delete button of lists posted before the row menu. */
export const legacyDeleteButton = deleteButton(true);

/** Shared with the integrations' delete question, whose value is a configuration id: no list, so a notice. */
export const cancelDeleteButton = pressListener(async (deps, press: ElementArgs) => {
  await cancelDelete(deps, press, decodeRowValue(pressedValue(press.action)));
});
