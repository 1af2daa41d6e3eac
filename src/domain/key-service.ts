import { canChangeKey, capabilitiesOf } from "./capabilities.ts";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, DomainError, notFound } from "./errors.ts";
import { checkKeyShape } from "./key-format.ts";
import type { LastUsedTracker } from "./last-used-tracker.ts";
import { HashFilter } from "./hash-filter.ts";
import { createKey, requireUniqueName, type CreatedKey, type KeyChangeSupport, type NewKeyContext } from "./new-key.ts";
import { VerifyCache } from "./verify-cache.ts";
import { missingPermissions, type Permission } from "./permissions.ts";
import type { Repositories } from "./repositories.ts";
import { decodeCursor, encodeCursor } from "./paging.ts";
import { looksLikeId } from "./runtime.ts";
import { pickByName, type NameReading } from "./key-reference.ts";
import { checkRolledDelete, revertRoll, rollKey, type Discarded, type RolledKey } from "./key-roll.ts";
import {
  pageInputSchema,
  pageNumberInputSchema,
  updateKeyInputSchema,
  type CreateKeyInput,
  type PageInput,
  type PageNumberInput,
  type RollKeyInput,
  type UpdateKeyInput,
} from "./schemas.ts";

import type { Actor, ApiKey, KeyKind, Page, Role, StoredKey } from "./types.ts";
import { parseInput } from "./validation.ts";

export type VerifyFailure = "malformed" | "unknown" | "expired" | "deleted";
type VerifyResult = { valid: true; key: StoredKey; permissions: Permission[] } | { valid: false; reason: VerifyFailure; key?: StoredKey };

/** API keys: issue, list, rename, delete, verify. Every permission rule of SPEC rules 1, 2, 6, 7. */
export class KeyService {
  constructor(
    private readonly ctx: NewKeyContext & Pick<DomainContext, "telemetry">,
    private readonly lastUsed: LastUsedTracker,
    private readonly cache: VerifyCache = new VerifyCache(ctx.clock),
    // Untrusted (every miss asks the database) until loadHashFilter() first succeeds.
    private readonly filter: HashFilter = new HashFilter(() => ctx.store.apiKeys.listHashPrefixes()),
  ) {}

  /**
   * Issues a key (src/domain/new-key.ts); `pendingDelivery`: inert until `activate` (rule 4);
   * `approved`: for the approval of a key request only (four eyes kept; the other limits hold).
   */
  create(actor: Actor, rawInput: CreateKeyInput, options: { pendingDelivery?: boolean; approved?: boolean } = {}): Promise<CreatedKey> {
    return createKey(this.support, actor, rawInput, options);
  }

  /** What the create form may offer this actor: the roles they can grant and the kinds they can make. */
  async createOptions(actor: Actor): Promise<{ roles: Role[]; kinds: KeyKind[] }> {
    const kinds = capabilitiesOf(actor).createKinds;
    if (kinds.length === 0) throw denied("create API keys");
    const roles = await this.ctx.store.roles.list(actor.workspaceId);
    return { roles: roles.filter((r) => r.permissions.length > 0 && missingPermissions(actor.permissions, r.permissions).length === 0), kinds };
  }

  async list(actor: Actor, rawPage: PageInput = {}): Promise<Page<ApiKey>> {
    this.requireView(actor);
    const page = parseInput(pageInputSchema, rawPage);
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await this.ctx.store.apiKeys.list(actor.workspaceId, { after, limit: page.limit + 1 });
    const data = rows.slice(0, page.limit);
    const last = data.at(-1);
    return { data, nextCursor: rows.length > page.limit && last ? encodeCursor(last.id) : null };
  }

  /**
   * Page `n` of the list, for a typed page number: one query that skips to it by position (the
   * id index), however deep, instead of walking the cursors of every page before it. Its
   * nextCursor continues by key, like list's.
   */
  async listAt(actor: Actor, rawPage: PageNumberInput): Promise<Page<ApiKey>> {
    this.requireView(actor);
    const page = parseInput(pageNumberInputSchema, rawPage);
    const rows = await this.ctx.store.apiKeys.list(actor.workspaceId, { skip: (page.page - 1) * page.limit, limit: page.limit + 1 });
    const data = rows.slice(0, page.limit);
    const last = data.at(-1);
    return { data, nextCursor: rows.length > page.limit && last ? encodeCursor(last.id) : null };
  }

  async get(actor: Actor, id: string): Promise<ApiKey> {
    this.requireView(actor);
    const key = looksLikeId(id) ? await this.ctx.store.apiKeys.findById(actor.workspaceId, id) : null;
    if (!key) throw notFound("The API key");
    return key;
  }

  /** Finds a live key by id or by exact name (what `/keys edit|delete|roll <name|id>` take; see pickByName). */
  async find(actor: Actor, ref: string, reading: NameReading = {}): Promise<ApiKey> {
    this.requireView(actor);
    const trimmed = ref.trim();
    // No stored name holds a control character (the schema refuses them): such a ref names nothing.
    if (/\p{Cc}/u.test(trimmed) || trimmed.length > 200) throw notFound("That key");
    if (looksLikeId(trimmed)) {
      const byId = await this.ctx.store.apiKeys.findById(actor.workspaceId, trimmed);
      if (byId) return byId;
    }
    return pickByName(await this.ctx.store.apiKeys.findByName(actor.workspaceId, trimmed), trimmed, this.ctx.clock.now(), reading);
  }

  /** A key this actor may change (for forms that would otherwise be refused on submit). */
  async findForChange(actor: Actor, ref: string, reading: NameReading = {}): Promise<ApiKey> {
    const key = await this.find(actor, ref, reading);
    this.requireEdit(actor, key.kind, key.createdBy);
    return key;
  }

  /** Only name and description ever change (SPEC rule 6); the schema refuses anything else. */
  async update(actor: Actor, id: string, rawChanges: UpdateKeyInput): Promise<ApiKey> {
    const changes = parseInput(updateKeyInputSchema, rawChanges);
    return this.ctx.store.transaction(async (tx) => {
      const current = await this.loadForChange(tx, actor, id);
      // The name belongs to the replacement now; renaming the old key would split the two.
      if (current.replacedBy)
        throw new DomainError("conflict", `${current.name} was rolled; change its replacement (${current.replacedBy}) instead.`, {
          replacedBy: current.replacedBy,
        });
      if (changes.name !== undefined && changes.name !== current.name) await requireUniqueName(this.ctx, tx, actor.workspaceId, changes.name);
      const updated = await tx.apiKeys.update(actor.workspaceId, id, changes);
      if (!updated) throw notFound("The API key");
      const diff: Record<string, unknown> = {};
      if (changes.name !== undefined && changes.name !== current.name) diff.name = { from: current.name, to: changes.name };
      if (changes.description !== undefined && changes.description !== current.description) diff.descriptionChanged = true;
      await recordAudit(this.ctx, tx, actor, "api_key.update", { type: "api_key", id, name: updated.name }, diff);
      return updated;
    });
  }

  /**
   * `endGrace`: the caller knows the key was rolled and wants the old key stopped now (it leaked,
   * say) while its replacement keeps working. Without it, deleting a rolled key is a conflict, so a
   * delete that raced a roll never leaves the replacement of a key someone meant to kill.
   */
  async delete(actor: Actor, id: string, options: { endGrace?: boolean } = {}): Promise<ApiKey> {
    const deleted = await this.ctx.store.transaction(async (tx) => {
      const current = await this.loadForChange(tx, actor, id);
      const replacement = await this.liveReplacement(tx, current);
      // Decided under the row lock: a roll undone or completed since the caller looked shows here.
      checkRolledDelete(current, replacement, options.endGrace === true);
      const deleted = await tx.apiKeys.softDelete(actor.workspaceId, id, actor.userId, this.ctx.clock.now());
      if (!deleted) throw notFound("The API key");
      await tx.apiKeys.announceChange(id);
      const details = replacement ? { endedGrace: true, replacedBy: replacement.id } : undefined;
      await recordAudit(this.ctx, tx, actor, "api_key.delete", { type: "api_key", id, name: current.name }, details);
      return current;
    });
    this.cache.evictKey(id);
    return deleted;
  }

  /** Checks a presented secret. Shape and checksum first, so a typo never reaches the database. */
  async verify(secret: string): Promise<VerifyResult> {
    if (checkKeyShape(secret) !== "ok") return { valid: false, reason: "malformed" };
    const hash = this.ctx.hasher.hash(secret);
    let key = this.cache.get(hash)?.key;
    // "filtered": no key row has this hash (a forged key, say): answered from memory, nothing read or cached.
    const lookup = key !== undefined ? "hit" : this.filter.mayExist(hash) ? "miss" : "filtered";
    this.ctx.telemetry?.verifyLookup(lookup);
    if (lookup === "filtered") return { valid: false, reason: "unknown" };
    if (key === undefined) {
      const ticket = this.cache.ticket();
      key = await this.ctx.store.apiKeys.findByHash(hash);
      this.cache.set(hash, key, ticket);
    }
    // A key whose secret is still on its way to its creator does not exist yet for callers.
    if (!key || key.pendingSince) return { valid: false, reason: "unknown" };
    if (key.deletedAt) return { valid: false, reason: "deleted", key };
    const now = this.ctx.clock.now();
    if (key.expiresAt.getTime() <= now.getTime()) return { valid: false, reason: "expired", key };
    this.lastUsed.touch(key.id, now);
    return { valid: true, key, permissions: key.rolePermissions };
  }

  /** Replaces the key: same name, description, role and kind, a new expiry (src/domain/key-roll.ts). */
  roll(actor: Actor, id: string, rawInput: RollKeyInput = {}, options: { pendingDelivery?: boolean } = {}): Promise<RolledKey> {
    return rollKey(this.support, actor, id, rawInput, options);
  }

  /**
   * Another instance created or changed this key (heard through the database): drop it from the
   * verify cache, forget the hashes remembered as unknown (a creation may have made one real), and
   * add the row's hash prefix to the filter (one indexed read per notice; changes are rare, and
   * until it is done every filter miss asks the database). Never rejects: a failed look-up leaves
   * the filter untrusted until a reload succeeds.
   */
  async forget(keyId: string): Promise<void> {
    this.cache.evictKey(keyId);
    try {
      await this.filter.lookUp(() => this.ctx.store.apiKeys.hashPrefixOf(keyId));
    } catch {
      await this.loadHashFilter().catch(() => undefined);
    }
  }

  /** Loads the filter's prefixes afresh: at start, after the notifications connection came back, and now and then. */
  loadHashFilter(): Promise<void> {
    return this.filter.reload();
  }

  /**
   * The database layer's word on the change notifications: false when they may be lost from now
   * on (misses ask the database), true when they are heard again (the filter reloads; resolves then).
   */
  async notificationsHeard(listening: boolean): Promise<void> {
    this.filter.setListening(listening);
    if (listening) await this.loadHashFilter();
  }

  /** These keys changed in a transaction that committed (a policy shortened them): this instance's cache forgets them. */
  evictKeys(ids: readonly string[]): void {
    for (const id of ids) this.cache.evictKey(id);
  }

  /** The secret reached its creator: the key starts working. */
  async activate(actor: Actor, keyId: string): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      await tx.apiKeys.lockForChange(actor.workspaceId, keyId);
      if (!(await tx.apiKeys.activate(actor.workspaceId, keyId))) throw notFound("The pending API key");
      await tx.apiKeys.announceChange(keyId);
    });
    this.cache.evictKey(keyId);
  }

  /**
   * Rule 4: the secret reached nobody, so the key goes again; if it was a roll's replacement,
   * the old key gets back the expiry it had before the roll, as if the roll had not happened.
   */
  async discardUndelivered(
    actor: Pick<Actor, "workspaceId" | "userId" | "source">,
    key: Pick<ApiKey, "id" | "name" | "expiresAt">,
    reason: string,
    options: { tellLater?: boolean } = {},
  ): Promise<Discarded> {
    const now = this.ctx.clock.now();
    const discarded = await this.ctx.store.transaction(async (tx) => {
      // The policy's shared lock before any key row (as a policy change takes its exclusive one
      // before the rows it shortens): an undone roll reads the policy under it (revertRoll).
      await tx.policies.readForKeyChange(actor.workspaceId);
      // Only a key still waiting for its delivery goes. One activated since the caller looked (a
      // slow delivery finishing while the sweep ran) was shown to its creator and stays, and so
      // does the roll that it completes.
      const fresh = await tx.apiKeys.lockForChange(actor.workspaceId, key.id);
      if (!fresh || fresh.deletedAt || !fresh.pendingSince || !(await tx.apiKeys.softDelete(actor.workspaceId, key.id, actor.userId, now)))
        return { discarded: false as const };
      await tx.apiKeys.announceChange(key.id);
      await recordAudit(this.ctx, tx, actor, "api_key.delete", { type: "api_key", id: key.id, name: key.name }, { reason });
      await this.requestUndelivered(tx, actor, key.id, options.tellLater === true);
      const revertedRoll = await revertRoll(this.ctx, tx, actor, key, reason);
      if (revertedRoll) this.cache.evictKey(revertedRoll.oldKeyId);
      return { discarded: true as const, revertedRoll };
    });
    this.cache.evictKey(key.id);
    return discarded;
  }

  /**
   * Removes keys whose delivery never finished (the process died meanwhile). A key an approved
   * request made leaves that request undelivered, and nobody is left to tell its requester and
   * approver: the key-request pass does (tellLater).
   */
  async sweepUndelivered(maxAgeMs = 10 * 60_000): Promise<number> {
    const stale = await this.ctx.store.apiKeys.findPendingBefore(new Date(this.ctx.clock.now().getTime() - maxAgeMs), 100);
    let removed = 0;
    for (const key of stale) {
      const actor = { workspaceId: key.workspaceId, userId: "keyward", source: "scheduler" as const };
      if ((await this.discardUndelivered(actor, key, "delivery_unconfirmed", { tellLater: true })).discarded) removed++;
    }
    return removed;
  }

  /** The key just removed was an approved request's: the request says undelivered (audited), in the same transaction. */
  private async requestUndelivered(tx: Repositories, actor: Pick<Actor, "workspaceId" | "userId" | "source">, keyId: string, tellLater: boolean) {
    const request = await tx.keyRequests.markUndeliveredByKey(actor.workspaceId, keyId, tellLater);
    if (!request) return;
    await recordAudit(
      this.ctx,
      tx,
      actor,
      "key_request.undelivered",
      { type: "key_request", id: request.id, name: request.name },
      {
        requestedBy: request.requestedBy,
        keyId,
      },
    );
  }

  /** What create, roll and an approved request need from this service (src/domain/new-key.ts, key-roll.ts, key-request-service.ts). */
  get support(): KeyChangeSupport {
    return {
      ctx: this.ctx,
      requireEdit: (actor, kind, ownerId) => this.requireEdit(actor, kind, ownerId),
      loadForChange: (tx, actor, id) => this.loadForChange(tx, actor, id),
      rememberHash: (hash) => this.filter.add(hash),
      evict: (keyId) => this.cache.evictKey(keyId),
    };
  }

  private async loadForChange(tx: Repositories, actor: Actor, id: string): Promise<ApiKey> {
    // Someone who cannot even see keys learns nothing about which ids exist.
    if (!actor.permissions.has("api_keys.view") && !actor.permissions.has("personal_tokens.edit")) throw denied("manage API keys");
    const seen = looksLikeId(id) ? await tx.apiKeys.findById(actor.workspaceId, id) : null;
    if (!seen) throw notFound("The API key");
    this.requireEdit(actor, seen.kind, seen.createdBy);
    // Take the row before deciding anything: a change of this key that committed since `seen` was
    // read shows now, and one starting now waits for ours, so of two conflicting changes the
    // second sees the first and refuses (issue 9 item 6; other instances included).
    const fresh = await tx.apiKeys.lockForChange(actor.workspaceId, id);
    if (!fresh || fresh.deletedAt) throw new DomainError("conflict", `${seen.name} was deleted at the same moment; nothing was changed.`);
    return withoutStorageFields(fresh);
  }

  /** The key that replaced this one, while it works or is being delivered. */
  private async liveReplacement(tx: Repositories, key: ApiKey): Promise<StoredKey | null> {
    if (!key.replacedBy) return null;
    const replacement = await tx.apiKeys.findStored(key.workspaceId, key.replacedBy);
    return replacement && !replacement.deletedAt ? replacement : null;
  }

  private requireEdit(actor: Actor, kind: ApiKey["kind"], ownerId: string): void {
    if (!canChangeKey(actor, { kind, createdBy: ownerId })) throw denied(kind === "personal" ? "manage this personal key" : "edit API keys");
  }

  private requireView(actor: Actor): void {
    if (!actor.permissions.has("api_keys.view")) throw denied("view API keys");
  }
}

/** A locked row as the domain's ApiKey: what callers get back must not carry storage-only fields. */
function withoutStorageFields(stored: StoredKey): ApiKey {
  const { deletedAt: _deleted, pendingSince: _pending, rolePermissions: _permissions, expiresAtBeforeRoll: _beforeRoll, ...key } = stored;
  return key;
}
