import type { KnownBlock, ModalView } from "@slack/types";
import { actionIds, callbackIds } from "../ids.ts";
import { encodeRowValue } from "../wire/key-row-values.ts";
import type { ListPosition } from "../wire/paging-values.ts";
import { escapeMrkdwn, mrkdwn, plain, strong } from "./format.ts";

/** A one-line ephemeral answer (result, refusal or problem). */
export function noticeMessage(text: string, emoji = ""): { text: string; blocks: KnownBlock[] } {
  // The top-level text is read as mrkdwn too (notifications): escaped like the block.
  return { text: escapeMrkdwn(text), blocks: [{ type: "section", block_id: "notice", text: mrkdwn(`${emoji ? `${emoji} ` : ""}${escapeMrkdwn(text)}`) }] };
}

/** Opened at once so the trigger_id is used within its 3 seconds; replaced when the data is ready. */
export function loadingModal(title: string): ModalView {
  return waitingModal(title, "loading", "One moment…");
}

/** Shown while a form submission that missed the ack budget finishes; replaced by its outcome. */
export function workingModal(title: string): ModalView {
  return waitingModal(title, "working", "Working on it… This is taking longer than usual; the result will show here.");
}

function waitingModal(title: string, blockId: string, text: string): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.notice,
    title: plain(title, 24),
    close: plain("Close", 24),
    blocks: [{ type: "section", block_id: blockId, text: mrkdwn(`:hourglass_flowing_sand: ${text}`) }],
  };
}

/** `formatted`: the text is already mrkdwn with user text escaped (mentions must stay live). */
export function noticeModal(title: string, text: string, options: { formatted?: boolean } = {}): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.notice,
    title: plain(title, 24),
    close: plain("Close", 24),
    blocks: [{ type: "section", block_id: "notice", text: mrkdwn(options.formatted ? text : escapeMrkdwn(text)) }],
  };
}

/**
 * The question before a delete (SPEC rule 7): from `/keys delete <name>`, or in place of the list
 * whose row menu asked for it (then `list` names the page, and both answers re-render it).
 */
export function deleteConfirmationMessage(key: { id: string; name: string; last4: string }, list?: ListPosition): { text: string; blocks: KnownBlock[] } {
  return {
    text: `Delete ${escapeMrkdwn(key.name)} (…${escapeMrkdwn(key.last4)})? It stops working at once; confirm or cancel below.`,
    blocks: deleteQuestionBlocks(key, list),
  };
}

export function deleteQuestionBlocks(key: { id: string; name: string; last4: string }, list?: ListPosition): KnownBlock[] {
  const value = encodeRowValue({ op: "delete", keyId: key.id, ...(list ? { list } : {}) });
  return [
    {
      type: "section",
      block_id: "delete_question",
      text: mrkdwn(`Delete ${strong(key.name)} (\`…${key.last4}\`)? It stops working at once; this cannot be undone.`),
    },
    {
      type: "actions",
      block_id: "delete_actions",
      elements: [
        { type: "button", action_id: actionIds.askDeleteKey, text: plain("Delete", 75), style: "danger", value },
        { type: "button", action_id: actionIds.cancelDelete, text: plain("Cancel", 75), value },
      ],
    },
  ];
}
