import type { DomainContext } from "./context.ts";
import { builtInRoleKeys, builtInRoles, type Permission } from "./permissions.ts";
import { newId } from "./runtime.ts";
import type { Actor, Role, Source } from "./types.ts";

/** What Slack says about a user that bears on their role (users.info is_owner / is_admin). */
export interface UserFacts {
  isWorkspaceAdmin: boolean;
}

/**
 * Turns "who is this" into an Actor with the permissions they hold right now. The only place
 * that decides a person's role, so every surface gets the same answer.
 */
export class AccessService {
  private readonly ensured = new Set<string>();

  constructor(private readonly ctx: DomainContext) {}

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

  /** The role a user holds: Admin for Slack owners/admins and KEYWARD_ADMINS, else their assignment. */
  async roleOf(workspaceId: string, userId: string, facts: UserFacts): Promise<Role | null> {
    await this.ensureWorkspace(workspaceId);
    if (facts.isWorkspaceAdmin || this.ctx.adminUserIds.has(userId)) {
      return this.ctx.store.roles.findBuiltIn(workspaceId, "admin");
    }
    return this.ctx.store.roles.assignmentOf(workspaceId, userId);
  }

  async actorForUser(workspaceId: string, userId: string, facts: UserFacts, source: Source): Promise<Actor> {
    const role = await this.roleOf(workspaceId, userId, facts);
    return actorOf(workspaceId, userId, role, source);
  }
}

export function actorOf(workspaceId: string, userId: string, role: Role | null, source: Source, keyId?: string): Actor {
  const permissions = new Set<Permission>(role?.permissions ?? []);
  return { workspaceId, userId, roleName: role?.name ?? null, permissions, source, ...(keyId ? { keyId } : {}) };
}
