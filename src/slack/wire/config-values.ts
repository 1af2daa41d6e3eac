// WIRE FORMAT, echoed back by Slack: the `value` of the buttons that act on one integration
// configuration (the list's Rotate, Make default, Set channel and Delete, and the delete
// question's Delete and Cancel): the configuration's id, bare. Messages and the Home tab keep these
// buttons for as long as they live, so the layout must stay readable for good: add forms, keep
// decoding this one. Any value decodes; one naming nothing in the presser's workspace is not found
// by the service that looks it up.
import { z } from "zod";

/** The decoded target (exported for the tests, which check that anything decodes to its shape). */
export const configButtonTargetSchema = z.object({ id: z.string() });
type ConfigButtonTarget = z.infer<typeof configButtonTargetSchema>;

export function encodeConfigValue(config: ConfigButtonTarget): string {
  return config.id;
}

export function decodeConfigValue(value: string | null | undefined): ConfigButtonTarget {
  return { id: typeof value === "string" ? value : "" };
}
