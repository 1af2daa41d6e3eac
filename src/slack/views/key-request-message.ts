import type { KnownBlock } from "@slack/types";
import type { KeyRequest } from "../../domain/types.ts";
import { actionIds } from "../ids.ts";
import { encodeRequestValue } from "../wire/request-values.ts";
import { actorText, clip, escapeMrkdwn, literal, mention, mrkdwn, plain, slackDate, strong } from "./format.ts";

/** What a request's message shows: the request, and once decided, the decision (no buttons then). */
export type KeyRequestView = Pick<
  KeyRequest,
  "id" | "requestedBy" | "roleName" | "name" | "description" | "kind" | "expiresAt" | "reason" | "status" | "decidedBy" | "decidedAt" | "denyReason"
>;

function outcomeLine(r: KeyRequestView): string | null {
  const when = r.decidedAt ? ` ${slackDate(r.decidedAt)}` : "";
  switch (r.status) {
    case "pending":
      return null;
    case "approved":
      return `:white_check_mark: Approved by ${actorText(r.decidedBy ?? "")}${when}; the key went to ${mention(r.requestedBy)}.`;
    case "undelivered":
      return `:warning: Approved by ${actorText(r.decidedBy ?? "")}${when}, but the key could not be shown to ${mention(r.requestedBy)}, so it was removed again.`;
    case "denied":
      return `:no_entry: Denied by ${actorText(r.decidedBy ?? "")}${when}: ${escapeMrkdwn(clip(r.denyReason ?? "", 500))}`;
    case "expired":
      return `:hourglass: Expired${when}: nobody decided within 7 days.`;
  }
}

/** The message approvers get (the approvals channel, or each Admin's DM), updated in place once decided. */
export function keyRequestMessage(r: KeyRequestView): { text: string; blocks: KnownBlock[] } {
  const facts = [
    `${mention(r.requestedBy)} asks for a ${r.kind} key ${strong(r.name)} with role ${literal(r.roleName)}, expiring ${slackDate(r.expiresAt)}.`,
    r.description ? `*Description:* ${escapeMrkdwn(clip(r.description, 500))}` : null,
    `*Reason:* ${escapeMrkdwn(clip(r.reason, 500))}`,
  ].filter((l): l is string => l !== null);
  const outcome = outcomeLine(r);
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "request_header", text: plain("API key request", 150) },
    { type: "section", block_id: "request_facts", text: mrkdwn(facts.join("\n")) },
  ];
  if (outcome) blocks.push({ type: "section", block_id: "request_outcome", text: mrkdwn(outcome) });
  else
    blocks.push(
      {
        type: "actions",
        block_id: "request_actions",
        elements: [
          { type: "button", action_id: actionIds.approveRequest, text: plain("Approve", 75), style: "primary", value: encodeRequestValue(r.id) },
          { type: "button", action_id: actionIds.denyRequest, text: plain("Deny", 75), style: "danger", value: encodeRequestValue(r.id) },
        ],
      },
      {
        type: "context",
        block_id: "request_context",
        elements: [
          mrkdwn(
            "Someone who could create this key themselves decides, never the requester; the first decision counts. The secret goes to the requester alone.",
          ),
        ],
      },
    );
  const text = `${r.status === "pending" ? "" : `[${r.status}] `}Key request from ${mention(r.requestedBy)}: ${escapeMrkdwn(r.name)} (${escapeMrkdwn(r.roleName)}, ${r.kind})`;
  return { text, blocks };
}

/** A one-line message (to the requester, to an approver). */
export function requestNotice(text: string): { text: string; blocks: KnownBlock[] } {
  return { text, blocks: [{ type: "section", block_id: "request_notice", text: mrkdwn(text) }] };
}

/** An approval the workspace policy refused (it changed since the request): why, and a Deny button so the requester hears it. */
export function approvalBlockedMessage(view: { requestId: string; text: string }): { text: string; blocks: KnownBlock[] } {
  return {
    text: view.text,
    blocks: [
      { type: "section", block_id: "request_notice", text: mrkdwn(view.text) },
      {
        type: "actions",
        block_id: "request_actions",
        elements: [{ type: "button", action_id: actionIds.denyRequest, text: plain("Deny", 75), style: "danger", value: encodeRequestValue(view.requestId) }],
      },
    ],
  };
}
