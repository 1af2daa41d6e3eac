import type { DomainContext } from "./context.ts";
import { denied } from "./errors.ts";
import { looksLikeId } from "./runtime.ts";
import { integrationSlugSchema, slackUserIdPattern } from "./schemas.ts";
import type { Actor } from "./types.ts";

/**
 * Who an actor id stands for, as people read it. Actors are stored as ids: a Slack user (`U…`),
 * an API key acting over REST (`key:<uuid>`, see AccessService.actorForKey), an operator on the
 * machine (`cli:<os user>` or `cli`, see AccessService.actorForOperator), or keyward itself
 * (`keyward` for the scheduler, `slack` for what Slack told us). A key is shown by its name and
 * last 4, never by its id; `name` is null when the reader may not see keys, or the key is unknown.
 */
export type ActorName =
  | { kind: "person"; userId: string }
  | { kind: "key"; name: string | null; last4: string | null; deleted: boolean }
  | { kind: "system"; name: string };

const keyPrefix = "key:";
const operatorPrefix = "cli:";
const systemNames: Record<string, string> = { keyward: "keyward", slack: "Slack", cli: "an operator" };

/** An OS user name as a label: what a login name may hold, and short. Anything else is left out. */
const operatorNamePattern = /^[A-Za-z0-9._-]{1,32}$/;
export const isOperatorName = (name: string): boolean => operatorNamePattern.test(name);

/**
 * The actor id of an operator acting from the machine: `cli:<os user>`, or `cli` when the user has
 * no usable name. The name is a label for the audit, not a proof: whoever runs the command can
 * already read DATA_DIR (or holds the database URL and the pepper).
 */
export const operatorActorId = (osUser: string | undefined): string => (osUser && isOperatorName(osUser) ? `${operatorPrefix}${osUser}` : "cli");

/** What an id says by itself, without a look-up (a key then has no name yet). */
export function actorNameOf(actorId: string): ActorName {
  if (slackUserIdPattern.test(actorId)) return { kind: "person", userId: actorId };
  if (actorId.startsWith(keyPrefix)) return { kind: "key", name: null, last4: null, deleted: false };
  if (actorId.startsWith(operatorPrefix)) return { kind: "system", name: `operator ${actorId.slice(operatorPrefix.length, operatorPrefix.length + 32)}` };
  return { kind: "system", name: systemNames[actorId] ?? actorId.slice(0, 60) };
}

/** The key id inside an actor id, if it is a key's. */
function keyIdOfActor(actorId: string): string | null {
  const id = actorId.startsWith(keyPrefix) ? actorId.slice(keyPrefix.length) : "";
  return looksLikeId(id) ? id : null;
}

/** How many Admins to name to someone who has no role: enough to find one, few enough to read. */
const adminsShown = 5;

/** Names for the ids lists show, counts for their summaries, and who the Admins are. */
export class DirectoryService {
  constructor(private readonly ctx: Pick<DomainContext, "store" | "adminUserIds">) {}

  /**
   * What each actor id stands for, for a page of rows: one query for all the keys among them,
   * in the reader's workspace, deleted keys included. Only a reader who may see keys learns
   * their names; anyone else reads "an API key".
   */
  async actorNames(actor: Actor, actorIds: Iterable<string>): Promise<Map<string, ActorName>> {
    const names = new Map<string, ActorName>();
    const keyIds = new Map<string, string>();
    for (const id of new Set(actorIds)) {
      names.set(id, actorNameOf(id));
      const keyId = keyIdOfActor(id);
      if (keyId) keyIds.set(keyId, id);
    }
    if (keyIds.size === 0 || !actor.permissions.has("api_keys.view")) return names;
    for (const key of await this.ctx.store.apiKeys.namesOf(actor.workspaceId, [...keyIds.keys()])) {
      names.set(keyIds.get(key.id)!, { kind: "key", name: key.name, last4: key.last4, deleted: key.deleted });
    }
    return names;
  }

  /** How many keys the list pages through. */
  async keyCount(actor: Actor): Promise<number> {
    if (!actor.permissions.has("api_keys.view")) throw denied("view API keys");
    return this.ctx.store.apiKeys.countLive(actor.workspaceId);
  }

  /** How many configurations the list (of one integration, if given) pages through. */
  async integrationCount(actor: Actor, integration?: string): Promise<number> {
    if (!actor.permissions.has("integrations.view")) throw denied("view integrations");
    if (integration === undefined) return this.ctx.store.integrations.count(actor.workspaceId);
    const slug = integrationSlugSchema.safeParse(integration);
    return slug.success ? this.ctx.store.integrations.count(actor.workspaceId, slug.data) : 0;
  }

  /**
   * Whom to ask for a role: people assigned the Admin role here, then KEYWARD_ADMINS, then the
   * Slack owners and admins keyward has seen (Slack makes them Admin, but keyward knows of them
   * only once they used it or Slack told it about them). Anyone in the workspace may ask: that
   * is who needs it, people without a role.
   */
  async admins(actor: Actor): Promise<string[]> {
    const admin = await this.ctx.store.roles.findBuiltIn(actor.workspaceId, "admin");
    const assigned = admin ? await this.ctx.store.roles.holdersOf(actor.workspaceId, admin.id, adminsShown) : [];
    const seen = await this.ctx.store.members.workspaceAdmins(actor.workspaceId, adminsShown);
    const all = [...assigned, ...[...this.ctx.adminUserIds].sort(), ...seen].filter((id) => id !== actor.userId);
    return [...new Set(all)].slice(0, adminsShown);
  }
}
