// WIRE FORMAT, echoed back by Slack: the `value` of Approve and Deny on a key request's message:
// `req.<request id>`. A request's messages live in Slack for as long as people keep them (updated
// in place, without buttons, once decided), so a prefix once written decodes for good.
import { looksLikeId } from "../../domain/runtime.ts";

const prefix = "req.";

export function encodeRequestValue(requestId: string): string {
  return `${prefix}${requestId}`;
}

/** The request a button names, or null for anything else (a forged value names nothing). */
export function decodeRequestValue(value: string | null | undefined): string | null {
  const text = typeof value === "string" ? value : "";
  if (!text.startsWith(prefix)) return null;
  const id = text.slice(prefix.length);
  return looksLikeId(id) ? id : null;
}
