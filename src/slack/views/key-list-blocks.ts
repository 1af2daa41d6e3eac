import type { Button, KnownBlock, Overflow } from "@slack/types";
import { actionIds } from "../ids.ts";
import { encodeRowValue, type RowOp } from "../wire/key-row-values.ts";
import { encodeKeyPageValue, type ListPosition } from "../wire/paging-values.ts";
import { actorText, clip, escapeMrkdwn, literal, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { deleteQuestionBlocks } from "./notices.ts";
import { sparkline, usesText } from "./sparkline.ts";
import type { KeyListView, KeyRowView } from "./view-models.ts";

/** Keys per page: one block each (plus two for a row asking "Delete?") keeps a message (50) and the Home tab (100) well inside limits. */
export const keysPerPage = 15;

/** What a row says about its state: expired, or (rolled) being replaced until its grace ends. */
function stateText(key: KeyRowView): string {
  if (key.rolled)
    return key.expired
      ? `  ·  replaced; stopped ${slackDate(key.expiresAt)}`
      : `  ·  :hourglass_flowing_sand: being replaced, works until ${slackDate(key.expiresAt)}`;
  if (key.expired) return "  ·  :warning: *expired*";
  // Reasons are the domain's own short phrases; clipped so a row stays well inside 3000 characters.
  return key.outOfPolicy?.length ? `  ·  :warning: out of policy: ${escapeMrkdwn(clip(key.outOfPolicy.join(", "), 120))}` : "";
}

function keyText(key: KeyRowView): string {
  const lines = [`${strong(key.name)}  \`…${key.last4}\`  ·  ${literal(key.roleName)}  ·  ${key.kind}${stateText(key)}`];
  // Clipped before escaping (escaping can grow it fivefold), so the row stays inside 3000 characters.
  if (key.description) lines.push(escapeMrkdwn(clip(key.description, 300)));
  // A rolled key's end is on the first line already.
  const expiry = key.rolled ? [] : [`${key.expired ? "Expired" : "Expires"} ${slackDate(key.expiresAt)}`];
  const used = key.lastUsedAt ? `Last used ${slackDate(key.lastUsedAt)}` : "Never used";
  lines.push([`Created by ${actorText(key.creator ?? key.createdBy)}`, ...expiry, used].join("  ·  "));
  // 14 block characters and a count: a fixed ~50 characters, whatever the numbers.
  if (key.usage) lines.push(`\`${sparkline(key.usage.days)}\`  ${usesText(key.usage.last7, 7)}`);
  return lines.join("\n");
}

/**
 * Why no `confirm` on the menu: Block Kit lets an overflow have one confirm dialog for the whole
 * element, shown whichever option is picked and unable to name it, so Rename would ask "are you
 * sure?" too. Each option confirms in its own way instead: Rename and Roll open their forms (which
 * have Cancel), and Delete replaces the list with a question that has Delete and Cancel buttons.
 * An expired key offers no Roll (the domain refuses one), so the menu never offers what cannot be done.
 */
function rowMenu(key: KeyRowView, list: ListPosition): Overflow {
  const option = (text: string, op: RowOp) => ({ text: plain(text, 75), value: encodeRowValue({ op, keyId: key.id, list }) });
  const options = [option("Rename", "rename"), ...(key.expired ? [] : [option("Roll", "roll")]), option("Delete", "delete")];
  return { type: "overflow", action_id: actionIds.keyRowMenu, options };
}

/**
 * A rolled key has one thing left to do: stop it before its grace ends (or, once it has, remove
 * it). One action, so the button's own confirm dialog names exactly it.
 */
function stopButton(key: KeyRowView, list: ListPosition): Button {
  const name = `${strong(clip(key.name, 60))} \`…${key.last4}\``;
  const text = key.expired
    ? `${name} was replaced and no longer works; this removes it from the list. Its replacement keeps working.`
    : `${name} is refused from now on, before its grace period ends. Its replacement keeps working; programs still using this key fail.`;
  return {
    type: "button",
    action_id: actionIds.stopOldKey,
    text: plain(key.expired ? "Remove" : "Stop old key now", 75),
    ...(key.expired ? {} : { style: "danger" as const }),
    value: encodeRowValue({ op: "stop", keyId: key.id, list }),
    confirm: {
      title: plain(key.expired ? "Remove the old key?" : "Stop the old key now?", 100),
      text: mrkdwn(text, 300),
      confirm: plain(key.expired ? "Remove it" : "Stop it now", 30),
      deny: plain("Keep it", 30),
      ...(key.expired ? {} : { style: "danger" as const }),
    },
  };
}

function keyBlocks(key: KeyRowView, index: number, list: ListPosition, askingDelete: boolean): KnownBlock[] {
  const section = { type: "section" as const, block_id: `key_${index}`, text: mrkdwn(keyText(key)) };
  if (!key.canChange) return [section];
  // The row menu's Delete is confirmed here, in the row, with the rest of the page still in view.
  if (askingDelete) return [section, ...deleteQuestionBlocks(key, list)];
  return [{ ...section, accessory: key.rolled ? stopButton(key, list) : rowMenu(key, list) }];
}

interface PagingActions {
  next: string;
  first: string;
}

/** The page a view shows, as its row controls carry it. */
const positionOf = (view: Pick<KeyListView, "page" | "cursor">): ListPosition => ({ page: view.page, ...(view.cursor ? { cursor: view.cursor } : {}) });

/** The key list shared by `/keys list` and the Home tab; `paging` names the surface's page buttons. */
export function keyListBlocks(view: KeyListView, paging: PagingActions): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  if (view.keys.length === 0) {
    blocks.push({ type: "section", block_id: "keys_empty", text: mrkdwn(view.page > 1 ? "No more keys." : "No API keys yet.") });
  }
  const list = positionOf(view);
  view.keys.slice(0, keysPerPage).forEach((key, i) => {
    blocks.push(...keyBlocks(key, i, list, key.id === view.askingDelete));
  });
  const nav = [];
  if (view.page > 1) nav.push({ type: "button" as const, action_id: paging.first, text: plain("First page", 75), value: encodeKeyPageValue({ page: 1 }) });
  if (view.nextCursor) {
    nav.push({
      type: "button" as const,
      action_id: paging.next,
      text: plain(`Page ${view.page + 1} →`, 75),
      value: encodeKeyPageValue({ page: view.page + 1, cursor: view.nextCursor }),
    });
  }
  blocks.push({ type: "context", block_id: "keys_page", elements: [mrkdwn(pageLine(view))] });
  if (nav.length > 0) blocks.push({ type: "actions", block_id: "keys_nav", elements: nav });
  return blocks;
}

/** A one-line result above a list it changed ("Deleted deploy-bot …DZSo."); plain text, escaped here. */
function resultBlock(result: string): KnownBlock {
  return { type: "section", block_id: "keys_result", text: mrkdwn(escapeMrkdwn(result)) };
}

const keysCounted = (n: number) => (n === 1 ? "1 key" : `${n} keys`);
const pagesOf = (view: KeyListView) => Math.max(1, view.page, Math.ceil((view.total ?? 0) / keysPerPage));

function pageLine(view: KeyListView): string {
  if (view.total === undefined) return `Page ${view.page}${view.nextCursor ? "" : " (last)"}`;
  return `Page ${view.page} of ${pagesOf(view)}  ·  ${keysCounted(view.total)} in all`;
}

/** The message's top-level text (what notifications and screen readers get): "17 keys, page 1 of 2". */
function keyListSummary(view: KeyListView): string {
  if (view.total === 0 || (view.keys.length === 0 && view.page === 1)) return "No API keys yet.";
  if (view.total === undefined) {
    if (view.keys.length === 0) return `No more keys after page ${view.page - 1}.`;
    return `${keysCounted(view.keys.length)} on page ${view.page}${view.nextCursor ? ", more on the next page" : ""}`;
  }
  if (view.keys.length === 0) {
    const filled = Math.max(1, Math.ceil(view.total / keysPerPage));
    return `No more keys: ${keysCounted(view.total)} fill ${filled === 1 ? "1 page" : `${filled} pages`}.`;
  }
  return `${keysCounted(view.total)}, page ${view.page} of ${pagesOf(view)}`;
}

/** `/keys list`; `result`: what the person just did to the list, shown at its top. */
export function keyListMessage(view: KeyListView, result?: string): { text: string; blocks: KnownBlock[] } {
  const header: KnownBlock[] = [...(result ? [resultBlock(result)] : []), { type: "header", block_id: "keys_header", text: plain("API keys", 150) }];
  if (view.capabilities.createKinds.length > 0) {
    header.push({
      type: "actions",
      block_id: "keys_create",
      elements: [{ type: "button", action_id: actionIds.openCreateKey, text: plain("Create key", 75), style: "primary", value: "create" }],
    });
  }
  const asking = view.keys.find((k) => k.id === view.askingDelete);
  const lead = asking ? `Delete ${asking.name} (…${asking.last4})? This cannot be undone.` : result;
  const summary = keyListSummary(view);
  return {
    text: lead ? `${escapeMrkdwn(lead)} ${summary}` : summary,
    blocks: [...header, ...keyListBlocks(view, { next: actionIds.listNextPage, first: actionIds.listFirstPage })],
  };
}
