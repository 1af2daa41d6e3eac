import type { HomeView, KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { encodeKeyPageValue } from "../wire/paging-values.ts";
import { escapeMrkdwn, mrkdwn, plain, strong } from "./format.ts";
import { noRoleLine } from "./help-message.ts";
import { addIntegrationButton, integrationListBlocks, type IntegrationListView } from "./integration-list-blocks.ts";
import { keyListBlocks } from "./key-list-blocks.ts";
import type { KeyListView } from "./view-models.ts";

interface HomeTabView {
  roleName: string | null;
  /** Null when the person may not see keys. */
  keys: KeyListView | null;
  canEditRoles: boolean;
  canCreate: boolean;
  /** Anyone of the workspace may ask for a key (a stranger from Slack Connect may not). */
  canRequest?: boolean;
  /** Holds policy.edit: the Policy button opens its form. */
  canEditPolicy?: boolean;
  /** The first page of integration configurations; null or absent when the person may not see them. */
  integrations?: IntegrationListView | null;
  /** The outcome of what the person just did on the tab, shown at its top; absent on an ordinary publish. */
  status?: HomeStatus;
  /** Whom to ask for a role (user ids), shown to someone who has none. */
  admins?: string[];
}

/** One line at the top of the Home tab: the result of an action taken there, or why it was refused. */
export interface HomeStatus {
  tone: "done" | "refused" | "failed";
  text: string;
  /** The text is mrkdwn already, user parts escaped (names in bold, dates must render). */
  formatted?: boolean;
}

const toneEmoji: Record<HomeStatus["tone"], string> = { done: ":white_check_mark:", refused: ":no_entry:", failed: ":warning:" };

function homeStatusBlock(status: HomeStatus): KnownBlock {
  return { type: "section", block_id: "home_status", text: mrkdwn(`${toneEmoji[status.tone]} ${status.formatted ? status.text : escapeMrkdwn(status.text)}`) };
}

export function homeView(view: HomeTabView): HomeView {
  const blocks: KnownBlock[] = [
    { type: "header", block_id: "home_header", text: plain("keyward", 150) },
    ...(view.status ? [homeStatusBlock(view.status)] : []),
    {
      type: "section",
      block_id: "home_role",
      text: mrkdwn(view.roleName ? `Your role: ${strong(view.roleName)}` : noRoleLine(view.admins)),
    },
  ];
  const buttons = [];
  if (view.canCreate)
    buttons.push({ type: "button" as const, action_id: actionIds.openCreateKey, text: plain("Create key", 75), style: "primary" as const, value: "create" });
  if (view.canRequest) buttons.push({ type: "button" as const, action_id: actionIds.openRequestKey, text: plain("Request a key", 75), value: "request" });
  if (view.canEditPolicy) buttons.push({ type: "button" as const, action_id: actionIds.openPolicy, text: plain("Policy", 75), value: "policy" });
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

/**
 * The Home tab when its content could not be loaded: the reason, and a button that tries again
 * (it republishes the first page), so the person is never left with a stale tab and no word.
 */
export function homeUnavailableView(status: HomeStatus): HomeView {
  return {
    type: "home",
    blocks: [
      { type: "header", block_id: "home_header", text: plain("keyward", 150) },
      homeStatusBlock(status),
      {
        type: "actions",
        block_id: "home_retry",
        elements: [{ type: "button", action_id: actionIds.homeFirstPage, text: plain("Try again", 75), value: encodeKeyPageValue({ page: 1 }) }],
      },
    ],
  };
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
