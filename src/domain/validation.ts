import type { z } from "zod";
import { DomainError, type FieldErrors } from "./errors.ts";

/**
 * Parses with a domain schema; failures become one validation_failed error with per-field messages.
 * `field` names the input when it is a single value rather than an object.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, field = "_"): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.length > 0 ? issue.path.join(".") : field;
    fields[key] ??= issue.code === "unrecognized_keys" ? `Unknown field: ${issue.keys.join(", ")}.` : issue.message;
    if (issue.code === "unrecognized_keys") for (const k of issue.keys) fields[k] ??= "This field cannot be set here.";
  }
  const first = Object.values(fields)[0] ?? "The input is not valid.";
  throw new DomainError("validation_failed", first, { fields });
}
