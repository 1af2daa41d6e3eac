import { capabilitiesOf } from "../domain/capabilities.ts";
import type { ActorName } from "../domain/directory-service.ts";
import type { IntegrationConfig } from "../domain/integration-types.ts";
import type { Actor, Page } from "../domain/types.ts";
import type { PageExtras } from "./presenters.ts";
import type { IntegrationListView, IntegrationRowView } from "./views/integration-list-blocks.ts";

/** Domain configurations → the plain view models the integration builders take. */
function integrationRowView(config: IntegrationConfig, now: Date, names?: ReadonlyMap<string, ActorName>): IntegrationRowView {
  const creator = names?.get(config.createdBy);
  const rotator = config.rotatedBy ? names?.get(config.rotatedBy) : undefined;
  return {
    id: config.id,
    integration: config.integration,
    alias: config.alias,
    last4: config.last4,
    isDefault: config.isDefault,
    expiresAt: config.expiresAt,
    expired: config.expiresAt !== null && config.expiresAt.getTime() <= now.getTime(),
    reminderChannel: config.reminderChannel,
    createdBy: config.createdBy,
    rotatedAt: config.rotatedAt,
    rotatedBy: config.rotatedBy,
    ...(creator ? { creator } : {}),
    ...(rotator ? { rotator } : {}),
  };
}

export function integrationListView(
  actor: Actor,
  page: Page<IntegrationConfig>,
  pageNumber: number,
  integration: string | undefined,
  now: Date,
  extras: PageExtras = {},
): IntegrationListView {
  return {
    configs: page.data.map((c) => integrationRowView(c, now, extras.names)),
    page: pageNumber,
    nextCursor: page.nextCursor,
    integration,
    // Which buttons to offer only; every change is checked again by the service.
    canEdit: capabilitiesOf(actor).editIntegrations,
    ...(extras.total !== undefined ? { total: extras.total } : {}),
  };
}

/** Every actor id a page of configurations shows (creators and rotators), for one look-up. */
export const integrationActorIds = (configs: readonly IntegrationConfig[]): string[] =>
  configs.flatMap((c) => [c.createdBy, ...(c.rotatedBy ? [c.rotatedBy] : [])]);
