import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { builtInRoleKeys, builtInRoles, type Permission } from "./permissions.ts";
import { newId } from "./runtime.ts";
import { operatorActorId } from "./directory-service.ts";
import type { KeyService, VerifyFailure } from "./key-service.ts";
import type { KeyUse } from "./telemetry.ts";
import type { UsageCounter } from "./usage-counter.ts";
import type { Actor, Role, Source, StoredKey } from "./types.ts";

/** What Slack says about a user that bears on their role (users.info is_owner / is_admin). */
interface UserFacts {
  isWorkspaceAdmin: boolean;
  /**
   * Slack places the person outside the served workspace (another team or org, a Slack Connect
   * stranger): no role whatever, not Admin for their own workspace's admin status nor for KEYWARD_ADMINS.
   */
  foreign?: boolean;
  /** users.info `deleted`; left out when the caller does not know (nothing recorded changes). */
  deactivated?: boolean;
  /** False when Slack could not be asked: the facts are a safe guess, not to be remembered. */
  verified?: boolean;
}

/** A presented bearer key: the actor it acts as, or why it is refused. */
type KeyAuthentication = { ok: true; actor: Actor; key: StoredKey } | { ok: false; reason: KeyRefusal };

/** `owner_inactive`: a personal key whose creator holds nothing now, or is known to be deactivated in Slack. */
export type KeyRefusal = VerifyFailure | "owner_inactive";

const memoMs = 5 * 60_000;

/**
 * Turns "who is this" into an Actor with the permissions they hold right now. The only place
 * that decides a person's role, so every surface gets the same answer.
 */
export class AccessService {
  private readonly ensured = new Set<string>();
  /**
   * Facts last written per person, so that unchanged ones cost no write. Per instance and only for
   * 5 minutes (like the users.info cache): another instance may have changed the row meanwhile, and
   * a remembered fact must not hide a write for long.
   */
  private readonly recorded = new Map<string, { isWorkspaceAdmin: boolean; deactivated?: boolean; until: number }>();

  constructor(
    private readonly ctx: Pick<DomainContext, "store" | "clock" | "random" | "adminUserIds" | "telemetry">,
    private readonly keys: Pick<KeyService, "verify">,
    private readonly usage: Pick<UsageCounter, "count">,
  ) {}

  /** Creates the workspace and its built-in roles on first contact; cheap afterwards. */
  async ensureWorkspace(workspaceId: string): Promise<void> {
    if (this.ensured.has(workspaceId)) return;
    await this.ctx.store.workspaces.ensure(
      workspaceId,
      builtInRoleKeys.map((key) => ({
        id: newId(this.ctx.clock, this.ctx.random),
        key,
        name: builtInRoles[key].name,
        permissions: [...builtInRoles[key].permissions],
      })),
    );
    this.ensured.add(workspaceId);
  }

  /**
   * The role a user holds: none for a person of another organisation; Admin for Slack owners/admins
   * and KEYWARD_ADMINS, else their assignment. A KEYWARD_ADMINS id is Admin only once Slack has placed
   * it in this workspace (facts not a guess): an id of another org, or one Slack cannot vouch for
   * right now, is not.
   */
  async roleOf(workspaceId: string, userId: string, facts: UserFacts): Promise<Role | null> {
    if (facts.foreign) return null;
    await this.ensureWorkspace(workspaceId);
    const configuredAdmin = this.ctx.adminUserIds.has(userId) && facts.verified !== false;
    if (facts.isWorkspaceAdmin || configuredAdmin) {
      return this.ctx.store.roles.findBuiltIn(workspaceId, "admin");
    }
    // Slack could not be asked (the facts are a guess): an assignment counts only for someone Slack
    // once vouched for here and never said was deactivated, so a Slack Connect guest given a role
    // does not hold it whenever users.info fails.
    if (facts.verified === false) {
      const member = await this.ctx.store.members.factsOf(workspaceId, userId);
      if (!member.known || member.deactivatedAt) return null;
    }
    return this.ctx.store.roles.assignmentOf(workspaceId, userId);
  }

  async actorForUser(workspaceId: string, userId: string, facts: UserFacts, source: Source): Promise<Actor> {
    const role = await this.roleOf(workspaceId, userId, facts);
    await this.rememberFacts(workspaceId, userId, facts);
    // Someone Slack could not be asked about counts as of this workspace only if Slack once placed them here.
    const outsider = facts.foreign === true || (facts.verified === false && !(await this.ctx.store.members.factsOf(workspaceId, userId)).known);
    const actor = actorOf(workspaceId, userId, role, source);
    return outsider ? { ...actor, outsider: true } : actor;
  }

  /**
   * A program presenting a key. A service key acts with its role; a personal key acts for its
   * creator and never with more than the creator holds now (their role as last seen from Slack).
   * A personal key left with nothing, or whose creator Slack said is deactivated, is refused:
   * services that check only `valid` must not keep accepting a departed person's key.
   * `use` only labels the count telemetry keeps.
   */
  async actorForKey(secret: string, use: KeyUse = "bearer"): Promise<KeyAuthentication> {
    try {
      const auth = await this.authenticateKey(secret);
      this.ctx.telemetry?.keyChecked(use, auth.ok ? "valid" : auth.reason);
      return auth;
    } catch (error) {
      this.ctx.telemetry?.keyChecked(use, "error");
      throw error;
    }
  }

  private async authenticateKey(secret: string): Promise<KeyAuthentication> {
    const result = await this.keys.verify(secret);
    if (!result.valid) return { ok: false, reason: result.reason };
    const { key } = result;
    let granted = new Set<Permission>(result.permissions);
    if (key.kind === "personal") {
      const creator = await this.ctx.store.members.factsOf(key.workspaceId, key.createdBy);
      if (creator.deactivatedAt) return { ok: false, reason: "owner_inactive" };
      const creatorRole = await this.roleOf(key.workspaceId, key.createdBy, { isWorkspaceAdmin: creator.isWorkspaceAdmin });
      const held = new Set(creatorRole?.permissions ?? []);
      granted = new Set([...granted].filter((p) => held.has(p)));
      if (granted.size === 0) return { ok: false, reason: "owner_inactive" };
    }
    const actor: Actor = {
      workspaceId: key.workspaceId,
      userId: key.kind === "personal" ? key.createdBy : `key:${key.id}`,
      roleName: key.roleName,
      permissions: granted,
      source: "api",
      keyId: key.id,
    };
    // A use is a presentation that authenticated: a departed owner's key refused above is not one.
    this.usage.count(key.workspaceId, key.id, this.ctx.clock.now());
    return { ok: true, actor, key };
  }

  /**
   * An operator on the machine (`npm run keys`): whoever can run it can read DATA_DIR's secrets and
   * database (or holds DATABASE_URL and the pepper), so nothing keyward could check would stop
   * them; they act as Admin, under source `cli`, recorded as `cli:<os user>`. Nothing is read or
   * written here: a command that only reads must not create the workspace.
   */
  actorForOperator(workspaceId: string, osUser: string | undefined): Actor {
    const admin = builtInRoles.admin;
    return { workspaceId, userId: operatorActorId(osUser), roleName: admin.name, permissions: new Set<Permission>(admin.permissions), source: "cli" };
  }

  /**
   * Slack said a person changed (user_change): remember their admin status at once, so their
   * personal keys follow it over REST; a deactivated person loses their keyward role (audited).
   */
  async slackUserChanged(workspaceId: string, userId: string, facts: { isWorkspaceAdmin: boolean; deactivated: boolean }): Promise<void> {
    await this.ensureWorkspace(workspaceId);
    const isWorkspaceAdmin = facts.isWorkspaceAdmin && !facts.deactivated;
    await this.ctx.store.transaction(async (tx) => {
      await tx.members.recordFacts(workspaceId, userId, { isWorkspaceAdmin, deactivated: facts.deactivated }, this.ctx.clock.now());
      if (!facts.deactivated) return;
      const role = await tx.roles.assignmentOf(workspaceId, userId);
      if (!role) return;
      await tx.roles.unassign(workspaceId, userId);
      await recordAudit(
        this.ctx,
        tx,
        { workspaceId, userId: "slack", source: "slack" },
        "role.unassign",
        { type: "user", id: userId },
        { previous: role.name, reason: "deactivated in Slack" },
      );
    });
    this.recorded.set(`${workspaceId}:${userId}`, { isWorkspaceAdmin, deactivated: facts.deactivated, until: this.ctx.clock.now().getTime() + memoMs });
  }

  private async rememberFacts(workspaceId: string, userId: string, given: UserFacts): Promise<void> {
    if (given.verified === false) return;
    // What Slack says of a foreign person's deactivation speaks of their own organisation, not of this one.
    const facts = { isWorkspaceAdmin: given.isWorkspaceAdmin && !given.foreign, deactivated: given.foreign ? undefined : given.deactivated };
    const id = `${workspaceId}:${userId}`;
    const remembered = this.recorded.get(id);
    const last = remembered && remembered.until > this.ctx.clock.now().getTime() ? remembered : undefined;
    // An unknown deactivation (undefined) changes nothing recorded, so it matches either value.
    if (last?.isWorkspaceAdmin === facts.isWorkspaceAdmin && (facts.deactivated === undefined || last.deactivated === facts.deactivated)) return;
    // A person of another organisation leaves no trace here; only an admin status remembered from when
    // they belonged is withdrawn, so their personal keys follow.
    if (given.foreign && !(await this.ctx.store.members.factsOf(workspaceId, userId)).isWorkspaceAdmin) return;
    await this.ctx.store.members.recordFacts(
      workspaceId,
      userId,
      { isWorkspaceAdmin: facts.isWorkspaceAdmin, deactivated: facts.deactivated },
      this.ctx.clock.now(),
    );
    if (this.recorded.size > 50_000) this.recorded.clear();
    this.recorded.set(id, {
      isWorkspaceAdmin: facts.isWorkspaceAdmin,
      deactivated: facts.deactivated ?? last?.deactivated,
      until: this.ctx.clock.now().getTime() + memoMs,
    });
  }
}

function actorOf(workspaceId: string, userId: string, role: Role | null, source: Source, keyId?: string): Actor {
  const permissions = new Set<Permission>(role?.permissions ?? []);
  return { workspaceId, userId, roleName: role?.name ?? null, permissions, source, ...(keyId ? { keyId } : {}) };
}
