// What builders render. Plain data: no database rows, no clients, no clock.
import type { Capabilities } from "../../domain/capabilities.ts";
import type { ActorName } from "../../domain/directory-service.ts";
import type { KeyKind } from "../../domain/types.ts";

/** One key as a row of the key list shows it. */
export interface KeyRowView {
  id: string;
  name: string;
  description: string;
  kind: KeyKind;
  roleName: string;
  last4: string;
  /** The creator's actor id; `creator`, when looked up, says who that is (a key's name, not its id). */
  createdBy: string;
  creator?: ActorName;
  expiresAt: Date;
  lastUsedAt: Date | null;
  expired: boolean;
  /** Rolled: a replacement carries the name now, and this key works only until its (shortened) expiry. */
  rolled: boolean;
  canChange: boolean;
  /** Made before a stricter workspace policy: why it is out of it now (short reasons); absent or empty: within it. */
  outOfPolicy?: string[];
  /** Uses per UTC day over the last 14 days (today last), and their sum over the last 7; absent: not looked up. */
  usage?: { days: number[]; last7: number };
}

export interface KeyListView {
  keys: KeyRowView[];
  /** 1-based page number shown to the reader. */
  page: number;
  /** The cursor this page was loaded from (null for a page reached by its number): row controls carry it to re-render the page. */
  cursor: string | null;
  /** Cursor of the next page, if any. */
  nextCursor: string | null;
  capabilities: Capabilities;
  /** A key whose row asks "Delete …?" in place of its menu (the person picked Delete from it). */
  askingDelete?: string;
  /** How many keys the list has in all, for "17 keys, page 1 of 2" (absent: not counted). */
  total?: number;
}

export interface RoleView {
  id: string;
  name: string;
  builtIn: boolean;
  permissions: string[];
}
