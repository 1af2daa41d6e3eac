// WIRE FORMAT, echoed back by Slack: the `value` of **Create a replacement** on the DM telling a
// key's creator that the key leaked: `leak.<key id>`. The DM stays in Slack for good, so a prefix
// once written decodes for good.
import { looksLikeId } from "../../domain/runtime.ts";

const prefix = "leak.";

export function encodeReplacementValue(keyId: string): string {
  return `${prefix}${keyId}`;
}

/** The leaked key a button names, or null for anything else (a forged value names nothing). */
export function decodeReplacementValue(value: string | null | undefined): string | null {
  const text = typeof value === "string" ? value : "";
  if (!text.startsWith(prefix)) return null;
  const id = text.slice(prefix.length);
  return looksLikeId(id) ? id : null;
}
