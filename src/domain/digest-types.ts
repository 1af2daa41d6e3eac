// The weekly hygiene digest (issue 15): what a workspace set, what the ledger claims, and what one
// digest says (its view model, built by the domain, shown by Slack's builder).
import type { DigestSlotRule } from "./digest-schedule.ts";

export interface DigestSettings extends DigestSlotRule {
  channel: string;
  /** The app's id when it was set (the link to the Home tab); null when Slack did not say. */
  appId: string | null;
}

/** A digest the ledger gave this instance to post. */
export interface DigestClaim {
  deliveryId: string;
  workspaceId: string;
  week: string;
  dueAt: Date;
  /** 0 on the first try: a retry may find the earlier attempt's post (by its delivery id) instead of posting again. */
  attempts: number;
  /** Where this week's digest goes: the channel set when the week was first claimed (a retry checks and posts there). */
  channel: string;
  settings: DigestSettings;
}

/** A workspace a pass could not plan or claim (its setting names a zone this runtime does not know, …); the others go on. */
export interface DigestFailure {
  workspaceId: string;
  error: string;
}

/** What came of a week's digest, as the ledger has it. */
export interface DigestRecord {
  week: string;
  status: "pending" | "retry" | "sent" | "undeliverable" | "obsolete";
  sentAt: Date | null;
  /** Slack's error code for a digest not (yet) posted. */
  lastError: string | null;
}

/** A key the digest names, most urgent first, each with a Delete button. */
export interface DigestKey {
  id: string;
  name: string;
  last4: string;
  expiresAt: Date;
  lastUsedAt: Date | null;
  createdBy: string;
}

/** What a digest says: counts first, then the most urgent keys. */
export interface DigestFacts {
  workspaceId: string;
  counts: {
    expiringSoon: number;
    unused: number;
    outOfPolicy: number;
    configsWithoutChannel: number;
    pendingRequests: number;
  };
  /** Soonest to expire first (at most a few). */
  expiring: DigestKey[];
  /** Longest unused first (never used counts from creation). */
  unused: DigestKey[];
}

export interface DigestView extends DigestFacts {
  week: string;
  appId: string | null;
  /** Windows the counts are over: expiring within `expiringDays`, unused for `unusedDays`. */
  expiringDays: number;
  unusedDays: number;
}

export type DigestOutcome =
  | { status: "sent"; channel: string; ts: string; note?: string }
  /** A passing failure (429, 5xx, timeout): the next pass tries again, while that week's digest is still the latest. */
  | { status: "retry"; error: string }
  | { status: "undeliverable"; error: string };

/** Posts a digest (to Slack). */
export interface DigestNotifier {
  deliver(claim: DigestClaim, view: DigestView): Promise<DigestOutcome>;
}
