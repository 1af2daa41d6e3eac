import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "../../src/domain/capabilities.ts";
import { encodeCursor } from "../../src/domain/paging.ts";
import { permissions } from "../../src/domain/permissions.ts";
import type { Actor } from "../../src/domain/types.ts";
import { parseKeysCommand } from "../../src/slack/command-parser.ts";
import { auditMessage } from "../../src/slack/views/audit-message.ts";
import { createKeyModal, parseCreateKeyModal } from "../../src/slack/views/create-key-modal.ts";
import { editKeyModal, parseEditKeyModal } from "../../src/slack/views/edit-key-modal.ts";
import { helpMessage } from "../../src/slack/views/help-message.ts";
import { homeView } from "../../src/slack/views/home-view.ts";
import { keyListMessage } from "../../src/slack/views/key-list-blocks.ts";
import { deleteConfirmationMessage, loadingModal, noticeMessage } from "../../src/slack/views/notices.ts";
import { assignRoleModal, createRoleModal, parseAssignRoleModal, parseCreateRoleModal } from "../../src/slack/views/role-modals.ts";
import { rolesMessage } from "../../src/slack/views/roles-message.ts";
import { secretMessage } from "../../src/slack/views/secret-message.ts";
import type { KeyListView, KeyRowView } from "../../src/slack/views/view-models.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { longKeyRow } from "../support/view-fixtures.ts";

const admin: Actor = { workspaceId: "T1", userId: "U1", roleName: "Admin", permissions: new Set(permissions), source: "slack" };
const longest = "W".repeat(64);

const key = (i: number, overrides: Partial<KeyRowView> = {}): KeyRowView =>
  longKeyRow(i, { lastUsedAt: i % 2 ? new Date("2026-11-01T00:00:00Z") : null, expired: i % 3 === 0, ...overrides });

/** A real cursor (as the domain makes them), so row values are as long as they get. */
const realCursor = encodeCursor("0190a000-ffff-7fff-bfff-ffffffffffff");

const fullList = (page = 1): KeyListView => ({
  keys: Array.from({ length: 15 }, (_, i) => key(i)),
  page,
  cursor: page > 1 ? realCursor : null,
  nextCursor: realCursor,
  capabilities: capabilitiesOf(admin),
});

describe("Block Kit builders stay within Slack's limits at their extremes", () => {
  it.each([
    ["key list, full page of longest values", () => keyListMessage(fullList(7)).blocks],
    [
      "help for an admin, after a bad command",
      () => helpMessage({ capabilities: capabilitiesOf(admin), roleName: "R".repeat(40), problem: "There is no `x` command." }).blocks,
    ],
    [
      "roles message with 200 roles",
      () =>
        rolesMessage({
          roles: Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, name: `Role ${i} ${"n".repeat(30)}`, builtIn: i < 4, permissions: [...permissions] })),
          canEditRoles: true,
        }).blocks,
    ],
    [
      "audit message with 100 events",
      () =>
        auditMessage(
          Array.from({ length: 100 }, (_, i) => ({
            action: "api_key.update",
            actorId: "U0123456789",
            targetType: "api_key",
            targetName: `${longest}${i}`,
            targetId: "x",
            source: "slack",
            createdAt: new Date(0),
          })),
        ).blocks,
    ],
    [
      "secret message",
      () => secretMessage({ name: longest, roleName: "Admin", kind: "service", expiresAt: new Date(0), secret: `kw_${"a".repeat(40)}` }).blocks,
    ],
    ["delete confirmation", () => deleteConfirmationMessage({ id: "x", name: longest, last4: "abcd" }).blocks],
    ["notice", () => noticeMessage("x".repeat(5000)).blocks],
  ])("%s", (_label, build) => {
    const blocks = build();
    expect(blockKitViolations("message", blocks)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it.each([
    [
      "create form with 150 roles",
      () =>
        createKeyModal({
          roles: Array.from({ length: 150 }, (_, i) => ({ id: `id-${i}`, name: `Role ${i} ${"n".repeat(80)}` })),
          kinds: ["service", "personal"],
          defaultDay: "2027-02-25",
          timeZone: "Asia/Kathmandu",
          privateMetadata: JSON.stringify({ ch: "C1", ru: `https://hooks.slack.com/commands/T1/2/${"x".repeat(200)}` }),
        }),
    ],
    ["edit form", () => editKeyModal({ keyId: "k", name: longest, description: "d".repeat(500), roleName: "Admin", last4: "abcd" })],
    ["create role form", () => createRoleModal([...permissions])],
    ["assign role form", () => assignRoleModal(Array.from({ length: 120 }, (_, i) => ({ id: `r${i}`, name: `Role ${i}` })))],
    ["loading modal", () => loadingModal("Create an API key")],
  ])("%s", (_label, build) => {
    expect(blockKitViolations("modal", build())).toEqual([]);
  });

  it("home tab with a full page of keys", () => {
    const view = homeView({ roleName: "Admin", keys: fullList(2), canEditRoles: true, canCreate: true });
    expect(blockKitViolations("home", view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it("escapes user text so a name cannot inject mentions or links", () => {
    const message = keyListMessage({ ...fullList(), keys: [key(1, { name: "<!channel> <https://evil|click>" })] });
    const text = JSON.stringify(message.blocks);
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("&lt;!channel&gt;");
  });

  it("offers no change buttons for keys the reader cannot change", () => {
    const message = keyListMessage({ ...fullList(), keys: [key(1, { canChange: false }), key(2, { canChange: false, rolled: true })] });
    for (const actionId of ["keyward.key.delete", "keyward.key.row_menu", "keyward.key.stop_old"])
      expect(JSON.stringify(message.blocks)).not.toContain(actionId);
  });
});

describe("modal parsers", () => {
  const state = (entries: Record<string, unknown>) => Object.fromEntries(Object.entries(entries).map(([block, value]) => [block, { value: value as never }]));

  it("reads the create form and validates it with the domain schema", () => {
    const ok = parseCreateKeyModal(
      {
        ...state({ name: { type: "plain_text_input", value: " ci " }, description: { type: "plain_text_input", value: null } }),
        role: { value: { type: "static_select", selected_option: { value: "role-1" } } },
        expires_on: { value: { type: "datepicker", selected_date: "2027-01-31" } },
        kind: { value: { type: "radio_buttons", selected_option: { value: "personal" } } },
      },
      "Europe/Paris",
    );
    expect(ok).toEqual({
      ok: true,
      input: { name: " ci ", description: "", role: "role-1", kind: "personal", expiresOn: "2027-01-31", timeZone: "Europe/Paris" },
    });
    const bad = parseCreateKeyModal(
      { ...state({ name: { type: "plain_text_input", value: "" } }), expires_on: { value: { type: "datepicker", selected_date: null } } },
      "UTC",
    );
    expect(bad.ok).toBe(false);
    expect(bad.ok ? {} : bad.errors).toMatchObject({ name: expect.any(String), role: expect.any(String), expires_on: expect.any(String) });
  });

  it("reads the edit, role and assignment forms", () => {
    expect(parseEditKeyModal(state({ name: { type: "plain_text_input", value: "n" }, description: { type: "plain_text_input", value: "d" } }))).toEqual({
      ok: true,
      input: { name: "n", description: "d" },
    });
    expect(
      parseCreateRoleModal({
        role_name: { value: { type: "plain_text_input", value: "Ops" } },
        permissions: { value: { type: "checkboxes", selected_options: [] } },
      }),
    ).toMatchObject({ ok: false, errors: { permissions: expect.any(String) } });
    expect(
      parseCreateRoleModal({
        role_name: { value: { type: "plain_text_input", value: "" } },
        permissions: { value: { type: "checkboxes", selected_options: [{ value: "audit.view" }] } },
      }),
    ).toMatchObject({ ok: false, errors: { role_name: expect.any(String) } });
    expect(parseAssignRoleModal({})).toMatchObject({ ok: false, errors: { user: expect.any(String), role: expect.any(String) } });
  });
});

describe("/keys text parser", () => {
  it.each([
    ["", { kind: "help" }],
    ["  HELP ", { kind: "help" }],
    ["create", { kind: "create" }],
    ["list", { kind: "list", page: 1 }],
    ["list 12", { kind: "list", page: 12 }],
    ["edit  my key ", { kind: "edit", ref: "my key" }],
    ["delete ci-deploy", { kind: "delete", ref: "ci-deploy" }],
    ["roles", { kind: "roles" }],
    ["audit", { kind: "audit", count: 20 }],
    ["audit 100", { kind: "audit", count: 100 }],
  ])("reads %j", (text, expected) => {
    expect(parseKeysCommand(text)).toEqual(expected);
  });

  it.each(["list 0", "list -1", "list 1001", "list two", "list 1 2", "audit 101", "audit x", "edit", "delete", "create now", "launch", "`rm -rf`"])(
    "answers %j with usage",
    (text) => {
      expect(parseKeysCommand(text).kind).toBe("usage");
    },
  );
});
