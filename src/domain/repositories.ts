// What the domain needs from storage. Every method takes the workspace and filters by it,
// so another workspace's record is simply not found (InstallationRepository is the exception:
// what it holds belongs to the whole installation). Implementations live in src/db.
import type { IntegrationConfig } from "./integration-types.ts";
import type { BuiltInRoleKey, Permission } from "./permissions.ts";
import type { ReminderMessageChange } from "./reminder-messages.ts";
import type {
  PostedReminder,
  ReminderClaim,
  ReminderOutcome,
  ReminderPlan,
  ReminderSubject,
  ReminderSubjectNow,
  ReminderSubjectType,
} from "./reminder-types.ts";
import type { DigestClaim, DigestFacts, DigestFailure, DigestOutcome, DigestRecord, DigestSettings } from "./digest-types.ts";
import type { DigestSlot } from "./digest-schedule.ts";
import type { LeakSettings } from "./leak-settings.ts";
import type { WorkspacePolicy } from "./policy-rules.ts";
import type { Sealed, SecretOwner } from "./secret-cipher.ts";
import type { ApiKey, AuditEvent, KeyRequest, KeyRequestStatus, PostedMessage, Role, StoredKey } from "./types.ts";

/** The workspaces keyward has served. */
export interface WorkspaceRepository {
  /** Creates the workspace and its built-in roles if absent; brings built-in permissions up to date. */
  ensure(workspaceId: string, builtIns: Array<{ id: string; key: BuiltInRoleKey; name: string; permissions: Permission[] }>): Promise<void>;
  /** Up to `limit` workspace ids, oldest first. */
  list(limit: number): Promise<string[]>;
  /** Where key requests are put to approvers (null: by DM to the Admins). */
  approvalsChannel(workspaceId: string): Promise<string | null>;
  setApprovalsChannel(workspaceId: string, channel: string | null): Promise<void>;
  /** The weekly digest's setting (null: no digest). */
  digestSettings(workspaceId: string): Promise<DigestSettings | null>;
  /** `nextAt`: when the next digest falls due (null with no digest). */
  setDigestSettings(workspaceId: string, settings: DigestSettings | null, nextAt: Date | null): Promise<void>;
  /** Where leaks are reported and whether a leaked key is revoked (defaults for a workspace not stored yet). */
  leakSettings(workspaceId: string): Promise<LeakSettings>;
  setLeakSettings(workspaceId: string, changes: Partial<LeakSettings>): Promise<void>;
}

export interface RoleRepository {
  list(workspaceId: string): Promise<Role[]>;
  findById(workspaceId: string, id: string): Promise<Role | null>;
  findByName(workspaceId: string, name: string): Promise<Role | null>;
  findBuiltIn(workspaceId: string, key: BuiltInRoleKey): Promise<Role | null>;
  create(role: Role & { createdBy: string; createdAt: Date }): Promise<Role>;
  delete(workspaceId: string, id: string): Promise<void>;
  /** Live keys and assignments that refer to the role. */
  usage(workspaceId: string, id: string): Promise<{ keys: number; assignments: number }>;
  assignmentOf(workspaceId: string, userId: string): Promise<Role | null>;
  assign(workspaceId: string, userId: string, roleId: string, by: string, at: Date): Promise<void>;
  unassign(workspaceId: string, userId: string): Promise<boolean>;
  /** Up to `limit` people assigned this role, oldest assignment first. */
  holdersOf(workspaceId: string, roleId: string, limit: number): Promise<string[]>;
}

/** A key as stored on creation: its public fields plus the keyed hash of its secret. */
export type NewApiKey = Omit<ApiKey, "roleName" | "lastUsedAt" | "replacedBy"> & {
  hash: string;
  nextReminderAt: Date | null;
  pendingSince: Date | null;
};

export interface ApiKeyRepository {
  create(key: NewApiKey): Promise<ApiKey>;
  /** Live keys with id > after, in id order, the first `skip` of them left out. */
  list(workspaceId: string, page: { after?: string; skip?: number; limit: number }): Promise<ApiKey[]>;
  findById(workspaceId: string, id: string): Promise<ApiKey | null>;
  findByName(workspaceId: string, name: string): Promise<ApiKey[]>;
  /** The one look-up not scoped by workspace: the secret itself says which workspace it belongs to. */
  findByHash(hash: string): Promise<StoredKey | null>;
  /** findByHash for many at once (a message's candidates, in one query): the rows found, each with its hash. */
  findByHashes(hashes: string[]): Promise<Array<{ hash: string; key: StoredKey }>>;
  /**
   * Inside a transaction, under the key's row lock: records that the leak of this key at `place` was
   * answered; false when it already was (nothing written).
   */
  recordLeakSighting(workspaceId: string, keyId: string, place: string, at: Date): Promise<boolean>;
  /** The first 16 hex characters of every key row's hash, in any state and workspace (verify's filter). */
  listHashPrefixes(): Promise<string[]>;
  /** One key row's hash prefix, any state; not scoped either: a change notice names only the id. */
  hashPrefixOf(id: string): Promise<string | null>;
  /** A key in any state (deleted and pending ones included), for checks on what became of it. */
  findStored(workspaceId: string, id: string): Promise<StoredKey | null>;
  /**
   * Inside a transaction: waits for, then holds until the transaction ends, the key's row lock,
   * and reads the row afresh (any state). Every change of one key takes it first, so two
   * conflicting changes run one after the other and the second sees what the first did.
   */
  lockForChange(workspaceId: string, id: string): Promise<StoredKey | null>;
  /** Inside a transaction: serialises, until it ends, everyone about to give a key this name. */
  lockName(workspaceId: string, name: string): Promise<void>;
  /**
   * Whether a key that works or soon will (pending delivery, whatever its expiry) holds this name at
   * `now`: rolled predecessors and expired keys aside (an expired key's replacement is created under its name).
   */
  nameInUse(workspaceId: string, name: string, now: Date): Promise<boolean>;
  update(workspaceId: string, id: string, changes: { name?: string; description?: string }): Promise<ApiKey | null>;
  softDelete(workspaceId: string, id: string, by: string, at: Date): Promise<boolean>;
  /**
   * Records a roll: the replacement's id, the old key's new (earlier or equal) expiry, and the one
   * it had before (kept in expiresAtBeforeRoll for clearReplaced).
   */
  markReplaced(workspaceId: string, id: string, roll: { replacedBy: string; expiresAt: Date; expiresAtBeforeRoll: Date }): Promise<boolean>;
  /** Undoes markReplaced when the replacement was never delivered: `expiresAt` is the expiry from before the roll. */
  clearReplaced(workspaceId: string, id: string, expiresAt: Date, nextReminderAt: Date | null): Promise<boolean>;
  /** "Snooze": the key's next reminder comes no sooner than `until` (never earlier than planned; nothing when none is left). */
  postponeReminder(workspaceId: string, id: string, until: Date): Promise<boolean>;
  /**
   * Tells every instance sharing the database, when the surrounding transaction commits, that
   * this key changed, so their verify caches drop it (the "keyward_key_changed" notification).
   */
  announceChange(id: string): Promise<void>;
  /** A key whose secret reached its creator starts working. */
  activate(workspaceId: string, id: string): Promise<boolean>;
  /** Keys still waiting for their delivery since before `cutoff` (their creator never saw them). */
  findPendingBefore(cutoff: Date, limit: number): Promise<StoredKey[]>;
  /** The key that `replacementId` replaced in a roll, if any (with the expiry it had before the roll). */
  findReplacedBy(workspaceId: string, replacementId: string): Promise<StoredKey | null>;
  /** Moves last-used times forward (never back), many keys in one write. */
  recordLastUsed(times: ReadonlyMap<string, Date>): Promise<void>;
  /** Names and last 4 of these keys in any state (deleted ones still have a name), in one query; unknown ids are left out. */
  namesOf(workspaceId: string, ids: readonly string[]): Promise<KeyName[]>;
  /** How many keys `list` pages through (live ones), in one count. */
  countLive(workspaceId: string): Promise<number>;
  /** Keys not deleted (live, expired, rolled, or still pending delivery) with id > after, in id order: what a policy's maximum applies to. */
  listUndeleted(workspaceId: string, page: { after?: string; limit: number }): Promise<ApiKey[]>;
  /** A policy's maximum applied to a key: its new (earlier) expiry and its reminders re-planned. */
  shortenExpiry(workspaceId: string, id: string, expiresAt: Date, nextReminderAt: Date | null): Promise<boolean>;
}

/** A policy as stored: roles by id. */
export interface PolicySettings {
  maxLifetimeDays: { service: number | null; personal: number | null };
  requireDescription: boolean;
  personalMaxRoleId: string | null;
  approvalRoleIds: string[];
  reminderDays: number[] | null;
}

/**
 * Workspace policies. Key changes read the policy under a shared lock of the workspace's policy,
 * policy changes under the exclusive one (both until the transaction ends), so a create racing a
 * change either committed first or sees the new policy.
 */
export interface PolicyRepository {
  /** The policy, its roles resolved (noPolicy when none was set); no lock. */
  find(workspaceId: string): Promise<WorkspacePolicy>;
  /** Inside a transaction: the shared lock, then the policy read afresh (creates, rolls, approvals). */
  readForKeyChange(workspaceId: string): Promise<WorkspacePolicy>;
  /** Inside a transaction: the exclusive lock (waits for key changes under way), then the policy. */
  lockForEdit(workspaceId: string): Promise<WorkspacePolicy>;
  save(workspaceId: string, settings: PolicySettings, by: string, at: Date): Promise<void>;
  /** Whether the policy names this role (such a role cannot be deleted). */
  refersToRole(workspaceId: string, roleId: string): Promise<boolean>;
  /**
   * The thresholds changed: every key and configuration of the workspace that may still have a
   * reminder ahead (or due) is due now, so the next pass re-plans it with them (one statement per table).
   */
  replanReminders(workspaceId: string, now: Date): Promise<void>;
  /** Workspaces whose policy sets reminder thresholds, with them (one query; the reminder pass's). */
  reminderDaysOverrides(): Promise<Map<string, number[]>>;
}

/** What a key that acted is shown by: never its secret, never its hash. */
export interface KeyName {
  id: string;
  name: string;
  last4: string;
  deleted: boolean;
}

/** What Slack last said about a person, for decisions made where Slack cannot be asked (REST). */
export interface MemberRepository {
  /** Nothing recorded: not an admin, not known to be deactivated. */
  factsOf(workspaceId: string, userId: string): Promise<MemberFacts>;
  /** `deactivated` left out keeps what was recorded; true keeps the first time it was seen; false clears it. */
  recordFacts(workspaceId: string, userId: string, facts: { isWorkspaceAdmin: boolean; deactivated?: boolean }, at: Date): Promise<void>;
  /** Up to `limit` people Slack was last seen calling owners or admins here, and not deactivated. */
  workspaceAdmins(workspaceId: string, limit: number): Promise<string[]>;
}

export interface MemberFacts {
  /** Slack once vouched for this person as a member of this workspace (a verified look-up or user_change). */
  known: boolean;
  isWorkspaceAdmin: boolean;
  /** When Slack was first seen saying this person is deactivated; null while active (or never said). */
  deactivatedAt: Date | null;
}

export interface AuditRepository {
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  latest(workspaceId: string, limit: number): Promise<AuditEvent[]>;
}

/**
 * Facts about the whole installation, not one workspace: the one repository that takes no
 * workspace, since a pepper serves every workspace alike.
 */
export interface InstallationRepository {
  /** The stored pepper check (src/domain/pepper-check.ts); null until the first open wrote it. */
  pepperCheck(): Promise<string | null>;
  /**
   * Stores this pepper check unless one is stored already (a concurrent first open may win), and
   * returns the one stored: this one, or the first writer's.
   */
  claimPepperCheck(value: string, at: Date): Promise<string>;
}

/** A workspace installed through OAuth, as stored: its tokens sealed (see SlackInstallService). */
export interface StoredSlackInstall {
  /** The keyward workspace: the team, or the enterprise for an org-wide install. */
  workspaceId: string;
  teamId: string | null;
  enterpriseId: string | null;
  isEnterpriseInstall: boolean;
  appId: string | null;
  botId: string | null;
  botUserId: string | null;
  installerUserId: string | null;
  /** What the installer reported besides the tokens (never secret). */
  details: Record<string, unknown>;
  sealed: Sealed;
  botExpiresAt: Date | null;
  installedAt: Date;
  /** The last install or reinstall through OAuth (a token refresh leaves it). */
  lastInstalledAt: Date;
  updatedAt: Date;
}

/** OAuth installs, one per workspace (its id is the key, so every method names the workspace). */
export interface SlackInstallRepository {
  find(workspaceId: string): Promise<StoredSlackInstall | null>;
  /** An OAuth install or reinstall: insert or update in place (keeps the first installedAt; a token refresh is storeRefreshed). */
  save(install: StoredSlackInstall): Promise<void>;
  /**
   * True when there was one to delete. With `installedBefore`, only an installation last installed
   * no later than that (a late uninstall event leaves a reinstall after it alone).
   */
  delete(workspaceId: string, installedBefore?: Date): Promise<boolean>;
  /**
   * Token rotation, across instances: the row's refresh lease for `holder`, for `leaseMs` (the
   * database's clock). False when another holder's lease runs, or there is no row.
   */
  leaseRefresh(workspaceId: string, holder: string, leaseMs: number): Promise<boolean>;
  releaseRefresh(workspaceId: string, holder: string): Promise<void>;
  /**
   * A failed refresh: `holder`'s lease becomes a back-off nobody takes, for `ms` (null: until the
   * row is saved again by a reinstall, the refresh token being dead).
   */
  backOffRefresh(workspaceId: string, holder: string, ms: number | null): Promise<void>;
  /** True while the row's refresh lease is a back-off (after a failed refresh), not a refresh under way. */
  refreshBackingOff(workspaceId: string): Promise<boolean>;
  /**
   * A refreshed token, compare-and-set on the sealed tokens it replaces (never an insert: an
   * installation deleted meanwhile stays deleted); ends the lease. False when the row changed or went.
   */
  storeRefreshed(workspaceId: string, from: Sealed, to: Sealed, botExpiresAt: Date | null, at: Date): Promise<boolean>;
  /** The workspace's row, locked until the transaction ends: installs, uninstalls and pause-if-uninstalled take it first, so they serialise. */
  lockWorkspace(workspaceId: string): Promise<void>;
  /** OAuth mode: a workspace with no installation is paused like an uninstalled one (no-op when it has one). */
  pauseIfUninstalled(workspaceId: string, at: Date): Promise<void>;
  /** Uninstalled: the workspace's reminders wait (no-op when the workspace was never used). */
  pause(workspaceId: string, at: Date): Promise<void>;
  /**
   * Installed again: the pause ends, and reminders that failed before or during it start their
   * give-up-after-a-day count afresh (the time spent uninstalled does not count).
   */
  resume(workspaceId: string): Promise<void>;
  /** Rows sealed under a key version below `keyVersion`, by workspace id after `after`. */
  sealedBelow(keyVersion: number, after: string | undefined, limit: number): Promise<Array<{ workspaceId: string; sealed: Sealed }>>;
  /** Compare-and-set: false when the row changed meanwhile, or a refresh is under way (a token refresh wins). */
  reseal(workspaceId: string, from: Sealed, to: Sealed): Promise<boolean>;
}

export interface NewIntegrationConfig extends Omit<IntegrationConfig, "isDefault" | "rotatedAt" | "rotatedBy"> {
  sealed: Sealed;
  isDefault: boolean;
  nextReminderAt: Date | null;
}

export interface IntegrationRepository {
  list(workspaceId: string, page: { integration?: string; after?: string; limit: number }): Promise<IntegrationConfig[]>;
  /** How many configurations `list` pages through, in one count. */
  count(workspaceId: string, integration?: string): Promise<number>;
  find(workspaceId: string, integration: string, alias: string): Promise<IntegrationConfig | null>;
  findById(workspaceId: string, id: string): Promise<IntegrationConfig | null>;
  findDefault(workspaceId: string, integration: string): Promise<IntegrationConfig | null>;
  sealedSecret(workspaceId: string, id: string): Promise<Sealed | null>;
  create(config: NewIntegrationConfig): Promise<IntegrationConfig>;
  replaceSecret(
    workspaceId: string,
    id: string,
    change: { sealed: Sealed; last4: string; expiresAt: Date | null; expiryTimeZone: string | null; at: Date; by: string; nextReminderAt: Date | null },
  ): Promise<IntegrationConfig | null>;
  /** Makes `id` the integration's only default (the database refuses two). */
  makeDefault(workspaceId: string, integration: string, id: string): Promise<void>;
  setChannel(workspaceId: string, id: string, channel: string | null): Promise<IntegrationConfig | null>;
  postponeReminder(workspaceId: string, id: string, until: Date): Promise<void>;
  delete(workspaceId: string, id: string): Promise<boolean>;
  /**
   * For re-encryption, across workspaces, by id: rows sealed under a key version below `keyVersion`
   * (when given) or with a binding below `binding`.
   */
  sealedBelow(below: { keyVersion?: number; binding: number }, after: string | undefined, limit: number): Promise<Array<SecretOwner & { sealed: Sealed }>>;
  /** Compare-and-set on the row's ciphertext, key version and binding. */
  reseal(id: string, from: Sealed, to: Sealed): Promise<boolean>;
}

/**
 * The ledger and the due rows. Implementations claim in the database (row locks that skip rows
 * another instance holds, and a unique ledger row per subject, expiry and threshold), so that
 * each threshold is posted once across restarts and instances.
 */
export interface ReminderRepository {
  /** Claims due subjects of one type with id > after, at most `limit`; moves their next reminder on. */
  claimDue(input: {
    type: ReminderSubjectType;
    now: Date;
    after?: string;
    limit: number;
    instance: string;
    plan: (subject: ReminderSubject) => ReminderPlan;
  }): Promise<{ claims: ReminderClaim[]; lastId: string | null }>;
  /**
   * The database's clock. Claims and their leases are timed on it, not on any instance's clock, so
   * that one instance whose clock runs ahead (or jumps) cannot take over another's live claim.
   */
  databaseNow(): Promise<Date>;
  /**
   * Re-claims deliveries that failed for a passing reason before `passStart` (database time), or
   * whose claimant died: claimed or renewed more than `leaseMs` ago on the database's clock.
   */
  claimRetries(input: {
    passStart: Date;
    leaseMs: number;
    limit: number;
    instance: string;
    /** The subject's most urgent threshold due now; a retry of a less urgent one comes back obsolete (the due phase posts that one). */
    mostUrgentDue: (subject: ReminderSubject) => number | null;
  }): Promise<Array<ReminderClaim | { deliveryId: string; obsolete: string }>>;
  /**
   * Renews this instance's claim just before posting; false when another pass took the claim
   * over meanwhile (then this one must not post). The lease counts from here (database time), not from the claim.
   */
  renew(deliveryId: string, instance: string): Promise<boolean>;
  /**
   * Records the outcome (`at`: when it was sent); with `instance`, only while this instance still
   * holds the claim. A "retry" keeps the time of the first failure (the database's now() if there
   * was none), so giving up is timed on the database's clock, like the leases.
   */
  finish(deliveryId: string, outcome: ReminderOutcome | { status: "obsolete"; error: string }, at: Date, instance?: string): Promise<void>;
  /**
   * The reminder messages posted about a subject of this workspace and its expiry `expiresAt` (the
   * one before the change: messages about an earlier one are not rewritten with today's facts) and not settled yet, oldest
   * first; the caller applies a newer change, so an update of theirs still waiting for a retry is dropped.
   */
  postedMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]>;
  /**
   * Marks those messages settled (the subject was rotated or deleted) and returns them: only the
   * caller that settled a message updates it, so a later change cannot rewrite what happened.
   */
  settleMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]>;
  /** The subject's last 4 and expiry as stored now (null: deleted); read outside any claim. */
  subjectNow(type: ReminderSubjectType, subjectId: string): Promise<ReminderSubjectNow | null>;
  /**
   * Keeps a change whose chat.update Slack refused for a passing reason on its message's row, so a
   * later pass re-applies it (the row stays settled: no other change rewrites it meanwhile).
   */
  deferUpdate(deliveryId: string, change: ReminderMessageChange): Promise<void>;
  /** Takes (and clears) up to `limit` deferred updates, of any workspace: each goes to one caller only. */
  takeDeferredUpdates(limit: number): Promise<Array<{ message: PostedReminder; change: ReminderMessageChange }>>;
  /** Settles one delivery's message; true only for the caller that settled it (so it alone rewrites it). */
  settleDelivery(deliveryId: string): Promise<boolean>;
  /**
   * Hands claims this instance never posted back to a later pass (Slack asked the channel to slow
   * down): 'retry', without a first-failure time, so waiting for a channel's turn never counts
   * toward giving up. Only claims this instance still holds.
   */
  release(deliveryIds: readonly string[], instance: string, reason: string): Promise<void>;
  /**
   * Takes the lease on rewriting one combined message for `leaseMs` (database time): true when
   * taken, false while someone else's lease runs. Shared by every instance on the database.
   */
  lockMessage(message: { workspaceId: string; channel: string; ts: string }, holder: string, leaseMs: number): Promise<boolean>;
  /** Gives the lease back (only the holder's own). */
  unlockMessage(message: { workspaceId: string; channel: string; ts: string }, holder: string): Promise<void>;
}

/** Key requests. Every decision is a conditional update from `pending`, so of two at once one wins. */
export interface KeyRequestRepository {
  create(request: KeyRequest): Promise<KeyRequest>;
  find(workspaceId: string, id: string): Promise<KeyRequest | null>;
  /** By id, after `after`; of one status when given. */
  list(workspaceId: string, page: { after?: string; limit: number; status?: KeyRequestStatus }): Promise<KeyRequest[]>;
  /**
   * pending → `to`, only while pending and not lapsed at `at` (approve, deny), or only once lapsed
   * (expire). False when another decision (or the expiry) came first: nothing changed.
   */
  decide(
    workspaceId: string,
    id: string,
    decision: { to: "approved" | "denied" | "expired"; by: string; at: Date; denyReason?: string; lapsed: boolean },
  ): Promise<boolean>;
  /** The key an approval made. */
  setKey(workspaceId: string, id: string, keyId: string): Promise<void>;
  /** approved → undelivered (the key was removed again); false when not approved. */
  markUndelivered(workspaceId: string, id: string): Promise<boolean>;
  /**
   * The request whose approval made `keyId`, approved → undelivered (its key was just removed
   * again, rule 4), its messages marked stale so the next pass rewrites them; `notice`: the next
   * pass tells requester and approver (nobody else will). Null when no approved request made that key.
   */
  markUndeliveredByKey(workspaceId: string, keyId: string, notice: boolean): Promise<KeyRequest | null>;
  /** Claims (clears) up to `limit` pending undelivered notices, of workspaces not paused; each is claimed once across instances. */
  takeUndeliveredNotices(limit: number): Promise<KeyRequest[]>;
  /** Serialises a requester's new requests (their count of pending ones is read after it). */
  lockRequester(workspaceId: string, userId: string): Promise<void>;
  /** How many of this person's requests are pending and not lapsed at `at`. */
  countPending(workspaceId: string, userId: string, at: Date): Promise<number>;
  addMessages(workspaceId: string, id: string, messages: PostedMessage[]): Promise<void>;
  /** A chat.update failed for a passing reason (true) or was re-applied (false). */
  setMessagesStale(workspaceId: string, id: string, stale: boolean): Promise<void>;
  /** Pending requests, of any workspace, lapsed at `at`. */
  findLapsed(at: Date, limit: number): Promise<KeyRequest[]>;
  /** Decided requests whose messages still show them undecided, of any workspace not paused (uninstalled: nobody could update them). */
  findStale(limit: number): Promise<KeyRequest[]>;
}

/** Uses of one key on one UTC day (`day`: days since 1970-01-01, UTC). */
export interface KeyUseCount {
  workspaceId: string;
  keyId: string;
  day: number;
  count: number;
}

/** Daily use counts per key (KeyUsageDay). */
export interface KeyUsageRepository {
  /** Adds every count to its (key, day) row in one statement; counts of keys that no longer exist are dropped. */
  add(counts: readonly KeyUseCount[]): Promise<void>;
  /** The non-zero counts of these keys (this workspace's only) from day `fromDay` on: one query for all of them. */
  daily(workspaceId: string, keyIds: readonly string[], fromDay: number): Promise<KeyUseCount[]>;
  /** Deletes every row of a day before `beforeDay`, any workspace (retention); how many went. */
  prune(beforeDay: number): Promise<number>;
}

export interface Repositories {
  workspaces: WorkspaceRepository;
  roles: RoleRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
  members: MemberRepository;
  integrations: IntegrationRepository;
  installation: InstallationRepository;
  slackInstalls: SlackInstallRepository;
  policies: PolicyRepository;
  keyRequests: KeyRequestRepository;
  keyUsage: KeyUsageRepository;
}

/**
 * The digest ledger (the reminder ledger's guarantee, for one digest per workspace and week): a
 * claim is a row inserted before Slack is called, and its unique (workspace, week) refuses a second.
 */
export interface DigestRepository {
  /**
   * Workspaces whose digest is due (`digestNextAt` ≤ now, not paused), locked and skipped by other
   * instances; each gets the slot `plan` names claimed (unless that week's is claimed already and
   * not left to retry or obsolete: those are taken over) and its next due time. One whose setting
   * `plan` throws on is left untouched and reported in `failed`. Paged by workspace id.
   */
  claimDue(input: {
    now: Date;
    after?: string;
    limit: number;
    instance: string;
    plan: (settings: DigestSettings) => { latest: DigestSlot; next: DigestSlot };
  }): Promise<{ claims: DigestClaim[]; failed: DigestFailure[]; lastId: string | null }>;
  /**
   * Claims to post again: retries from before `passStart`, and pending claims whose lease ran out
   * (their claimant died). One whose week is older than the latest, or whose workspace turned the
   * digest off, comes back obsolete; one whose setting cannot be planned comes back failed (left for
   * the next pass).
   */
  claimRetries(input: {
    passStart: Date;
    leaseMs: number;
    limit: number;
    instance: string;
    latestWeek: (settings: DigestSettings) => string;
  }): Promise<Array<DigestClaim | { deliveryId: string; obsolete: string } | { deliveryId: string; failed: DigestFailure }>>;
  databaseNow(): Promise<Date>;
  /** The workspace's latest digest in the ledger (by week), whatever came of it; null: none yet. */
  latest(workspaceId: string): Promise<DigestRecord | null>;
  /** Extends a claim's lease; false when this instance no longer holds it. */
  renew(deliveryId: string, instance: string): Promise<boolean>;
  finish(deliveryId: string, outcome: DigestOutcome | { status: "obsolete"; error: string }, at: Date, instance?: string): Promise<void>;
  /**
   * What a digest says: counts by SQL over the workspace's live keys (expiring before
   * `expiringBefore`; unused since `unusedSince`, or never used and made before `neverUsedBefore`;
   * out of `policy`), its configurations without a reminder channel and its pending requests; and
   * the `limit` most urgent keys of the first two kinds.
   */
  facts(
    workspaceId: string,
    input: { now: Date; expiringBefore: Date; unusedSince: Date; neverUsedBefore: Date; policy: WorkspacePolicy; limit: number },
  ): Promise<DigestFacts>;
}

/** Repositories plus a way to run several changes atomically. */
export interface Store extends Repositories {
  /** The reminder ledger: outside transactions, since its claims open transactions of their own. */
  reminders: ReminderRepository;
  /** The digest ledger, likewise outside transactions. */
  digests: DigestRepository;
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
}
