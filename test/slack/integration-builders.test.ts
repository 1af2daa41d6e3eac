import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "../../src/domain/capabilities.ts";
import { permissions, type Permission } from "../../src/domain/permissions.ts";
import type { Actor } from "../../src/domain/types.ts";
import { parseKeysCommand } from "../../src/slack/command-parser.ts";
import { addIntegrationModal, parseAddIntegrationModal } from "../../src/slack/views/add-integration-modal.ts";
import { helpMessage } from "../../src/slack/views/help-message.ts";
import { homeView } from "../../src/slack/views/home-view.ts";
import { integrationChannelModal, parseIntegrationChannelModal } from "../../src/slack/views/integration-channel-modal.ts";
import { keySnoozedMessage } from "../../src/slack/views/key-reminder-notices.ts";
import { encodeIntegrationMetadata } from "../../src/slack/wire/form-metadata.ts";
import {
  deleteIntegrationConfirmation,
  integrationListMessage,
  integrationsPerPage,
  type IntegrationListView,
  type IntegrationRowView,
} from "../../src/slack/views/integration-list-blocks.ts";
import {
  addedText,
  channelText,
  deletedText,
  integrationNoticeMessage,
  integrationNoticeModal,
  madeDefaultText,
  rotatedInThreadMessage,
  rotatedText,
  snoozedText,
} from "../../src/slack/views/integration-notices.ts";
import type { StateValues } from "../../src/slack/views/modal-state.ts";
import { parseRotateIntegrationModal, rotateIntegrationModal } from "../../src/slack/views/rotate-integration-modal.ts";
import type { KeyListView, KeyRowView } from "../../src/slack/views/view-models.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { longKeyRow } from "../support/view-fixtures.ts";

const actorWith = (held: readonly Permission[]): Actor => ({ workspaceId: "T1", userId: "U1", roleName: "R", permissions: new Set(held), source: "slack" });
const admin = actorWith(permissions);
const longestSlug = `g${"h".repeat(39)}`;
const longestAlias = `a${"l".repeat(63)}`;
const cursor = "a".repeat(48);

function config(i: number, overrides: Partial<IntegrationRowView> = {}): IntegrationRowView {
  return {
    id: `0190a000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    integration: longestSlug,
    alias: `${longestAlias.slice(0, 60)}${String(i).padStart(4, "0")}`,
    last4: "wxyz",
    isDefault: i === 0,
    expiresAt: i % 4 === 3 ? null : new Date("2027-01-01T00:00:00Z"),
    expired: i % 3 === 0,
    reminderChannel: i % 2 ? "C0123456789" : null,
    createdBy: "U0123456789",
    rotatedAt: i % 2 ? new Date("2026-12-01T00:00:00Z") : null,
    rotatedBy: i % 2 ? "U0987654321" : null,
    ...overrides,
  };
}

const fullList = (page = 1, overrides: Partial<IntegrationListView> = {}): IntegrationListView => ({
  configs: Array.from({ length: integrationsPerPage }, (_, i) => config(i)),
  page,
  nextCursor: cursor,
  integration: longestSlug,
  canEdit: true,
  ...overrides,
});

const keyRow = (i: number): KeyRowView => longKeyRow(i, { id: `0190b000-0000-7000-8000-${String(i).padStart(12, "0")}` });
const fullKeys: KeyListView = {
  keys: Array.from({ length: 15 }, (_, i) => keyRow(i)),
  page: 2,
  cursor,
  nextCursor: cursor,
  capabilities: capabilitiesOf(admin),
};

const metadata = encodeIntegrationMetadata({ id: "0190a000-0000-7000-8000-000000000001", channel: "C0123456789", threadTs: "1790000000.000100", home: true });

describe("integration builders stay within Slack's limits at their extremes", () => {
  it.each([
    ["full page of longest values, filtered, middle page", () => integrationListMessage(fullList(7)).blocks],
    ["full first page, unfiltered", () => integrationListMessage(fullList(1, { integration: undefined })).blocks],
    ["last page for a viewer", () => integrationListMessage(fullList(3, { canEdit: false, nextCursor: null })).blocks],
    ["empty list", () => integrationListMessage(fullList(1, { configs: [], nextCursor: null })).blocks],
    ["empty later page", () => integrationListMessage(fullList(2, { configs: [], nextCursor: null, integration: undefined })).blocks],
    ["delete confirmation of a default", () => deleteIntegrationConfirmation(config(0)).blocks],
    ["delete confirmation of another", () => deleteIntegrationConfirmation(config(1)).blocks],
    ["added notice", () => integrationNoticeMessage(addedText({ ...config(0), alias: longestAlias }), ":white_check_mark:").blocks],
    ["rotated notice", () => integrationNoticeMessage(rotatedText(config(1))).blocks],
    ["default notice", () => integrationNoticeMessage(madeDefaultText(config(1))).blocks],
    [
      "channel notices",
      () => [
        ...integrationNoticeMessage(channelText(config(1))).blocks,
        ...integrationNoticeMessage(channelText(config(0)), "x").blocks.map((b) => ({ ...b, block_id: "n2" })),
      ],
    ],
    ["deleted notice", () => integrationNoticeMessage(deletedText(config(0))).blocks],
    ["snoozed notice", () => integrationNoticeMessage(snoozedText(config(0), new Date(0)), ":zzz:").blocks],
    [
      "API-key snooze notice",
      () => keySnoozedMessage({ id: "0190a000-0000-7000-8000-000000000001", name: longestAlias, last4: "wxyz", until: new Date(0) }).blocks,
    ],
    [
      "API-key snooze notice, key expired",
      () => keySnoozedMessage({ id: "0190a000-0000-7000-8000-000000000001", name: longestAlias, last4: "wxyz", until: null }).blocks,
    ],
    ["thread follow-up", () => rotatedInThreadMessage("U0123456789", { ...config(0), alias: longestAlias }).blocks],
    ["help for an admin", () => helpMessage({ capabilities: capabilitiesOf(admin), roleName: "R".repeat(40), problem: "x" }).blocks],
  ])("%s", (_label, build) => {
    const blocks = build();
    expect(blockKitViolations("message", blocks)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it.each([
    ["add form", () => addIntegrationModal({ timeZone: "America/Argentina/ComodRivadavia", privateMetadata: metadata })],
    [
      "rotate form, expiring default",
      () => rotateIntegrationModal({ ...config(0, { alias: longestAlias }), timeZone: "Asia/Kathmandu", privateMetadata: metadata }),
    ],
    ["rotate form, no expiry", () => rotateIntegrationModal({ ...config(3), timeZone: "UTC", privateMetadata: metadata })],
    ["channel form with a channel", () => integrationChannelModal({ ...config(1), privateMetadata: metadata })],
    ["channel form without one", () => integrationChannelModal({ ...config(0), privateMetadata: metadata })],
    ["notice modal", () => integrationNoticeModal("Rotated", rotatedText(config(0)))],
  ])("%s", (_label, build) => {
    const view = build();
    expect(blockKitViolations("modal", view)).toEqual([]);
    expect(view.private_metadata?.length ?? 0).toBeLessThanOrEqual(3000);
  });

  it("fits a full page of keys and a full page of configurations on the Home tab", () => {
    const view = homeView({ roleName: "Admin", keys: fullKeys, canEditRoles: true, canCreate: true, integrations: fullList(1, { integration: undefined }) });
    expect(blockKitViolations("home", view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(view);
    expect(text).toContain("keyward.integration.open_add");
    expect(text).toContain("integrations list");
    // The Home tab shows the first page only: no integration paging buttons there.
    expect(text).not.toContain("keyward.integration.list_next");
    const empty = homeView({
      roleName: "Viewer",
      keys: null,
      canEditRoles: false,
      canCreate: false,
      integrations: fullList(1, { configs: [], nextCursor: null, canEdit: false }),
    });
    expect(blockKitViolations("home", empty)).toEqual([]);
    expect(JSON.stringify(empty)).not.toContain("keyward.integration.open_add");
  });

  it("shows a row's facts and only the buttons that apply", () => {
    const message = integrationListMessage(fullList(1, { configs: [config(0), config(1)] }));
    const text = JSON.stringify(message.blocks);
    expect(text).toContain("…wxyz");
    expect(text).toContain(":star: default");
    expect(text).toContain("<#C0123456789>");
    expect(text).toMatch(/<!date\^\d+\^/);
    const actions = message.blocks.filter((b) => b.block_id?.startsWith("integration_actions_")) as Array<{
      elements: Array<{ action_id: string; confirm?: unknown }>;
    }>;
    // The default has no "Make default"; every row's Delete asks first.
    expect(actions[0]!.elements.map((e) => e.action_id)).not.toContain("keyward.integration.set_default");
    expect(actions[1]!.elements.map((e) => e.action_id)).toContain("keyward.integration.set_default");
    for (const row of actions) expect(row.elements.find((e) => e.action_id === "keyward.integration.delete")!.confirm).toBeDefined();
    const forViewer = JSON.stringify(integrationListMessage(fullList(1, { canEdit: false })).blocks);
    expect(forViewer).not.toContain("keyward.integration.delete");
    expect(forViewer).not.toContain("keyward.integration.open_add");
  });
});

describe("integration form parsers", () => {
  const text = (value: string | null) => ({ value: { type: "plain_text_input", value } });
  const add = (answers: {
    integration?: string;
    alias?: string;
    secret?: string;
    day?: string | null;
    isDefault?: boolean;
    channel?: string | null;
  }): StateValues => ({
    integration: text(answers.integration ?? "GitHub"),
    alias: text(answers.alias ?? "cortex-github"),
    secret: text(answers.secret ?? "ghp_abcdefgh1234"),
    expires_on: { value: { type: "datepicker", selected_date: answers.day ?? null } },
    is_default: { value: { type: "checkboxes", selected_options: answers.isDefault ? [{ value: "default" }] : [] } },
    channel: { value: { type: "conversations_select", selected_conversation: answers.channel ?? null } },
  });

  it("reads the add form with the domain's schemas", () => {
    expect(parseAddIntegrationModal(add({}), "Europe/Paris")).toEqual({
      ok: true,
      integration: "github",
      input: { alias: "cortex-github", secret: "ghp_abcdefgh1234" },
    });
    expect(parseAddIntegrationModal(add({ day: "2027-03-01", isDefault: true, channel: "C0PLATFORM" }), "Europe/Paris")).toEqual({
      ok: true,
      integration: "github",
      input: {
        alias: "cortex-github",
        secret: "ghp_abcdefgh1234",
        isDefault: true,
        reminderChannel: "C0PLATFORM",
        expiresOn: "2027-03-01",
        timeZone: "Europe/Paris",
      },
    });
  });

  it("keys every problem by its input block and never echoes the secret", () => {
    const secret = "ghp_has a space_9876";
    const bad = parseAddIntegrationModal(add({ integration: "Git Hub!", alias: "Cortex GitHub", secret, channel: "U0PERSON1" }), "UTC");
    expect(bad.ok).toBe(false);
    expect(bad.ok ? {} : bad.errors).toMatchObject({
      integration: expect.any(String),
      alias: expect.any(String),
      secret: expect.stringMatching(/spaces/),
      channel: expect.any(String),
    });
    expect(JSON.stringify(bad)).not.toContain("has a space");
    expect(parseAddIntegrationModal(add({ secret: "" }), "UTC")).toMatchObject({ ok: false, errors: { secret: expect.any(String) } });
  });

  it("reads the rotate form: a new secret, and its expiry or none", () => {
    const values = (secret: string, day: string | null): StateValues => ({
      secret: text(secret),
      expires_on: { value: { type: "datepicker", selected_date: day } },
    });
    expect(parseRotateIntegrationModal(values("ghp_new_secret_1", "2027-06-30"), "Asia/Kathmandu")).toEqual({
      ok: true,
      input: { secret: "ghp_new_secret_1", expiresOn: "2027-06-30", timeZone: "Asia/Kathmandu" },
    });
    expect(parseRotateIntegrationModal(values("ghp_new_secret_1", null), "UTC")).toEqual({ ok: true, input: { secret: "ghp_new_secret_1", expiresAt: null } });
    expect(parseRotateIntegrationModal(values("ab", null), "UTC")).toMatchObject({ ok: false, errors: { secret: expect.any(String) } });
  });

  it("reads the channel form: a channel, or none to stop channel reminders", () => {
    const values = (channel: string | null): StateValues => ({ channel: { value: { type: "conversations_select", selected_conversation: channel } } });
    expect(parseIntegrationChannelModal(values("G0PRIVATE1"))).toEqual({ ok: true, input: { reminderChannel: "G0PRIVATE1" } });
    expect(parseIntegrationChannelModal(values(null))).toEqual({ ok: true, input: { reminderChannel: null } });
    expect(parseIntegrationChannelModal(values("D0DIRECT1"))).toMatchObject({ ok: false, errors: { channel: expect.any(String) } });
  });
});

describe("/keys integrations text", () => {
  it.each([
    ["integrations", { op: "list" }],
    ["integrations list", { op: "list" }],
    ["integrations list github", { op: "list", integration: "github" }],
    ["INTEGRATIONS ADD", { op: "add" }],
    ["integration rotate github cortex-github", { op: "rotate", integration: "github", alias: "cortex-github" }],
    ["integrations default github cortex-github", { op: "default", integration: "github", alias: "cortex-github" }],
    ["integrations delete  github   cortex-github ", { op: "delete", integration: "github", alias: "cortex-github" }],
    ["integrations channel pagerduty oncall", { op: "channel", integration: "pagerduty", alias: "oncall" }],
  ])("reads %j", (input, command) => {
    const parsed = parseKeysCommand(input);
    expect(parsed.kind).toBe("integrations");
    expect(parsed.kind === "integrations" ? parsed.command : null).toMatchObject(command);
  });

  it.each([
    "integrations list a b",
    "integrations add github",
    "integrations rotate github",
    "integrations delete github a b",
    "integrations frob",
    "integrations default",
  ])("answers %j with usage", (input) => {
    const parsed = parseKeysCommand(input);
    expect(parsed.kind).toBe("usage");
    expect(parsed.kind === "usage" ? parsed.problem : "").toContain("integrations");
  });

  it("offers the integration commands in help to those who hold the permissions", () => {
    const help = (held: readonly Permission[]) => JSON.stringify(helpMessage({ capabilities: capabilitiesOf(actorWith(held)), roleName: "R" }).blocks);
    expect(help(["integrations.view"])).toContain("/keys integrations [list [integration]]");
    expect(help(["integrations.view"])).not.toContain("integrations add");
    expect(help(["integrations.view", "integrations.edit"])).toContain("integrations add");
    expect(help(["api_keys.view"])).not.toContain("integrations");
  });
});
