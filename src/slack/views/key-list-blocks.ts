import type { KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { actorText, clip, escapeMrkdwn, literal, mrkdwn, plain, slackDate, strong } from "./format.ts";
import type { KeyListView, KeyRowView } from "./view-models.ts";

/** Keys per page: two blocks each keeps a message (50) and the Home tab (100) well inside limits. */
export const keysPerPage = 15;

function keyText(key: KeyRowView): string {
  const lines = [
    `${strong(key.name)}  \`…${key.last4}\`  ·  ${literal(key.roleName)}  ·  ${key.kind}${key.expired ? "  ·  :warning: *expired*" : ""}`,
  ];
  // Clipped before escaping (escaping can grow it fivefold), so the row stays inside 3000 characters.
  if (key.description) lines.push(escapeMrkdwn(clip(key.description, 300)));
  lines.push(
    `Created by ${actorText(key.creator ?? key.createdBy)}  ·  ${key.expired ? "Expired" : "Expires"} ${slackDate(key.expiresAt)}  ·  ${
      key.lastUsedAt ? `Last used ${slackDate(key.lastUsedAt)}` : "Never used"
    }`,
  );
  return lines.join("\n");
}

export function deleteButton(key: Pick<KeyRowView, "id" | "name">) {
  return {
    type: "button" as const,
    action_id: actionIds.deleteKey,
    text: plain("Delete", 75),
    style: "danger" as const,
    value: key.id,
    confirm: {
      title: plain("Delete this key?", 100),
      text: mrkdwn(`${strong(key.name)} stops working at once. This cannot be undone.`, 300),
      confirm: plain("Delete", 30),
      deny: plain("Keep it", 30),
      style: "danger" as const,
    },
  };
}

function keyBlocks(key: KeyRowView, index: number): KnownBlock[] {
  const section: KnownBlock = { type: "section", block_id: `key_${index}`, text: mrkdwn(keyText(key)) };
  if (!key.canChange) return [section];
  return [
    section,
    {
      type: "actions",
      block_id: `key_actions_${index}`,
      elements: [
        { type: "button", action_id: actionIds.openEditKey, text: plain("Rename", 75), value: key.id },
        deleteButton(key),
      ],
    },
  ];
}

export interface PagingActions {
  next: string;
  first: string;
}

/** The key list shared by `/keys list` and the Home tab; `paging` names the surface's page buttons. */
export function keyListBlocks(view: KeyListView, paging: PagingActions): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  if (view.keys.length === 0) {
    blocks.push({ type: "section", block_id: "keys_empty", text: mrkdwn(view.page > 1 ? "No more keys." : "No API keys yet.") });
  }
  view.keys.slice(0, keysPerPage).forEach((key, i) => blocks.push(...keyBlocks(key, i)));
  const nav = [];
  if (view.page > 1) nav.push({ type: "button" as const, action_id: paging.first, text: plain("First page", 75), value: "first" });
  if (view.nextCursor) {
    nav.push({ type: "button" as const, action_id: paging.next, text: plain(`Page ${view.page + 1} →`, 75), value: `${view.page + 1}:${view.nextCursor}` });
  }
  blocks.push({ type: "context", block_id: "keys_page", elements: [mrkdwn(pageLine(view))] });
  if (nav.length > 0) blocks.push({ type: "actions", block_id: "keys_nav", elements: nav });
  return blocks;
}

const keysCounted = (n: number) => (n === 1 ? "1 key" : `${n} keys`);
const pagesOf = (view: KeyListView) => Math.max(1, view.page, Math.ceil((view.total ?? 0) / keysPerPage));

function pageLine(view: KeyListView): string {
  if (view.total === undefined) return `Page ${view.page}${view.nextCursor ? "" : " (last)"}`;
  return `Page ${view.page} of ${pagesOf(view)}  ·  ${keysCounted(view.total)} in all`;
}

/** The message's top-level text (what notifications and screen readers get): "17 keys, page 1 of 2". */
export function keyListSummary(view: KeyListView): string {
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

export function keyListMessage(view: KeyListView): { text: string; blocks: KnownBlock[] } {
  const header: KnownBlock[] = [{ type: "header", block_id: "keys_header", text: plain("API keys", 150) }];
  if (view.capabilities.createKinds.length > 0) {
    header.push({
      type: "actions",
      block_id: "keys_create",
      elements: [{ type: "button", action_id: actionIds.openCreateKey, text: plain("Create key", 75), style: "primary", value: "create" }],
    });
  }
  return { text: keyListSummary(view), blocks: [...header, ...keyListBlocks(view, { next: actionIds.listNextPage, first: actionIds.listFirstPage })] };
}
