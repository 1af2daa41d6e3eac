import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "../../src/domain/capabilities.ts";
import { encodeCursor } from "../../src/domain/paging.ts";
import { permissions } from "../../src/domain/permissions.ts";
import type { Actor } from "../../src/domain/types.ts";
import { decodeRowValue } from "../../src/slack/wire/key-row-values.ts";
import { homeView } from "../../src/slack/views/home-view.ts";
import { integrationsPerPage, type IntegrationRowView } from "../../src/slack/views/integration-list-blocks.ts";
import { keyListMessage, keysPerPage } from "../../src/slack/views/key-list-blocks.ts";
import type { KeyListView, KeyRowView } from "../../src/slack/views/view-models.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { longKeyRow } from "../support/view-fixtures.ts";

type Json = Record<string, unknown>;

const admin: Actor = { workspaceId: "T1", userId: "U1", roleName: "Admin", permissions: new Set(permissions), source: "slack" };
const cursor = encodeCursor("0190a000-ffff-7fff-bfff-ffffffffffff");
const graceEnds = new Date("2026-12-02T10:00:00Z");

const key = (i: number, overrides: Partial<KeyRowView> = {}): KeyRowView =>
  longKeyRow(i, {
    id: `0190a000-0000-7000-8000-${String(i).padStart(12, "f")}`,
    description: "<&>".repeat(100),
    last4: "DZSo",
    lastUsedAt: new Date("2026-11-01T00:00:00Z"),
    ...overrides,
  });

const list = (keys: KeyRowView[], overrides: Partial<KeyListView> = {}): KeyListView => ({
  keys,
  page: 9999,
  cursor,
  nextCursor: cursor,
  capabilities: capabilitiesOf(admin),
  ...overrides,
});

const rowOf = (blocks: unknown[], i: number) => (blocks as unknown as Json[]).find((b) => b.block_id === `key_${i}`)!;
const accessoryOf = (blocks: unknown[], i: number) => rowOf(blocks, i).accessory as Json | undefined;
const optionsOf = (menu: Json) => menu.options as Array<{ text: { text: string }; value: string }>;

describe("key list rows: one menu per row, a grace row with Stop old key now", () => {
  it("gives each row one overflow menu (Rename / Roll / Delete) and no red button, with no menu-wide confirm", () => {
    const { blocks } = keyListMessage(list([key(0), key(1)]));
    const menu = accessoryOf(blocks, 0)!;
    expect(menu).toMatchObject({ type: "overflow", action_id: "keyward.key.row_menu" });
    expect(optionsOf(menu).map((o) => o.text.text)).toEqual(["Rename", "Roll", "Delete"]);
    // Block Kit's overflow confirm covers every option; each option confirms in its own way instead.
    expect(menu.confirm).toBeUndefined();
    expect(JSON.stringify(blocks)).not.toContain('"style":"danger"');
    expect((blocks as unknown as Json[]).filter((b) => String(b.block_id).startsWith("key_actions"))).toEqual([]);
  });

  it("carries in each option the op, the key and the page it was on, and they decode back", () => {
    const view = list([key(0), key(1)], { page: 3, cursor });
    const { blocks } = keyListMessage(view);
    for (const i of [0, 1]) {
      const decoded = optionsOf(accessoryOf(blocks, i)!).map((o) => decodeRowValue(o.value));
      expect(decoded).toEqual(["rename", "roll", "delete"].map((op) => ({ op, keyId: view.keys[i]!.id, list: { page: 3, cursor } })));
    }
    // A page reached by its number has no cursor to carry.
    const typed = keyListMessage(list([key(0)], { page: 2, cursor: null }));
    expect(decodeRowValue(optionsOf(accessoryOf(typed.blocks, 0)!)[0]!.value)).toEqual({ op: "rename", keyId: key(0).id, list: { page: 2 } });
  });

  it("offers no Roll for an expired key (the domain refuses one)", () => {
    const { blocks } = keyListMessage(list([key(0, { expired: true, expiresAt: new Date("2026-01-01T00:00:00Z") })]));
    expect(optionsOf(accessoryOf(blocks, 0)!).map((o) => o.text.text)).toEqual(["Rename", "Delete"]);
  });

  it("says a rolled key is being replaced and until when, with a confirmed Stop old key now button", () => {
    const { blocks } = keyListMessage(list([key(0, { rolled: true, expiresAt: graceEnds })]));
    const text = (rowOf(blocks, 0).text as { text: string }).text;
    expect(text).toContain(`being replaced, works until <!date^${graceEnds.getTime() / 1000}^`);
    expect(text).not.toContain("Expires");
    const button = accessoryOf(blocks, 0)!;
    expect(button).toMatchObject({ type: "button", action_id: "keyward.key.stop_old", text: { text: "Stop old key now" }, style: "danger" });
    expect(button.confirm).toMatchObject({ title: { text: "Stop the old key now?" }, confirm: { text: "Stop it now" }, deny: { text: "Keep it" } });
    expect(decodeRowValue(button.value as string)).toEqual({ op: "stop", keyId: key(0).id, list: { page: 9999, cursor } });
  });

  it("offers Remove for a rolled key whose grace is over, and nothing for a reader who cannot change it", () => {
    const over = keyListMessage(list([key(0, { rolled: true, expired: true, expiresAt: graceEnds })]));
    expect((rowOf(over.blocks, 0).text as { text: string }).text).toContain("replaced; stopped <!date^");
    expect(accessoryOf(over.blocks, 0)).toMatchObject({ action_id: "keyward.key.stop_old", text: { text: "Remove" } });
    const viewer = keyListMessage(list([key(0, { rolled: true, canChange: false })]));
    expect(accessoryOf(viewer.blocks, 0)).toBeUndefined();
    expect((rowOf(viewer.blocks, 0).text as { text: string }).text).toContain("being replaced");
  });

  it("asks Delete? in the row the menu was used in, its buttons carrying the same page", () => {
    const view = list([key(0), key(1)], { askingDelete: key(1).id, page: 2 });
    const { text, blocks } = keyListMessage(view);
    expect(accessoryOf(blocks, 1)).toBeUndefined();
    const question = (blocks as unknown as Json[]).find((b) => b.block_id === "delete_question")!;
    expect(JSON.stringify(question)).toContain("cannot be undone");
    const buttons = (blocks as unknown as Json[]).find((b) => b.block_id === "delete_actions")!.elements as Json[];
    expect(buttons.map((b) => b.action_id)).toEqual(["keyward.key.ask_delete", "keyward.key.cancel_delete"]);
    for (const b of buttons) expect(decodeRowValue(b.value as string)).toEqual({ op: "delete", keyId: key(1).id, list: { page: 2, cursor } });
    expect(text).toMatch(/^Delete W+1 \(…DZSo\)\? This cannot be undone\./);
    expect(accessoryOf(blocks, 0)).toMatchObject({ type: "overflow" });
  });

  it("puts a one-line result at the top of the re-rendered list, escaped in blocks and text", () => {
    const { text, blocks } = keyListMessage(list([key(0)]), "Renamed <a> → b&c.");
    expect((blocks as unknown as Json[])[0]).toMatchObject({ block_id: "keys_result", text: { text: "Renamed &lt;a&gt; → b&amp;c." } });
    expect(text).toBe("Renamed &lt;a&gt; → b&amp;c. 1 key on page 9999, more on the next page");
  });

  it.each([
    ["a full page of menus", () => Array.from({ length: keysPerPage }, (_, i) => key(i, { expired: i % 2 === 0 }))],
    ["a full page of rolled keys", () => Array.from({ length: keysPerPage }, (_, i) => key(i, { rolled: true, expired: i % 2 === 0 }))],
  ])("stays within Slack's limits at the page size: %s, with a result and a Delete question", (_label, keys) => {
    const rows = keys();
    const message = keyListMessage(list(rows, { askingDelete: rows[keysPerPage - 1]!.id }), `Deleted ${"W".repeat(64)} …DZSo. It is refused from now on.`);
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(message)).not.toMatch(/key:[0-9a-f]{8}-/);
    const home = homeView({
      roleName: "Admin",
      keys: list(rows, { askingDelete: rows[0]!.id }),
      canEditRoles: true,
      canCreate: true,
      integrations: integrations(),
      status: { tone: "done", text: "Deleted x …DZSo." },
    });
    expect(blockKitViolations("home", home)).toEqual([]);
    expect(home.blocks.length).toBeLessThanOrEqual(100);
  });
});

function integrations() {
  const config = (i: number): IntegrationRowView => ({
    id: `0190c000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    integration: "g".repeat(40),
    alias: `a${i}`,
    last4: "wxyz",
    isDefault: i === 0,
    expiresAt: null,
    expired: false,
    reminderChannel: null,
    createdBy: "U0123456789",
    rotatedAt: null,
    rotatedBy: null,
  });
  return { configs: Array.from({ length: integrationsPerPage }, (_, i) => config(i)), page: 1, nextCursor: cursor, canEdit: true };
}

describe("key list rows: usage at a glance", () => {
  const usage = { days: [0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 4, 8, 16], last7: 31 };
  const textOfRow = (blocks: unknown[], i: number) => (rowOf(blocks, i).text as { text: string }).text;

  it("ends each row with its 14-day sparkline and the uses of the last 7 days, in the list and on the Home tab", () => {
    const view = list([key(0, { usage }), key(1, { usage: { days: new Array(14).fill(0), last7: 0 } })]);
    const message = keyListMessage(view);
    expect(textOfRow(message.blocks, 0).split("\n").at(-1)).toBe("`▁▁▁▁▁▁▁▂▂▁▁▃▅█`  31 uses in 7 days");
    expect(textOfRow(message.blocks, 1).split("\n").at(-1)).toBe(`\`${"▁".repeat(14)}\`  0 uses in 7 days`);
    const home = homeView({ roleName: "Admin", keys: view, canEditRoles: true, canCreate: true, integrations: null });
    expect(textOfRow(home.blocks, 0)).toContain("`▁▁▁▁▁▁▁▂▂▁▁▃▅█`  31 uses in 7 days");
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
  });

  it("shows no usage line where the counts were not looked up", () => {
    expect(textOfRow(keyListMessage(list([key(0)])).blocks, 0)).not.toMatch(/uses? in 7 days/);
  });
});
