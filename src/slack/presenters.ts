import { canChangeKey, capabilitiesOf } from "../domain/capabilities.ts";
import type { ActorName } from "../domain/directory-service.ts";
import type { RecentUse } from "../domain/key-usage-service.ts";
import type { Actor, ApiKey, Page } from "../domain/types.ts";
import type { KeyListView, KeyRowView } from "./views/view-models.ts";

/** What a list page's listener looked up beside the rows (DirectoryService): who the actor ids are, and how many rows there are in all. */
export interface PageExtras {
  names?: ReadonlyMap<string, ActorName>;
  total?: number;
  /** Keys out of the workspace policy, with why (PolicyService.outOfPolicy). */
  outOfPolicy?: ReadonlyMap<string, string[]>;
  /** The page's recent daily use counts (KeyUsageService.recent). */
  usage?: ReadonlyMap<string, RecentUse>;
}

/** Domain records → the plain view models the builders take. */
function keyRowView(actor: Actor, key: ApiKey, now: Date, extras: PageExtras): KeyRowView {
  const { names, outOfPolicy: marks } = extras;
  const usage = extras.usage?.get(key.id);
  const expired = key.expiresAt.getTime() <= now.getTime();
  // A key that no longer works, or is on its way out (rolled), has nothing left to bring into policy.
  const outOfPolicy = !expired && key.replacedBy === null ? marks?.get(key.id) : undefined;
  return {
    id: key.id,
    name: key.name,
    description: key.description,
    kind: key.kind,
    roleName: key.roleName,
    last4: key.last4,
    createdBy: key.createdBy,
    ...(names?.has(key.createdBy) ? { creator: names.get(key.createdBy)! } : {}),
    expiresAt: key.expiresAt,
    lastUsedAt: key.lastUsedAt,
    expired: key.expiresAt.getTime() <= now.getTime(),
    rolled: key.replacedBy !== null,
    canChange: canChangeKey(actor, key),
    ...(outOfPolicy && outOfPolicy.length > 0 ? { outOfPolicy } : {}),
    ...(usage ? { usage: { days: usage.days, last7: usage.last7 } } : {}),
  };
}

/** `cursor`: the one the page was loaded from, if any. */
export function keyListView(actor: Actor, page: Page<ApiKey>, pageNumber: number, now: Date, cursor?: string, extras: PageExtras = {}): KeyListView {
  return {
    keys: page.data.map((k) => keyRowView(actor, k, now, extras)),
    page: pageNumber,
    cursor: cursor ?? null,
    nextCursor: page.nextCursor,
    capabilities: capabilitiesOf(actor),
    ...(extras.total !== undefined ? { total: extras.total } : {}),
  };
}
