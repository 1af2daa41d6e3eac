import type { KeyKind } from "../../domain/types.ts";

/** One kind's maximum lifetime, with the last day it allows (in the person's zone). */
export interface KindLimit {
  kind: KeyKind;
  days: number;
  lastDay: string;
}

/** The hint under a create, request or roll form's date: the maximum lifetime per kind, with the last allowed day. */
export function expiryLimitText(limits: readonly KindLimit[]): string | null {
  if (limits.length === 0) return null;
  const [first, second] = limits;
  if (limits.length === 2 && first!.days === second!.days) return `At most ${first!.days} days: by ${first!.lastDay}.`;
  return limits.map((l) => `At most ${l.days} days for ${l.kind} keys: by ${l.lastDay}.`).join(" ");
}
