import type { KnownBlock } from "@slack/types";
import { actionIds, slashCommand } from "../ids.ts";
import { encodeConfigValue } from "../wire/config-values.ts";
import { encodeIntegrationPageValue } from "../wire/paging-values.ts";
import type { ActorName } from "../../domain/directory-service.ts";
import { actorText, escapeMrkdwn, mrkdwn, plain, slackDate, strong } from "./format.ts";

/** One configuration as the builders show it: never its secret, only the last 4 characters. */
export interface IntegrationRowView {
  id: string;
  integration: string;
  alias: string;
  last4: string;
  isDefault: boolean;
  expiresAt: Date | null;
  expired: boolean;
  reminderChannel: string | null;
  createdBy: string;
  rotatedAt: Date | null;
  rotatedBy: string | null;
  /** Who `createdBy` and `rotatedBy` are, when looked up (a key's name and last 4, never its id). */
  creator?: ActorName;
  rotator?: ActorName;
}

export interface IntegrationListView {
  configs: IntegrationRowView[];
  /** 1-based page number shown to the reader. */
  page: number;
  nextCursor: string | null;
  /** The integration the list is filtered to, if any (carried by the paging buttons). */
  integration?: string;
  /** Offer Add, Rotate, Make default, Delete and Set channel (the services check again). */
  canEdit: boolean;
  /** How many configurations the list has in all (absent: not counted). */
  total?: number;
}

/** Two blocks a configuration: 15 keep a message under 50 blocks and leave the Home tab room for keys. */
export const integrationsPerPage = 15;

/** In bold, unless the alias could break the bold (see `strong`). */
const name = (c: Pick<IntegrationRowView, "integration" | "alias">) => strong(`${c.integration}/${c.alias}`);

function rowText(c: IntegrationRowView): string {
  const first = `${strong(c.integration)}  ·  \`${escapeMrkdwn(c.alias)}\`  \`…${escapeMrkdwn(c.last4)}\`${c.isDefault ? "  ·  :star: default" : ""}${c.expired ? "  ·  :warning: *expired*" : ""}`;
  const expiry = c.expiresAt ? `${c.expired ? "Expired" : "Expires"} ${slackDate(c.expiresAt)}` : "No expiry";
  const channel = c.reminderChannel ? `Reminders in <#${c.reminderChannel}>` : "No reminder channel";
  const origin =
    c.rotatedAt && c.rotatedBy
      ? `Rotated ${slackDate(c.rotatedAt)} by ${actorText(c.rotator ?? c.rotatedBy)}`
      : `Added by ${actorText(c.creator ?? c.createdBy)}`;
  return `${first}\n${expiry}  ·  ${channel}  ·  ${origin}`;
}

function deleteIntegrationButton(c: Pick<IntegrationRowView, "id" | "integration" | "alias" | "isDefault">) {
  const fallback = c.isDefault
    ? `${escapeMrkdwn(c.integration)} then has no default until you make another configuration the default.`
    : `References to this alias then fall back to the default.`;
  return {
    type: "button" as const,
    action_id: actionIds.deleteIntegration,
    text: plain("Delete", 75),
    style: "danger" as const,
    value: encodeConfigValue(c),
    confirm: {
      title: plain("Delete this configuration?", 100),
      text: mrkdwn(`${name(c)} and its secret are deleted. ${fallback} This cannot be undone.`, 300),
      confirm: plain("Delete", 30),
      deny: plain("Keep it", 30),
      style: "danger" as const,
    },
  };
}

/** Make default acts on the click (no form), so Slack's confirm dialog asks first, naming the configuration. Exported for its test. */
export function makeDefaultButton(c: Pick<IntegrationRowView, "id" | "integration" | "alias" | "last4">) {
  return {
    type: "button" as const,
    action_id: actionIds.setDefaultIntegration,
    text: plain("Make default", 75),
    value: encodeConfigValue(c),
    confirm: {
      title: plain("Make this the default?", 100),
      text: mrkdwn(
        `*${name(c)}* (\`…${escapeMrkdwn(c.last4)}\`) becomes the default for ${escapeMrkdwn(c.integration)}: references without an alias use it from now on.`,
        300,
      ),
      confirm: plain("Make default", 30),
      deny: plain("Cancel", 30),
    },
  };
}

function rowBlocks(c: IntegrationRowView, index: number, canEdit: boolean): KnownBlock[] {
  const section: KnownBlock = { type: "section", block_id: `integration_${index}`, text: mrkdwn(rowText(c)) };
  if (!canEdit) return [section];
  const button = (actionId: string, text: string) => ({ type: "button" as const, action_id: actionId, text: plain(text, 75), value: encodeConfigValue(c) });
  const buttons: Array<ReturnType<typeof button> | ReturnType<typeof makeDefaultButton>> = [button(actionIds.openRotateIntegration, "Rotate")];
  if (!c.isDefault) buttons.push(makeDefaultButton(c));
  buttons.push(button(actionIds.openIntegrationChannel, "Set channel"));
  return [section, { type: "actions", block_id: `integration_actions_${index}`, elements: [...buttons, deleteIntegrationButton(c)] }];
}

/** The rows and, when `paged`, the Next/First buttons; the Home tab shows only the first page. */
export function integrationListBlocks(view: IntegrationListView, paged: boolean): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  if (view.configs.length === 0) {
    const empty =
      view.page > 1
        ? "No more configurations."
        : view.integration
          ? `No configurations for ${escapeMrkdwn(view.integration)} yet.`
          : "No integration configurations yet.";
    blocks.push({ type: "section", block_id: "integrations_empty", text: mrkdwn(empty) });
  }
  view.configs.slice(0, integrationsPerPage).forEach((c, i) => {
    blocks.push(...rowBlocks(c, i, view.canEdit));
  });
  if (!paged) {
    // The Home tab shares its 100 blocks with the key list, so it shows the first page only.
    if (view.nextCursor)
      blocks.push({
        type: "context",
        block_id: "integrations_more",
        elements: [mrkdwn(`The first ${integrationsPerPage} are shown; \`${slashCommand} integrations list\` pages through all of them.`)],
      });
    return blocks;
  }
  blocks.push({ type: "context", block_id: "integrations_page", elements: [mrkdwn(integrationPageLine(view))] });
  const nav = pagingButtons(view);
  if (nav.length > 0) blocks.push({ type: "actions", block_id: "integrations_nav", elements: nav });
  return blocks;
}

function pagingButtons(view: IntegrationListView) {
  const nav = [];
  if (view.page > 1) {
    nav.push({
      type: "button" as const,
      action_id: actionIds.integrationsFirstPage,
      text: plain("First page", 75),
      value: encodeIntegrationPageValue({ page: 1, integration: view.integration }),
    });
  }
  if (view.nextCursor) {
    nav.push({
      type: "button" as const,
      action_id: actionIds.integrationsNextPage,
      text: plain(`Page ${view.page + 1} →`, 75),
      value: encodeIntegrationPageValue({ page: view.page + 1, integration: view.integration, cursor: view.nextCursor }),
    });
  }
  return nav;
}

export function addIntegrationButton() {
  return { type: "button" as const, action_id: actionIds.openAddIntegration, text: plain("Add configuration", 75), style: "primary" as const, value: "add" };
}

const configsCounted = (n: number) => (n === 1 ? "1 configuration" : `${n} configurations`);
const integrationPages = (view: IntegrationListView) => Math.max(1, view.page, Math.ceil((view.total ?? 0) / integrationsPerPage));

function integrationPageLine(view: IntegrationListView): string {
  if (view.total === undefined) return `Page ${view.page}${view.nextCursor ? "" : " (last)"}`;
  return `Page ${view.page} of ${integrationPages(view)}  ·  ${configsCounted(view.total)} in all`;
}

/** The message's top-level text: "4 github configurations, page 1 of 1". */
function integrationListSummary(view: IntegrationListView): string {
  const of = view.integration ? ` for ${escapeMrkdwn(view.integration)}` : "";
  if (view.total === 0 || (view.configs.length === 0 && view.page === 1))
    return view.integration ? `No configurations${of} yet.` : "No integration configurations yet.";
  if (view.configs.length === 0) return `No more configurations${of} after page ${view.page - 1}.`;
  if (view.total === undefined) return `${configsCounted(view.configs.length)}${of} on page ${view.page}${view.nextCursor ? ", more on the next page" : ""}`;
  return `${configsCounted(view.total)}${of}, page ${view.page} of ${integrationPages(view)}`;
}

/** `/keys integrations list [integration]`: a page of configurations with their buttons. */
export function integrationListMessage(view: IntegrationListView): { text: string; blocks: KnownBlock[] } {
  const title = view.integration ? `Integrations: ${view.integration}` : "Integrations";
  const blocks: KnownBlock[] = [{ type: "header", block_id: "integrations_header", text: plain(title, 150) }];
  if (view.canEdit) blocks.push({ type: "actions", block_id: "integrations_add", elements: [addIntegrationButton()] });
  return { text: integrationListSummary(view), blocks: [...blocks, ...integrationListBlocks(view, true)] };
}

/** `/keys integrations delete <integration> <alias>`: nothing is deleted until the button is pressed. */
export function deleteIntegrationConfirmation(c: Pick<IntegrationRowView, "id" | "integration" | "alias" | "last4" | "isDefault">): {
  text: string;
  blocks: KnownBlock[];
} {
  const consequence = c.isDefault
    ? `It is the default for ${escapeMrkdwn(c.integration)}, which then has no default.`
    : "References to this alias then fall back to the default.";
  return {
    text: `Delete ${escapeMrkdwn(c.integration)}/${escapeMrkdwn(c.alias)} (…${escapeMrkdwn(c.last4)}) and its secret? Confirm or cancel below.`,
    blocks: [
      {
        type: "section",
        block_id: "integration_delete_question",
        text: mrkdwn(`Delete ${name(c)} (\`…${escapeMrkdwn(c.last4)}\`) and its secret? ${consequence} This cannot be undone.`),
      },
      {
        type: "actions",
        block_id: deleteConfirmationBlockId,
        elements: [
          { type: "button", action_id: actionIds.deleteIntegration, text: plain("Delete", 75), style: "danger", value: encodeConfigValue(c) },
          { type: "button", action_id: actionIds.cancelDelete, text: plain("Cancel", 75), value: encodeConfigValue(c) },
        ],
      },
    ],
  };
}

/** The confirmation's own Delete button replaces the question with the answer; list buttons do not. */
export const deleteConfirmationBlockId = "integration_delete_actions";
