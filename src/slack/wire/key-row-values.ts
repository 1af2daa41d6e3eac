// WIRE FORMAT, echoed back by Slack: the values of the key list's row controls (the row menu's
// options, Stop old key now, the delete question's Delete and Cancel). A message keeps the values
// it was posted with for as long as it lives, and a click brings them back, so renaming an op
// code or changing the layout strands every list already in Slack: add forms, keep decoding the
// old ones (as the bare key ids of the buttons posted before row values existed still are).
import { z } from "zod";
import { decodeCursor, encodeCursor } from "../../domain/paging.ts";
import { looksLikeId } from "../../domain/runtime.ts";
import { listPositionSchema } from "./paging-values.ts";

/** What a row control asks for, which key, and (absent for `/keys delete <name>`'s question) on which page of the list it sat. */
export const rowValueSchema = z.object({
  op: z.enum(["rename", "roll", "delete", "stop"]),
  keyId: z.string().refine(looksLikeId),
  list: listPositionSchema.optional(),
});
export type RowValue = z.infer<typeof rowValueSchema>;
export type RowOp = RowValue["op"];

const opCodes: Record<RowOp, string> = { rename: "rn", roll: "rl", delete: "dl", stop: "st" };
const opsByCode = new Map(Object.entries(opCodes).map(([op, code]) => [code, op as RowOp]));

/** A UUID's 16 bytes in base64url: 22 characters instead of 36 (and no `key:` prefix in sight). */
function compactId(id: string): string {
  return Buffer.from(id.replace(/-/g, ""), "hex").toString("base64url");
}

function expandId(compact: string): string | null {
  const hex = Buffer.from(compact, "base64url").toString("hex");
  if (hex.length !== 32) return null;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return looksLikeId(id) ? id : null;
}

/** The id a list cursor continues after, compacted; null when the cursor is not one of ours. */
function compactCursor(cursor: string): string | null {
  try {
    return compactId(decodeCursor(cursor));
  } catch {
    return null;
  }
}

/**
 * `<op>.<key>[.<page>[.<after>]]`: op two letters, key the id compacted, page 1–9999, after the id
 * the page continues after (its cursor), compacted. At most 53 characters, well inside an option
 * value's 75 (SLACK-NOTES §4: 150 by the current docs, 75 by @slack/types; the fake checks 75).
 */
export function encodeRowValue(value: RowValue): string {
  const parts = [opCodes[value.op], compactId(value.keyId)];
  if (value.list) {
    parts.push(String(Math.min(9999, Math.max(1, Math.trunc(value.list.page)))));
    const after = value.list.cursor ? compactCursor(value.list.cursor) : null;
    if (after) parts.push(after);
  }
  return parts.join(".");
}

const rowValuePattern = /^(rn|rl|dl|st)\.([A-Za-z0-9_-]{22})(?:\.(\d{1,4})(?:\.([A-Za-z0-9_-]{22}))?)?$/;

/** A row value, or null for anything else (a forged value, an old message's bare id: see {@link keyControlFrom}). */
export function decodeRowValue(raw: string | undefined | null): RowValue | null {
  const match = rowValuePattern.exec(raw ?? "");
  if (!match) return null;
  const keyId = expandId(match[2]!);
  if (!keyId) return null;
  const value: RowValue = { op: opsByCode.get(match[1]!)!, keyId };
  if (match[3] !== undefined) {
    const after = match[4] ? expandId(match[4]) : null;
    value.list = { page: Math.max(1, Number(match[3])), ...(after ? { cursor: encodeCursor(after) } : {}) };
  }
  return value;
}

/**
 * What a Delete or Cancel button names: a row value, or the bare key id that the list's red Delete
 * buttons and `/keys delete`'s question carried before row values existed (still in Slack).
 */
export function keyControlFrom(raw: string | undefined | null, op: RowOp): RowValue | null {
  const decoded = decodeRowValue(raw);
  if (decoded) return decoded;
  const id = (raw ?? "").trim();
  return looksLikeId(id) ? { op, keyId: id } : null;
}

/**
 * The Rename button of lists posted before the row menu (`actionIds.openEditKey`) carried the key's
 * id, bare; no longer written. Passed on as the reference it always was: the service finds the key
 * in the presser's workspace, or refuses.
 */
export function legacyRenameRefFrom(raw: string | undefined | null): string {
  return typeof raw === "string" ? raw : "";
}
