import type { BuiltInRoleKey, Permission } from "./permissions.ts";

/** Where a change came from: a Slack user, a program over REST, keyward itself, or an operator on the machine (`npm run keys`). */
export type Source = "slack" | "api" | "scheduler" | "cli";
export type KeyKind = "service" | "personal";

export interface Role {
  id: string;
  workspaceId: string;
  name: string;
  builtIn: BuiltInRoleKey | null;
  permissions: Permission[];
}

/** An API key as the domain sees it: never its secret, never its hash. */
export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  description: string;
  kind: KeyKind;
  roleId: string;
  roleName: string;
  last4: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  /** The IANA zone the expiry day was chosen in (reminders follow its midnights); null for an instant. */
  expiryTimeZone: string | null;
  lastUsedAt: Date | null;
  /** Set once the key was rolled: the id of its replacement. It then works until its (shortened) expiry. */
  replacedBy: string | null;
}

/** A key record as verify sees it, tombstones included. */
export interface StoredKey extends ApiKey {
  deletedAt: Date | null;
  /** Set until the secret reached its creator; such a key does not work yet. */
  pendingSince: Date | null;
  rolePermissions: Permission[];
  /** Set by a roll: the expiry this key had before it, given back if the replacement is never delivered. */
  expiresAtBeforeRoll: Date | null;
}

export interface AuditEvent {
  id: string;
  workspaceId: string;
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  targetName: string | null;
  source: Source;
  details: Record<string, unknown> | null;
  createdAt: Date;
}

/**
 * Who is acting, with what they may do. Built only by AccessService, so a surface cannot
 * hand the domain a permission set of its own making.
 */
export interface Actor {
  readonly workspaceId: string;
  readonly userId: string;
  readonly roleName: string | null;
  readonly permissions: ReadonlySet<Permission>;
  readonly source: Source;
  /** Set when a program acts with an API key. */
  readonly keyId?: string;
  /**
   * Slack places the person outside this workspace (Slack Connect, another org), or cannot vouch
   * for someone it never placed here: they hold nothing, and may not even ask for a key.
   */
  readonly outsider?: boolean;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** pending → approved | denied | expired; approved → undelivered when the secret reached nobody (the key removed again). */
export type KeyRequestStatus = "pending" | "approved" | "denied" | "expired" | "undelivered";

/** Where a message about a request sits in Slack, so that it can be updated once decided. */
export interface PostedMessage {
  channel: string;
  ts: string;
}

/** A person's request for a key (SPEC "Concepts": decided once, never by the requester). */
export interface KeyRequest {
  id: string;
  workspaceId: string;
  roleId: string;
  /** The role's name when asked for (it may be renamed or deleted since). */
  roleName: string;
  name: string;
  description: string;
  kind: KeyKind;
  expiresAt: Date;
  expiryTimeZone: string | null;
  reason: string;
  requestedBy: string;
  /** Where `/keys request` was typed: the secret is delivered there, else in the requester's DM. */
  channelId: string | null;
  status: KeyRequestStatus;
  decidedBy: string | null;
  decidedAt: Date | null;
  denyReason: string | null;
  keyId: string | null;
  messages: PostedMessage[];
  createdAt: Date;
  /** A request still pending at this time expires. */
  lapsesAt: Date;
}
