import { capabilitiesOf } from "../domain/capabilities.ts";
import type { IntegrationConfig } from "../domain/integration-types.ts";
import type { Actor, Page } from "../domain/types.ts";
import type { IntegrationListView, IntegrationRowView } from "./views/integration-list-blocks.ts";

/** Domain configurations → the plain view models the integration builders take. */
export function integrationRowView(config: IntegrationConfig, now: Date): IntegrationRowView {
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
  };
}

export function integrationListView(actor: Actor, page: Page<IntegrationConfig>, pageNumber: number, integration: string | undefined, now: Date): IntegrationListView {
  return {
    configs: page.data.map((c) => integrationRowView(c, now)),
    page: pageNumber,
    nextCursor: page.nextCursor,
    integration,
    // Which buttons to offer only; every change is checked again by the service.
    canEdit: capabilitiesOf(actor).editIntegrations,
  };
}
