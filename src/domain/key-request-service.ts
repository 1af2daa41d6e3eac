// Key requests (SPEC "Concepts", rule 14): someone asks for a key they may not create; an approver,
// who could create that key themselves and is not the requester, decides once.
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, DomainError, notFound } from "./errors.ts";
import { checkPolicyOf, createApprovedKey, expiryFieldOf, expiryOfCreate, mintSecret, type CreatedKey, type KeyChangeSupport } from "./new-key.ts";
import { decodeCursor, encodeCursor } from "./paging.ts";
import { missingPermissions } from "./permissions.ts";
import type { Repositories } from "./repositories.ts";
import { resolveRole } from "./role-service.ts";
import { looksLikeId, newId } from "./runtime.ts";
import {
  approvalsChannelSchema,
  createKeyInputSchema,
  denyReasonSchema,
  keyRequestPageInputSchema,
  requestReasonSchema,
  type CreateKeyInput,
  type KeyRequestPageInput,
} from "./schemas.ts";
import type { Actor, KeyRequest, Page, PostedMessage, Role } from "./types.ts";
import { parseInput } from "./validation.ts";

/** A request left undecided this many days expires (a rule of its own, not the roll's grace limit). */
export const requestLifetimeDays = 7;
const requestLifetimeMs = requestLifetimeDays * 86_400_000;
/** How many Admins a request is put to by DM when the workspace has no approvals channel. */
const adminsAsked = 20;
/** How many undecided requests one person may have at a time: each asks up to 20 Admins, so they are not free. */
export const maxPendingRequests = 5;

/** Where a request is put to approvers: the approvals channel, or each Admin's DM. */
export type ApprovalRoute = { channel: string } | { admins: string[] };

/** A decision that came too late: who decided first, and how (or that the request expired). */
export class AlreadyDecided extends DomainError {
  constructor(readonly request: KeyRequest) {
    super(
      "conflict",
      request.status === "expired" ? "This request has expired." : `This request was already ${request.status === "denied" ? "denied" : "approved"}.`,
      { status: request.status, decidedBy: request.decidedBy },
    );
  }
}

type RequestContext = Pick<DomainContext, "store" | "clock" | "random" | "adminUserIds">;

export class KeyRequestService {
  constructor(
    private readonly ctx: RequestContext,
    private readonly keys: KeyChangeSupport,
  ) {}

  /** The roles a request may ask for: every role that grants something. Anyone of the workspace may ask. */
  async requestOptions(actor: Actor): Promise<Role[]> {
    this.requireMember(actor);
    return (await this.ctx.store.roles.list(actor.workspaceId)).filter((r) => r.permissions.length > 0);
  }

  /** Files a request; `channelId`: where it was typed, where the secret is delivered once approved. */
  async request(actor: Actor, raw: { key: CreateKeyInput; reason: string }, origin: { channelId?: string }): Promise<KeyRequest> {
    this.requireMember(actor);
    const input = parseInput(createKeyInputSchema, raw.key);
    const reason = parseReason(requestReasonSchema, raw.reason);
    const now = this.ctx.clock.now();
    const expiresAt = expiryOfCreate(input, now);
    return this.ctx.store.transaction(async (tx) => {
      // Counted under the requester's lock: two requests sent at once cannot both be the fifth.
      await tx.keyRequests.lockRequester(actor.workspaceId, actor.userId);
      if ((await tx.keyRequests.countPending(actor.workspaceId, actor.userId, now)) >= maxPendingRequests) {
        const message = `You have ${maxPendingRequests} requests waiting for a decision already; wait for them to be decided (or to expire after ${requestLifetimeDays} days) before asking for more.`;
        throw new DomainError("conflict", message, { fields: { reason: message }, pendingLimit: maxPendingRequests });
      }
      const role = await resolveRole(tx, actor.workspaceId, input.role);
      if (role.permissions.length === 0)
        throw new DomainError("validation_failed", "That role grants nothing.", { fields: { role: "Choose a role that grants something." } });
      // A personal key never does more than its holder: one beyond the requester's own role would be refused at every use.
      if (input.kind === "personal" && missingPermissions(actor.permissions, role.permissions).length > 0) {
        throw new DomainError("role_exceeds_actor", `A personal key never does more than you hold, and ${role.name} grants more.`, {
          fields: { kind: "Ask for a service key, or for a role that you hold." },
        });
      }
      // Refused now, where the requester can still change it, rather than at the approval (which checks again).
      const candidate = { kind: input.kind, description: input.description, expiresAt, expiryTimeZone: input.expiresOn ? input.timeZone! : null, now };
      await checkPolicyOf(this.keys.ctx, tx, actor.workspaceId, role, { ...candidate, expiryField: expiryFieldOf(input) }, true);
      if (await tx.apiKeys.nameInUse(actor.workspaceId, input.name, now)) {
        throw new DomainError("conflict", `A key named "${input.name}" already exists.`, { fields: { name: "Choose a name no other live key has." } });
      }
      const request: KeyRequest = {
        id: newId(this.ctx.clock, this.ctx.random),
        workspaceId: actor.workspaceId,
        roleId: role.id,
        roleName: role.name,
        name: input.name,
        description: input.description,
        kind: input.kind,
        expiresAt,
        expiryTimeZone: input.expiresOn ? input.timeZone! : null,
        reason,
        requestedBy: actor.userId,
        channelId: origin.channelId ?? null,
        status: "pending",
        decidedBy: null,
        decidedAt: null,
        denyReason: null,
        keyId: null,
        messages: [],
        createdAt: now,
        lapsesAt: new Date(now.getTime() + requestLifetimeMs),
      };
      const created = await tx.keyRequests.create(request);
      await recordAudit(this.ctx, tx, actor, "key_request.create", target(created), {
        role: role.name,
        kind: created.kind,
        expiresAt: expiresAt.toISOString(),
      });
      return created;
    });
  }

  /** Where this workspace's requests are put: the approvals channel, else the Admins keyward knows of (never the requester). */
  async approvalRoute(request: Pick<KeyRequest, "workspaceId" | "requestedBy">): Promise<ApprovalRoute> {
    const channel = await this.ctx.store.workspaces.approvalsChannel(request.workspaceId);
    return channel ? { channel } : { admins: await this.adminsFor(request) };
  }

  /** The Admins keyward knows of (KEYWARD_ADMINS, those assigned Admin, Slack owners and admins seen), never the requester. */
  async adminsFor(request: Pick<KeyRequest, "workspaceId" | "requestedBy">): Promise<string[]> {
    const { store } = this.ctx;
    const admin = await store.roles.findBuiltIn(request.workspaceId, "admin");
    const assigned = admin ? await store.roles.holdersOf(request.workspaceId, admin.id, adminsAsked) : [];
    const seen = await store.members.workspaceAdmins(request.workspaceId, adminsAsked);
    const all = [...[...this.ctx.adminUserIds].sort(), ...assigned, ...seen].filter((id) => id !== request.requestedBy);
    return [...new Set(all)].slice(0, adminsAsked);
  }

  /** The messages that put the request to approvers, so they can be updated once it is decided. */
  recordMessages(workspaceId: string, id: string, messages: PostedMessage[]): Promise<void> {
    return this.ctx.store.keyRequests.addMessages(workspaceId, id, messages);
  }

  /** A request as a reader of this workspace sees it (its messages and buttons); not found in any other. */
  async get(actor: Pick<Actor, "workspaceId">, id: string): Promise<KeyRequest> {
    const request = looksLikeId(id) ? await this.ctx.store.keyRequests.find(actor.workspaceId, id) : null;
    if (!request) throw notFound("The key request");
    return request;
  }

  /**
   * Approves: checked for this approver now, then one transaction that moves the request from
   * pending (the first decision wins; a later one gets AlreadyDecided) and creates the key for the
   * requester, pending its delivery.
   */
  async approve(approver: Actor, id: string): Promise<{ request: KeyRequest; created: CreatedKey }> {
    const request = await this.decidable(approver, id);
    const minted = mintSecret(this.keys.ctx);
    this.keys.rememberHash(minted.hash);
    const now = this.ctx.clock.now();
    const key = await this.ctx.store.transaction(async (tx) => {
      const role = await tx.roles.findById(approver.workspaceId, request.roleId);
      if (!role) throw new DomainError("role_not_found", `The role ${request.roleName} no longer exists; deny the request.`);
      this.requireApprover(approver, request, role);
      if (!(await tx.keyRequests.decide(approver.workspaceId, id, { to: "approved", by: approver.userId, at: now, lapsed: false })))
        throw await this.tooLate(tx, approver.workspaceId, id);
      const key = await createApprovedKey(this.keys, tx, approver, request, role, minted);
      await tx.keyRequests.setKey(approver.workspaceId, id, key.id);
      await recordAudit(this.ctx, tx, approver, "key_request.approve", target(request), { requestedBy: request.requestedBy, keyId: key.id });
      return key;
    });
    this.keys.evict(key.id);
    return { request: { ...request, status: "approved", decidedBy: approver.userId, decidedAt: now, keyId: key.id }, created: { key, secret: minted.secret } };
  }

  /** Checks that this approver may decide the request, before a deny form is shown. */
  async checkDecider(approver: Actor, id: string): Promise<KeyRequest> {
    return this.decidable(approver, id, "deny");
  }

  async deny(approver: Actor, id: string, rawReason: string): Promise<KeyRequest> {
    const request = await this.decidable(approver, id, "deny");
    const denyReason = parseReason(denyReasonSchema, rawReason);
    const now = this.ctx.clock.now();
    await this.ctx.store.transaction(async (tx) => {
      if (!(await tx.keyRequests.decide(approver.workspaceId, id, { to: "denied", by: approver.userId, at: now, denyReason, lapsed: false })))
        throw await this.tooLate(tx, approver.workspaceId, id);
      await recordAudit(this.ctx, tx, approver, "key_request.deny", target(request), { requestedBy: request.requestedBy, reason: denyReason });
    });
    return { ...request, status: "denied", decidedBy: approver.userId, decidedAt: now, denyReason };
  }

  /** The approved key's secret reached nobody and the key was removed again (rule 4): the request says so. */
  async markUndelivered(actor: Pick<Actor, "workspaceId" | "userId" | "source">, request: KeyRequest): Promise<void> {
    await this.ctx.store.transaction(async (tx) => {
      if (await tx.keyRequests.markUndelivered(request.workspaceId, request.id))
        await recordAudit(this.ctx, tx, actor, "key_request.undelivered", target(request), { requestedBy: request.requestedBy, keyId: request.keyId });
    });
  }

  /**
   * Expires requests pending for 7 days, of every workspace: each by a conditional update, so with
   * several instances on one database each request expires once, and only its expirer updates its messages.
   */
  async expireLapsed(limit = 100): Promise<KeyRequest[]> {
    const now = this.ctx.clock.now();
    const expired: KeyRequest[] = [];
    for (const request of await this.ctx.store.keyRequests.findLapsed(now, limit)) {
      const won = await this.ctx.store.transaction(async (tx) => {
        if (!(await tx.keyRequests.decide(request.workspaceId, request.id, { to: "expired", by: "keyward", at: now, lapsed: true }))) return false;
        const actor = { workspaceId: request.workspaceId, userId: "keyward", source: "scheduler" as const };
        await recordAudit(this.ctx, tx, actor, "key_request.expire", target(request), { requestedBy: request.requestedBy });
        return true;
      });
      if (won) expired.push({ ...request, status: "expired", decidedBy: "keyward", decidedAt: now });
    }
    return expired;
  }

  /** Requests whose approved key was swept undelivered, to be told to requester and approver: each claimed once, across instances. */
  takeUndeliveredNotices(limit = 50): Promise<KeyRequest[]> {
    return this.ctx.store.keyRequests.takeUndeliveredNotices(limit);
  }

  /** Whether a request's messages still show it undecided after a failed update; the next pass re-applies it. */
  messagesStale(request: Pick<KeyRequest, "workspaceId" | "id">, stale: boolean): Promise<void> {
    return this.ctx.store.keyRequests.setMessagesStale(request.workspaceId, request.id, stale);
  }

  /** Requests whose messages are to be updated again, of any workspace (fresh from the database). */
  staleMessages(limit = 50): Promise<KeyRequest[]> {
    return this.ctx.store.keyRequests.findStale(limit);
  }

  /** `GET /key-requests`: by id, one status if asked; for those who may see keys. */
  async list(actor: Actor, raw: KeyRequestPageInput = {}): Promise<Page<KeyRequest>> {
    if (!actor.permissions.has("api_keys.view")) throw denied("view key requests");
    const page = parseInput(keyRequestPageInputSchema, raw);
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await this.ctx.store.keyRequests.list(actor.workspaceId, { after, limit: page.limit + 1, status: page.status });
    const data = rows.slice(0, page.limit);
    const last = data.at(-1);
    return { data, nextCursor: rows.length > page.limit && last ? encodeCursor(last.id) : null };
  }

  /** `/keys approvals`: where requests go now (null: by DM to the Admins). Anyone of the workspace may ask. */
  async approvalsChannel(actor: Actor): Promise<string | null> {
    this.requireMember(actor);
    return this.ctx.store.workspaces.approvalsChannel(actor.workspaceId);
  }

  /** `/keys approvals #channel`: Admins only (policy.edit); audited. */
  async setApprovalsChannel(actor: Actor, rawChannel: string | null): Promise<void> {
    if (!actor.permissions.has("policy.edit")) throw denied("set the approvals channel");
    const channel = parseInput(approvalsChannelSchema, rawChannel);
    await this.ctx.store.transaction(async (tx) => {
      const previous = await tx.workspaces.approvalsChannel(actor.workspaceId);
      if (previous === channel) return;
      await tx.workspaces.setApprovalsChannel(actor.workspaceId, channel);
      await recordAudit(this.ctx, tx, actor, "workspace.set_approvals_channel", { type: "workspace", id: actor.workspaceId }, { channel, previous });
    });
  }

  /**
   * A pending request this approver may decide, checked before anything is written. A request
   * whose role was deleted since cannot be approved, but can be denied, by anyone who may decide
   * requests at all (api_keys.edit, not the requester): nobody holds "every permission" of a role that is gone.
   */
  private async decidable(approver: Actor, id: string, decision: "approve" | "deny" = "approve"): Promise<KeyRequest> {
    const request = await this.get(approver, id);
    if (request.status !== "pending") throw new AlreadyDecided(request);
    if (request.lapsesAt.getTime() <= this.ctx.clock.now().getTime()) throw new AlreadyDecided({ ...request, status: "expired", decidedBy: "keyward" });
    const role = await this.ctx.store.roles.findById(approver.workspaceId, request.roleId);
    if (!role && decision === "deny") {
      this.requireDecider(approver, request);
      return request;
    }
    if (!role) throw new DomainError("role_not_found", `The role ${request.roleName} no longer exists; deny the request.`);
    this.requireApprover(approver, request, role);
    return request;
  }

  /**
   * Someone who could create this key themselves (rules 1 and 2), never the requester. A personal
   * key asked for by someone else needs api_keys.edit: personal_tokens.edit covers one's own keys only.
   */
  private requireApprover(approver: Actor, request: KeyRequest, role: Role): void {
    this.requireDecider(approver, request);
    const beyond = missingPermissions(approver.permissions, role.permissions);
    if (beyond.length > 0)
      throw new DomainError(
        "role_exceeds_actor",
        `The role ${role.name} grants permissions you do not hold: ${beyond.join(", ")}; someone who holds them must decide.`,
        {
          missing: beyond,
        },
      );
  }

  /** Who may decide requests at all: a member holding api_keys.edit, never the requester. */
  private requireDecider(approver: Actor, request: KeyRequest): void {
    if (approver.userId === request.requestedBy) throw new DomainError("permission_denied", "You cannot decide your own request; another approver must.");
    if (approver.outsider || !approver.permissions.has("api_keys.edit")) throw denied("decide key requests");
  }

  private requireMember(actor: Actor): void {
    if (actor.outsider) throw new DomainError("permission_denied", "Only members of this workspace can ask for keys here.");
  }

  /** Why a conditional decision changed nothing: decided by someone else first, or expired. */
  private async tooLate(tx: Repositories, workspaceId: string, id: string): Promise<DomainError> {
    const now = await tx.keyRequests.find(workspaceId, id);
    if (!now) return notFound("The key request");
    return new AlreadyDecided(now.status === "pending" ? { ...now, status: "expired", decidedBy: "keyward" } : now);
  }
}

function target(request: Pick<KeyRequest, "id" | "name">) {
  return { type: "key_request", id: request.id, name: request.name };
}

function parseReason(schema: typeof requestReasonSchema, raw: string): string {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const message = result.error.issues[0]?.message ?? "Give a reason.";
  throw new DomainError("validation_failed", message, { fields: { reason: message } });
}
