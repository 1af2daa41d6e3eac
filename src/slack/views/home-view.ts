import type { HomeView, KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { mrkdwn, plain, strong } from "./format.ts";
import { noRoleLine } from "./help-message.ts";
import { addIntegrationButton, integrationListBlocks, type IntegrationListView } from "./integration-list-blocks.ts";
import { keyListBlocks } from "./key-list-blocks.ts";
import type { KeyListView } from "./view-models.ts";

export interface HomeTabView {
  roleName: string | null;
  /** Null when the person may not see keys. */
  keys: KeyListView | null;
  canEditRoles: boolean;
  canCreate: boolean;
  /** The first page of integration configurations; null or absent when the person may not see them. */
  integrations?: IntegrationListView | null;
  /** Whom to ask for a role (user ids), shown to someone who has none. */
  admins?: string[];
}

export function homeView(view: HomeTabView): HomeView {
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "home_header", text: plain("keyward", 150) },
    {
      type: "section",
      block_id: "home_role",
      text: mrkdwn(view.roleName ? `Your role: ${strong(view.roleName)}` : noRoleLine(view.admins)),
    },
  ];
  const buttons = [];
  if (view.canCreate) buttons.push({ type: "button" as const, action_id: actionIds.openCreateKey, text: plain("Create key", 75), style: "primary" as const, value: "create" });
  if (view.canEditRoles) buttons.push({ type: "button" as const, action_id: actionIds.openCreateRole, text: plain("Create role", 75), value: "create" });
  if (view.canEditRoles) buttons.push({ type: "button" as const, action_id: actionIds.openAssignRole, text: plain("Assign role", 75), value: "assign" });
  if (buttons.length > 0) blocks.push({ type: "actions", block_id: "home_actions", elements: buttons });
  if (view.keys) {
    blocks.push({ type: "divider", block_id: "home_divider" }, { type: "header", block_id: "home_keys", text: plain("API keys", 150) });
    blocks.push(...keyListBlocks(view.keys, { next: actionIds.homeNextPage, first: actionIds.homeFirstPage }));
  }
  if (view.integrations) blocks.push(...integrationsSection(view.integrations));
  return { type: "home", blocks };
}

/** At most 34 blocks (15 configurations), so keys (≤ 37 blocks) and integrations fit the Home tab's 100. */
function integrationsSection(view: IntegrationListView): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: "divider", block_id: "home_integrations_divider" },
    { type: "header", block_id: "home_integrations", text: plain("Integrations", 150) },
  ];
  if (view.canEdit) blocks.push({ type: "actions", block_id: "home_integrations_add", elements: [addIntegrationButton()] });
  return [...blocks, ...integrationListBlocks(view, false)];
}
