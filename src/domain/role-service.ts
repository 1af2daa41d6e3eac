import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, DomainError, notFound } from "./errors.ts";
import { builtInRoles, missingPermissions, permissions, type Permission } from "./permissions.ts";
import type { Repositories } from "./repositories.ts";
import { looksLikeId, newId } from "./runtime.ts";
import { type CreateRoleInput, createRoleInputSchema, slackUserIdPattern } from "./schemas.ts";
import type { Actor, Role } from "./types.ts";
import { parseInput } from "./validation.ts";

/** Permissions no custom role may carry (SPEC: policy.edit is "Admin only"). */
const adminOnly: readonly Permission[] = ["policy.edit"];

/** Finds a role by id or by name (case-insensitive); role_not_found otherwise. */
export async function resolveRole(repos: Repositories, workspaceId: string, ref: string): Promise<Role> {
  const trimmed = ref.trim();
  const role = looksLikeId(trimmed) ? await repos.roles.findById(workspaceId, trimmed) : await repos.roles.findByName(workspaceId, trimmed);
  if (!role) {
    throw new DomainError("role_not_found", `There is no role "${trimmed}".`, { fields: { role: "Choose one of the workspace's roles." } });
  }
  return role;
}

/** Roles and who holds them. Nobody grants, through a role, a permission they lack (rule 2). */
export class RoleService {
  constructor(private readonly ctx: Pick<DomainContext, "store" | "clock" | "random">) {}

  /** Anyone who holds a role may see the roles (they are needed to read the key list). */
  async list(actor: Actor): Promise<Role[]> {
    if (actor.permissions.size === 0) throw denied("see roles");
    return this.ctx.store.roles.list(actor.workspaceId);
  }

  /** The permissions this actor may put in a new role: their own, and only with roles.edit. */
  grantablePermissions(actor: Actor): Permission[] {
    this.requireRolesEdit(actor);
    return permissions.filter((p) => actor.permissions.has(p) && !adminOnly.includes(p));
  }

  /** The roles this actor may assign: those within their own permissions. */
  async assignable(actor: Actor): Promise<Role[]> {
    this.requireRolesEdit(actor);
    const roles = await this.ctx.store.roles.list(actor.workspaceId);
    return roles.filter((r) => missingPermissions(actor.permissions, r.permissions).length === 0);
  }

  async create(actor: Actor, rawInput: CreateRoleInput): Promise<Role> {
    this.requireRolesEdit(actor);
    const input = parseInput(createRoleInputSchema, rawInput);
    this.requireHeld(actor, input.permissions, "permissions");
    const reserved = input.permissions.filter((p) => adminOnly.includes(p));
    if (reserved.length > 0) {
      throw new DomainError("validation_failed", `Only the built-in Admin role holds ${reserved.join(", ")}.`, {
        fields: { permissions: "The workspace policy is the Admins' alone: leave out policy.edit." },
      });
    }
    if (Object.values(builtInRoles).some((r) => r.name.toLowerCase() === input.name.toLowerCase())) {
      throw new DomainError("conflict", `${input.name} is a built-in role.`, { fields: { name: "Choose another name." } });
    }
    return this.ctx.store.transaction(async (tx) => {
      if (await tx.roles.findByName(actor.workspaceId, input.name)) {
        throw new DomainError("conflict", `A role named "${input.name}" already exists.`, { fields: { name: "Choose another name." } });
      }
      const role = await tx.roles.create({
        id: newId(this.ctx.clock, this.ctx.random),
        workspaceId: actor.workspaceId,
        name: input.name,
        builtIn: null,
        permissions: [...new Set(input.permissions)],
        createdBy: actor.userId,
        createdAt: this.ctx.clock.now(),
      });
      await recordAudit(this.ctx, tx, actor, "role.create", { type: "role", id: role.id, name: role.name }, { permissions: role.permissions });
      return role;
    });
  }

  async assign(actor: Actor, userId: string, roleRef: string): Promise<Role> {
    this.requireRolesEdit(actor);
    if (!slackUserIdPattern.test(userId)) {
      throw new DomainError("validation_failed", "That is not a Slack user.", { fields: { user: "Choose a person." } });
    }
    return this.ctx.store.transaction(async (tx) => {
      const role = await resolveRole(tx, actor.workspaceId, roleRef);
      this.requireHeld(actor, role.permissions, "role");
      // Replacing someone's role must not strip an Admin-level colleague by someone below them.
      const current = await tx.roles.assignmentOf(actor.workspaceId, userId);
      if (current) this.requireHeld(actor, current.permissions, "role");
      await tx.roles.assign(actor.workspaceId, userId, role.id, actor.userId, this.ctx.clock.now());
      await recordAudit(this.ctx, tx, actor, "role.assign", { type: "user", id: userId }, { role: role.name, previous: current?.name ?? null });
      return role;
    });
  }

  async unassign(actor: Actor, userId: string): Promise<void> {
    this.requireRolesEdit(actor);
    await this.ctx.store.transaction(async (tx) => {
      const current = await tx.roles.assignmentOf(actor.workspaceId, userId);
      if (!current) throw notFound("A role assignment for that person");
      this.requireHeld(actor, current.permissions, "role");
      await tx.roles.unassign(actor.workspaceId, userId);
      await recordAudit(this.ctx, tx, actor, "role.unassign", { type: "user", id: userId }, { previous: current.name });
    });
  }

  async delete(actor: Actor, roleRef: string): Promise<Role> {
    this.requireRolesEdit(actor);
    return this.ctx.store.transaction(async (tx) => {
      const role = await resolveRole(tx, actor.workspaceId, roleRef);
      if (role.builtIn) throw new DomainError("conflict", `${role.name} is a built-in role and cannot be deleted.`);
      // Under the policy's shared lock: a policy change naming this role (its roles resolved under
      // the exclusive lock) has committed and is seen here, or waits and then finds the role gone.
      await tx.policies.readForKeyChange(actor.workspaceId);
      if (await tx.policies.refersToRole(actor.workspaceId, role.id)) {
        throw new DomainError("role_in_use", `${role.name} is named in the workspace policy; change the policy first (/keys policy).`, { policy: true });
      }
      const usage = await tx.roles.usage(actor.workspaceId, role.id);
      if (usage.keys > 0 || usage.assignments > 0) {
        throw new DomainError("role_in_use", `${role.name} is held by ${usage.assignments} people and ${usage.keys} keys.`, usage);
      }
      await tx.roles.delete(actor.workspaceId, role.id);
      await recordAudit(this.ctx, tx, actor, "role.delete", { type: "role", id: role.id, name: role.name });
      return role;
    });
  }

  private requireRolesEdit(actor: Actor): void {
    if (!actor.permissions.has("roles.edit")) throw denied("manage roles");
  }

  private requireHeld(actor: Actor, wanted: Role["permissions"], field: string): void {
    const beyond = missingPermissions(actor.permissions, wanted);
    if (beyond.length > 0) {
      throw new DomainError("role_exceeds_actor", `You cannot grant permissions you do not hold: ${beyond.join(", ")}.`, {
        fields: { [field]: "Only permissions you hold yourself can be granted." },
        missing: beyond,
      });
    }
  }
}
