import type { AccessService } from "./access-service.ts";
import type { DomainContext } from "./context.ts";
import { DomainError, isDomainError, notFound } from "./errors.ts";
import type { KeyService } from "./key-service.ts";
import { expiryOfCreate, type CreatedKey } from "./new-key.ts";
import { builtInRoleKeys, builtInRoles } from "./permissions.ts";
import { looksLikeId } from "./runtime.ts";
import { createKeyInputSchema } from "./schemas.ts";
import type { ApiKey, Page, StoredKey } from "./types.ts";
import { parseInput } from "./validation.ts";

/**
 * The workspace keys go to on an install that has none yet (no Slack app has been used): Slack
 * never issues this id, so these keys never mix with a real team's. They work over REST like any
 * other; `/keys` in Slack shows only its own team's keys. Exported for the tests.
 */
export const localWorkspaceId = "T0LOCAL";

/** A Slack team (T…) or Enterprise Grid org (E…) id. */
const workspaceIdPattern = /^[TE][A-Z0-9]{2,31}$/;
export const isWorkspaceId = (id: string): boolean => workspaceIdPattern.test(id);

/** What an operator on the machine gives to create a key: always a service key, its expiry a day in a zone. */
interface OperatorKeyInput {
  name: string;
  description?: string;
  role: string;
  expiresOn: string;
  timeZone: string;
}

/**
 * `npm run keys`: an operator on the machine issues, lists and deletes keys without Slack (the
 * first key of an install, say). The operator acts as Admin (AccessService.actorForOperator);
 * every rule of KeyService holds as for any actor, and each change is audited there with source `cli`.
 * A secret is created pending (SPEC rule 4): it works once the command says it printed it.
 */
export class OperatorService {
  constructor(
    private readonly ctx: Pick<DomainContext, "store" | "clock">,
    private readonly access: AccessService,
    private readonly keys: KeyService,
  ) {}

  /** The workspace named, or the only one there is, or the local one when there is none; several and none named: refused. */
  async workspaceFor(requested: string | undefined): Promise<string> {
    if (requested !== undefined) {
      if (!workspaceIdPattern.test(requested))
        throw new DomainError("validation_failed", `"${requested.slice(0, 40)}" is not a Slack workspace id (T… or E…, capitals and digits).`, {
          fields: { workspace: "Use the team id Slack shows, such as T0123ABCD." },
        });
      return requested;
    }
    const ids = await this.ctx.store.workspaces.list(11);
    if (ids.length === 0) return localWorkspaceId;
    if (ids.length === 1) return ids[0]!;
    const named = `${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""}`;
    throw new DomainError("ambiguous_reference", `Several workspaces have data (${named}): say which one with --workspace.`);
  }

  /**
   * Validates everything it can before the workspace is created (a fresh install's first key
   * creates it), so that refused input writes nothing, not even a workspace named by mistake.
   */
  async createKey(osUser: string | undefined, requestedWorkspace: string | undefined, raw: OperatorKeyInput): Promise<CreatedKey & { workspaceId: string }> {
    const workspaceId = await this.workspaceFor(requestedWorkspace);
    const wanted = { ...raw, kind: "service" as const };
    const input = parseInput(createKeyInputSchema, wanted);
    expiryOfCreate(input, this.ctx.clock.now());
    await this.requireRole(workspaceId, input.role);
    await this.access.ensureWorkspace(workspaceId);
    const actor = this.access.actorForOperator(workspaceId, osUser);
    return { ...(await this.keys.create(actor, wanted, { pendingDelivery: true })), workspaceId };
  }

  /**
   * The secret was printed: the key starts working. Only a key this operator created, pending or
   * already active: the command asks again when an answer was lost, and the first ask may have
   * switched it on (then, or while this one runs).
   */
  async activateKey(osUser: string | undefined, workspaceId: string, keyId: string): Promise<void> {
    const actor = this.access.actorForOperator(workspaceId, osUser);
    const key = await this.ownKey(actor.workspaceId, actor.userId, keyId);
    if (!key.pendingSince) return;
    await this.keys.activate(actor, keyId).catch(async (error: unknown) => {
      const switchedOnMeanwhile =
        isDomainError(error) && error.code === "not_found" && !(await this.ownKey(actor.workspaceId, actor.userId, keyId)).pendingSince;
      if (!switchedOnMeanwhile) throw error;
    });
  }

  /** The secret could not be printed: the key goes again, audited (rule 4). */
  async discardKey(osUser: string | undefined, workspaceId: string, keyId: string): Promise<boolean> {
    const actor = this.access.actorForOperator(workspaceId, osUser);
    const key = await this.ownPending(actor.workspaceId, actor.userId, keyId);
    return (await this.keys.discardUndelivered(actor, key, "delivery_failed")).discarded;
  }

  async listKeys(osUser: string | undefined, requestedWorkspace: string | undefined, cursor?: string): Promise<Page<ApiKey> & { workspaceId: string }> {
    const workspaceId = await this.workspaceFor(requestedWorkspace);
    const page = await this.keys.list(this.access.actorForOperator(workspaceId, osUser), { cursor, limit: 200 });
    return { ...page, workspaceId };
  }

  /** By id or name, with the same reading of names as `/keys delete` (src/domain/key-reference.ts). */
  async deleteKey(
    osUser: string | undefined,
    requestedWorkspace: string | undefined,
    ref: string,
    options: { endGrace?: boolean } = {},
  ): Promise<{ key: ApiKey; workspaceId: string }> {
    const workspaceId = await this.workspaceFor(requestedWorkspace);
    const actor = this.access.actorForOperator(workspaceId, osUser);
    const key = await this.keys.find(actor, ref);
    return { key: await this.keys.delete(actor, key.id, options), workspaceId };
  }

  /** The role must exist: a workspace not created yet has only the built-in ones (its first key creates it). */
  private async requireRole(workspaceId: string, ref: string): Promise<void> {
    const stored = await this.ctx.store.roles.list(workspaceId);
    const roles = stored.length > 0 ? stored : builtInRoleKeys.map((key) => ({ id: "", name: builtInRoles[key].name }));
    const wanted = ref.trim();
    const found = looksLikeId(wanted) ? roles.some((r) => r.id === wanted) : roles.some((r) => r.name.toLowerCase() === wanted.toLowerCase());
    if (found) return;
    throw new DomainError("role_not_found", `There is no role "${wanted}" in workspace ${workspaceId}; its roles: ${roles.map((r) => r.name).join(", ")}.`, {
      fields: { role: "Choose one of the workspace's roles." },
    });
  }

  private async ownPending(workspaceId: string, actorId: string, keyId: string): Promise<ApiKey> {
    const key = await this.ownKey(workspaceId, actorId, keyId);
    if (!key.pendingSince) throw notFound("The pending API key");
    return key;
  }

  /** A key this operator created, not deleted: pending or active. */
  private async ownKey(workspaceId: string, actorId: string, keyId: string): Promise<StoredKey> {
    const key = looksLikeId(keyId) ? await this.ctx.store.apiKeys.findStored(workspaceId, keyId) : null;
    // A key another surface is delivering (a Slack create in flight) is not this command's to settle.
    if (!key || key.deletedAt || key.createdBy !== actorId) throw notFound("The pending API key");
    return key;
  }
}
