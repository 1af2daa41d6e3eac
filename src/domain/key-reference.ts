import { DomainError, notFound } from "./errors.ts";
import type { ApiKey } from "./types.ts";

/** How a name is read: `preferWorking` (roll) means the one key of that name that works, when there is one. */
export interface NameReading {
  preferWorking?: boolean;
}

const instant = (at: Date) => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/**
 * The one key a typed name means, among the live keys of that name. After a roll both keys share
 * the name until the old one's grace ends; the name means the new one. Expired keys keep their
 * name but no longer hold it, so a working key may share it: a roll then means the working key
 * (only it can be rolled), but a delete or an edit must not guess which key was meant, so several
 * keys of the name are ambiguous there, listed so that the person can tell them apart.
 */
export function pickByName(named: ApiKey[], name: string, now: Date, reading: NameReading = {}): ApiKey {
  const current = named.filter((k) => !k.replacedBy);
  const working = current.filter((k) => k.expiresAt.getTime() > now.getTime());
  const candidates = reading.preferWorking && working.length > 0 ? working : current.length > 0 ? current : named;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw notFound(`A key named "${name}"`);
  const listed = candidates.map((k) => `…${k.last4} (${k.expiresAt.getTime() > now.getTime() ? "expires" : "expired"} ${instant(k.expiresAt)})`).join(", ");
  throw new DomainError("ambiguous_reference", `Several keys are named "${name}": ${listed}.`, {
    ids: candidates.map((k) => k.id),
    keys: candidates.map((k) => ({ id: k.id, last4: k.last4, expiresAt: k.expiresAt.toISOString() })),
  });
}
