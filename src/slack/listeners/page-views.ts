import { capabilitiesOf } from "../../domain/capabilities.ts";
import type { Actor } from "../../domain/types.ts";
import { integrationActorIds, integrationListView } from "../integration-presenters.ts";
import { keyListView } from "../presenters.ts";
import type { SlackDeps } from "../slack-deps.ts";
import type { AuditEventView } from "../views/audit-message.ts";
import type { IntegrationListView } from "../views/integration-list-blocks.ts";
import { integrationsPerPage } from "../views/integration-list-blocks.ts";
import type { KeyListView } from "../views/view-models.ts";
import { loadKeyPage } from "./listener-support.ts";

/**
 * List pages as the builders show them: the rows, then (side by side) one look-up of who their
 * actor ids are (a key by name and last 4, never its id), one count for "17 keys, page 1 of 2"
 * and one read of the page's daily use counts (the sparklines).
 */
export async function keyPageView(deps: SlackDeps, actor: Actor, page: number, cursor?: string): Promise<KeyListView> {
  const result = await loadKeyPage(deps, actor, page, cursor);
  const [names, total, outOfPolicy, usage] = await Promise.all([
    deps.services.directory.actorNames(
      actor,
      result.data.map((k) => k.createdBy),
    ),
    deps.services.directory.keyCount(actor),
    deps.services.policies.outOfPolicy(actor, result.data),
    deps.services.usage.recent(actor, result.data),
  ]);
  return keyListView(actor, result, page, deps.clock.now(), cursor, { names, total, outOfPolicy, usage });
}

export async function integrationPageView(
  deps: SlackDeps,
  actor: Actor,
  page: { number: number; integration?: string; cursor?: string },
): Promise<IntegrationListView> {
  const result = await deps.services.integrations.list(actor, page.integration, { cursor: page.cursor, limit: integrationsPerPage });
  const [names, total] = await Promise.all([
    deps.services.directory.actorNames(actor, integrationActorIds(result.data)),
    deps.services.directory.integrationCount(actor, page.integration),
  ]);
  return integrationListView(actor, result, page.number, page.integration, deps.clock.now(), { names, total });
}

/** The Home tab's two lists (each only for a reader who may see it), with one look-up of names for both. */
export async function homePages(
  deps: SlackDeps,
  actor: Actor,
  page: number,
  cursor?: string,
): Promise<{ keys: KeyListView | null; integrations: IntegrationListView | null; admins?: string[] }> {
  const caps = capabilitiesOf(actor);
  const keyPage = caps.viewKeys ? await loadKeyPage(deps, actor, page, cursor) : null;
  // The Home tab shows the first page of configurations only; the command pages through the rest.
  const configPage = caps.viewIntegrations ? await deps.services.integrations.list(actor, undefined, { limit: integrationsPerPage }) : null;
  const actorIds = [...(keyPage?.data.map((k) => k.createdBy) ?? []), ...integrationActorIds(configPage?.data ?? [])];
  const [names, total, admins, outOfPolicy, usage] = await Promise.all([
    deps.services.directory.actorNames(actor, actorIds),
    keyPage ? deps.services.directory.keyCount(actor) : undefined,
    // Someone without a role is told whom to ask for one.
    actor.roleName ? undefined : deps.services.directory.admins(actor),
    keyPage ? deps.services.policies.outOfPolicy(actor, keyPage.data) : undefined,
    keyPage ? deps.services.usage.recent(actor, keyPage.data) : undefined,
  ]);
  const now = deps.clock.now();
  return {
    keys: keyPage ? keyListView(actor, keyPage, page, now, cursor, { names, total, outOfPolicy, usage }) : null,
    integrations: configPage ? integrationListView(actor, configPage, 1, undefined, now, { names }) : null,
    ...(admins ? { admins } : {}),
  };
}

/** The latest audit events, each actor (and the key a person acted with) by name: one look-up for all of them. */
export async function auditPageView(deps: SlackDeps, actor: Actor, count: number): Promise<AuditEventView[]> {
  const events = await deps.services.audit.latest(actor, count);
  // A person acting with a personal key; a service key acts as itself, so it is the actor already.
  const viaOf = (e: { actorId: string; details: Record<string, unknown> | null }) =>
    typeof e.details?.viaKeyId === "string" && `key:${e.details.viaKeyId}` !== e.actorId ? `key:${e.details.viaKeyId}` : null;
  const names = await deps.services.directory.actorNames(
    actor,
    events.flatMap((e) => [e.actorId, ...(viaOf(e) ? [viaOf(e)!] : [])]),
  );
  return events.map((e) => {
    const via = viaOf(e);
    const viaKey = via ? names.get(via) : undefined;
    return { ...e, actor: names.get(e.actorId), ...(viaKey ? { viaKey } : {}) };
  });
}
