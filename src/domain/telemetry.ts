import type { KeyRefusal } from "./access-service.ts";
import type { PassReport } from "./reminder-service.ts";

/** How a key was presented: to POST /verify by another service, or as a REST caller's bearer key. */
export type KeyUse = "verify" | "bearer";

/**
 * Where a well-formed key's row came from: the verify cache (a row or a hash remembered as
 * unknown), the hash-prefix filter (no row can have it: nothing read), or a database read.
 */
export type VerifyLookup = "hit" | "filtered" | "miss";

/**
 * What the domain tells the outside about its work, for metrics. The domain counts nothing
 * itself and knows no metrics library: the server's adapter (src/server/metrics.ts) maps these
 * calls to Prometheus series. Arguments are codes from closed sets, never ids, names or secrets,
 * so no adapter can leak one by accident.
 */
export interface DomainTelemetry {
  /** A presented key was judged: "valid", a refusal reason, or "error" (the check threw, e.g. the database is away). */
  keyChecked(use: KeyUse, result: "valid" | KeyRefusal | "error"): void;
  verifyLookup(lookup: VerifyLookup): void;
  reminderPass(report: PassReport): void;
  reminderPassFailed(): void;
}

export const noTelemetry: DomainTelemetry = {
  keyChecked: () => {},
  verifyLookup: () => {},
  reminderPass: () => {},
  reminderPassFailed: () => {},
};
