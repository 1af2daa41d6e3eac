import { DomainError } from "./errors.ts";
import { looksLikeId } from "./runtime.ts";

// Cursors are opaque to callers so that the paging key can change without breaking clients.
export const encodeCursor = (id: string): string => Buffer.from(id, "utf8").toString("base64url");

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!looksLikeId(id)) throw new DomainError("validation_failed", "The cursor is not valid.", { fields: { cursor: "Use nextCursor from a previous page." } });
  return id;
}
