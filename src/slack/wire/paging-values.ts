// WIRE FORMAT, echoed back by Slack: the `value` of the paging buttons (First page, Page n →, and
// the Home tab's Try again) of the key list, in a message and on the Home tab, and of the
// integrations list. A list message keeps its buttons for as long as it lives and a click brings
// their value back, so changing a layout strands every list already in Slack: add forms, keep
// decoding the old ones.
//
//   key list, first page       `first` (anything unreadable is page 1 too)
//   key list, page n           `<n>:<cursor>`
//   integrations list          `<n>:<integration filter>:<cursor>` (a slug holds no colon, a cursor is base64url)
import { z } from "zod";

/** Which page of the key list: its number, and the cursor it was loaded from (none for a typed page number or the first page). */
export const listPositionSchema = z.object({ page: z.number().int().min(1).max(9999), cursor: z.string().optional() });
export type ListPosition = z.infer<typeof listPositionSchema>;

/** Which page of the integrations list, and the integration it is filtered to (exported for the tests, which check that anything decodes to its shape). */
export const integrationPositionSchema = listPositionSchema.extend({ integration: z.string().optional() });
type IntegrationPosition = z.infer<typeof integrationPositionSchema>;

const firstKeyPage = "first";

export function encodeKeyPageValue(position: ListPosition): string {
  return position.page === 1 && !position.cursor ? firstKeyPage : `${position.page}:${position.cursor ?? ""}`;
}

export function decodeKeyPageValue(value: string | undefined): ListPosition {
  const match = /^(\d{1,4}):(.*)$/.exec(value ?? "");
  if (!match) return { page: 1 };
  return { page: Math.max(1, Number(match[1])), cursor: match[2] || undefined };
}

export function encodeIntegrationPageValue(position: IntegrationPosition): string {
  return `${position.page}:${position.integration ?? ""}:${position.cursor ?? ""}`;
}

export function decodeIntegrationPageValue(value: string | undefined): IntegrationPosition {
  const match = /^(\d{1,4}):([a-z0-9-]{0,40}):([A-Za-z0-9_-]{0,200})$/.exec(value ?? "");
  if (!match) return { page: 1 };
  return { page: Math.max(1, Number(match[1])), integration: match[2] || undefined, cursor: match[3] || undefined };
}
