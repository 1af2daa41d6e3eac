import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { reminderPartSubject } from "../../src/slack/ids.ts";
import {
  combinedReminderMessage,
  reminderMessage,
  reminderPart,
  remindersPerMessage,
  replaceReminderPart,
  type ReminderMessageView,
} from "../../src/slack/views/reminder-message.ts";
import type { ReminderAfterView } from "../../src/slack/views/reminder-outcome.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";

type Json = Record<string, unknown>;

// The longest integration slug and alias the schemas accept, escaped characters in the alias: every text at its largest.
const longestSlug = `g${"h".repeat(39)}`;
const longestAlias = `a${"&".repeat(63)}`;
const expiresAt = new Date("2030-02-01T07:59:59.999Z");
const at = new Date("2030-01-24T17:30:00Z");

const view = (i: number, over: Partial<ReminderMessageView> = {}): ReminderMessageView => ({
  subjectType: "integration",
  subjectId: `0190a000-0000-7000-8000-${String(i).padStart(12, "0")}`,
  integration: longestSlug,
  alias: `${longestAlias.slice(0, 60)}${String(i).padStart(4, "0")}`,
  name: "unused",
  last4: "abcd",
  isDefault: true,
  expiresAt,
  expiryTimeZone: "America/Los_Angeles",
  threshold: 7,
  ownerId: `UADDER${String(i).padStart(3, "0")}`,
  rotatedBy: `UROTATE${String(i).padStart(2, "0")}`,
  ...over,
});
const views = (n: number, over: Partial<ReminderMessageView> = {}) => Array.from({ length: n }, (_, i) => view(i, over));

const snoozed: ReminderAfterView = { what: "snoozed", until: new Date("2030-01-25T17:30:00Z"), at, by: { userId: "USNOOZER1", source: "slack" } };
const rotated: ReminderAfterView = {
  what: "rotated",
  last4: "wxyz",
  expiresAt: new Date("2031-06-30T23:59:59.999Z"),
  expiryTimeZone: "UTC",
  at,
  by: { userId: "UROTATOR1", source: "slack" },
};

describe("a combined reminder message (several configurations due in one channel)", () => {
  it("holds as many configurations as fit in 50 blocks at their largest: 12", () => {
    expect(remindersPerMessage).toBe(12);
    const message = combinedReminderMessage(views(remindersPerMessage));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    expect(() => combinedReminderMessage(views(remindersPerMessage + 1))).toThrow();
    // One more would not fit: the validator refuses it (so the count is Block Kit's, not a guess).
    const oneMore = [...message.blocks, ...reminderPart(view(99))];
    expect(blockKitViolations("message", oneMore).join("\n")).toMatch(/50/);
  });

  it("stays within Block Kit's limits whatever state each part is in (all snoozed, all rotated, mixed)", () => {
    const parts = (after: (i: number) => ReminderAfterView | undefined) =>
      [{ type: "header", block_id: "reminder_header", text: { type: "plain_text", text: "x" } } as KnownBlock].concat(
        views(remindersPerMessage).flatMap((v, i) => reminderPart({ ...v, after: after(i) })),
      );
    for (const blocks of [
      parts(() => snoozed),
      parts(() => rotated),
      parts((i) => (i % 2 ? snoozed : undefined)),
      parts(() => ({ what: "superseded", at, now: null })),
    ]) {
      expect(blocks.length).toBeLessThanOrEqual(50);
      expect(blockKitViolations("message", blocks)).toEqual([]);
    }
  });

  it("gives each configuration its own block ids and buttons carrying its id, so each part's buttons act on it", () => {
    const all = views(remindersPerMessage);
    const { blocks } = combinedReminderMessage(all);
    const ids = blocks.map((b) => b.block_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of all) {
      const actions = blocks.find((b) => b.block_id === `reminder_actions.${v.subjectId}`) as Json | undefined;
      const values = ((actions?.elements ?? []) as Json[]).map((e) => [e.action_id, e.value]);
      expect(values).toEqual([
        ["keyward.reminder.rotate", v.subjectId],
        ["keyward.reminder.snooze", v.subjectId],
      ]);
      expect(blocks.filter((b) => reminderPartSubject(b.block_id) === v.subjectId)).toHaveLength(4);
    }
  });

  it("summarises every configuration in its top-level text, and mentions each person once", () => {
    const all = views(remindersPerMessage, { rotatedBy: "UROTATE01" });
    const { text } = combinedReminderMessage(all);
    expect(text).toMatch(/^12 integration keys to rotate/);
    for (const v of all) expect(text).toContain(`/${v.alias!.replace(/&/g, "&amp;").slice(0, 40)}`);
    expect(text).toContain("expires in 7 days (Jan 31, 2030)");
    expect(text.split("<@UROTATE01>")).toHaveLength(2);
    expect(text.length).toBeLessThanOrEqual(3100);
  });

  it("is the single reminder, unchanged, for one configuration (what older releases and their updates expect)", () => {
    expect(combinedReminderMessage([view(1)])).toEqual(reminderMessage(view(1)));
  });

  it("replaces one configuration's part and keeps the others, wherever it is", () => {
    const all = views(5);
    const { blocks } = combinedReminderMessage(all);
    const target = all[2]!;
    const replaced = replaceReminderPart(blocks, target.subjectId, reminderPart({ ...target, after: rotated }))!;
    const others = (list: KnownBlock[]) => list.filter((b) => reminderPartSubject(b.block_id) !== target.subjectId);
    expect(others(replaced)).toEqual(others(blocks));
    const part = replaced.filter((b) => reminderPartSubject(b.block_id) === target.subjectId);
    expect(JSON.stringify(part)).toContain("*Rotated* by <@UROTATOR1>");
    expect(part.some((b) => b.type === "actions")).toBe(false);
    // In its place: after the second configuration's part, before the fourth's.
    const order = [...new Set(replaced.map((b) => reminderPartSubject(b.block_id)).filter(Boolean))];
    expect(order).toEqual(all.map((v) => v.subjectId));
    expect(replaceReminderPart(blocks, "no-such-config", [])).toBeNull();
    expect(blockKitViolations("message", replaced)).toEqual([]);
  });
});
