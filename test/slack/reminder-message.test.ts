import { describe, expect, it } from "vitest";
import { plainDay, plainDayCacheSize } from "../../src/slack/views/format.ts";
import { reminderMessage, type ReminderMessageView } from "../../src/slack/views/reminder-message.ts";
import type { ReminderAfterView } from "../../src/slack/views/reminder-outcome.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";

type Json = Record<string, unknown>;

// The last millisecond of Jan 31, 2030 in Los Angeles: already Feb 1 in UTC.
const expiresAt = new Date("2030-02-01T07:59:59.999Z");
const configId = "0190a000-0000-7000-8000-0000000000c1";
const longestSlug = `g${"h".repeat(39)}`;
const longestAlias = `a${"l".repeat(63)}`;

const view = (over: Partial<ReminderMessageView> = {}): ReminderMessageView => ({
  subjectType: "integration",
  subjectId: configId,
  integration: "github",
  alias: "cortex-github",
  name: "github/cortex-github",
  last4: "abcd",
  isDefault: true,
  expiresAt,
  expiryTimeZone: "America/Los_Angeles",
  threshold: 7,
  ownerId: "UADDER001",
  rotatedBy: null,
  ...over,
});

const at = new Date("2030-01-24T17:30:00Z");
const rotated: ReminderAfterView = {
  what: "rotated",
  last4: "wxyz",
  expiresAt: new Date("2031-06-30T23:59:59.999Z"),
  expiryTimeZone: "UTC",
  at,
  by: { userId: "UROTATOR1", source: "slack" },
};
const snoozed: ReminderAfterView = { what: "snoozed", until: new Date("2030-01-25T17:30:00Z"), at, by: { userId: "USNOOZER1", source: "slack" } };
const deleted: ReminderAfterView = {
  what: "deleted",
  at,
  by: { userId: "key:0190a000-0000-7000-8000-0000000000k1", source: "api", keyLabel: "deploy-bot …DZSo" },
};

const blockOf = (blocks: unknown[], id: string) => (blocks as Json[]).find((b) => b.block_id === id);
const actionIdsOf = (blocks: unknown[]) => ((blockOf(blocks, "reminder_actions")?.elements as Json[] | undefined) ?? []).map((e) => e.action_id);

describe("the integration reminder", () => {
  it("says in its top-level text the integration, alias, expiry day (plain, in the chosen zone) and the action", () => {
    const { text } = reminderMessage(view());
    expect(text).toBe("github/cortex-github expires in 7 days, on Jan 31, 2030: rotate it with Rotate now (in place, no gap). <@UADDER001> added it.");
    // Notifications show text as it is: no <!date> token to render, no markup but the mention.
    expect(text).not.toContain("<!date");
    expect(reminderMessage(view({ expiryTimeZone: null })).text).toContain("on Feb 1, 2030 (UTC)");
    expect(reminderMessage(view({ daysLeft: -1, threshold: -1 })).text).toMatch(
      /^github\/cortex-github has expired \(Jan 31, 2030\): rotate it with Rotate now/,
    );
    expect(reminderMessage(view({ threshold: 0 })).text).toContain("expires today, on Jan 31, 2030");
  });

  it("mentions whoever last rotated it, else whoever added it, and never a program", () => {
    const byRotator = reminderMessage(view({ rotatedBy: "UROTATOR1" }));
    expect(byRotator.text).toContain("<@UROTATOR1> last rotated it.");
    expect(JSON.stringify(blockOf(byRotator.blocks, "reminder_facts"))).toContain("*Last rotated by:* <@UROTATOR1>");
    const programRotated = reminderMessage(view({ rotatedBy: "key:0190a000-0000-7000-8000-0000000000k1" }));
    expect(programRotated.text).toContain("<@UADDER001> added it.");
    expect(JSON.stringify(blockOf(programRotated.blocks, "reminder_facts"))).toContain("*Added by:* <@UADDER001>");
    const byPrograms = reminderMessage(view({ ownerId: "key:0190a000-0000-7000-8000-0000000000k2", rotatedBy: "key:0190a000-0000-7000-8000-0000000000k1" }));
    expect(byPrograms.text).not.toContain("<@");
    expect(JSON.stringify(byPrograms)).not.toMatch(/key:[0-9a-f]{8}-/);
    expect(JSON.stringify(byPrograms)).not.toContain("Added by");
  });

  it("escapes user text in the top-level text as in the blocks", () => {
    const odd = reminderMessage(view({ integration: "a&b", alias: "<!channel>" }));
    expect(odd.text).toContain("a&amp;b/&lt;!channel&gt;");
    expect(odd.text).not.toContain("<!channel>");
    expect(JSON.stringify(odd.blocks.filter((b) => b.type !== "header"))).not.toContain("<!channel>");
    for (const after of [rotated, snoozed, deleted]) {
      const updated = reminderMessage(view({ integration: "a&b", alias: "<!channel>", after }));
      expect(updated.text).toContain("a&amp;b/&lt;!channel&gt;");
      expect(JSON.stringify(updated.blocks.filter((b) => b.type !== "header"))).not.toContain("<!channel>");
    }
    const label = reminderMessage(view({ after: { ...deleted, by: { ...deleted.by, keyLabel: "ops<&>bot …DZSo" } } }));
    expect(label.text).toContain("ops&lt;&amp;&gt;bot");
    expect(JSON.stringify(label.blocks)).toContain("ops&lt;&amp;&gt;bot");
  });

  it("begins the steps with the fastest safe path, Rotate now, and keeps the four manual steps below it", () => {
    const steps = String((blockOf(reminderMessage(view()).blocks, "reminder_steps")!.text as Json).text);
    const order = [
      "*Fastest safe path: Rotate now* (in place, no gap)",
      "keeping the alias `cortex-github` and its default status",
      "*Or by hand:*",
      "1. Create a new key in *github*",
      "2. Note the alias",
      "3. Create a new configuration with the same alias",
      "4. Watch github",
    ].map((s) => steps.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(String((blockOf(reminderMessage(view({ isDefault: false })).blocks, "reminder_steps")!.text as Json).text)).not.toContain("default status");
    expect(actionIdsOf(reminderMessage(view()).blocks)).toEqual(["keyward.reminder.rotate", "keyward.reminder.snooze"]);
  });
});

describe("the integration reminder, updated in place", () => {
  it("after a rotation: who, when, the new secret's last 4 and expiry; no steps, no buttons", () => {
    const { text, blocks } = reminderMessage(view({ after: rotated }));
    expect(text).toBe("github/cortex-github was rotated by <@UROTATOR1> on 2030-01-24 17:30 UTC: the new secret …wxyz expires on Jun 30, 2031. Nothing to do.");
    const outcome = JSON.stringify(blockOf(blocks, "reminder_outcome"));
    expect(outcome).toContain("*Rotated* by <@UROTATOR1>");
    expect(outcome).toContain(`<!date^${at.getTime() / 1000}^`);
    expect(outcome).toContain("`…wxyz`");
    expect(JSON.stringify(blockOf(blocks, "reminder_was"))).toContain("`…abcd`");
    expect(blockOf(blocks, "reminder_actions")).toBeUndefined();
    expect(blockOf(blocks, "reminder_steps")).toBeUndefined();
  });

  it("after a snooze: until when, and Rotate now stays", () => {
    const { text, blocks } = reminderMessage(view({ after: snoozed }));
    expect(text).toBe(
      "github/cortex-github expires on Jan 31, 2030: snoozed by <@USNOOZER1> until 2030-01-25 17:30 UTC; rotate it with Rotate now (in place, no gap).",
    );
    expect(JSON.stringify(blockOf(blocks, "reminder_outcome"))).toContain(`no sooner than <!date^${snoozed.until.getTime() / 1000}^`);
    expect(actionIdsOf(blocks)).toEqual(["keyward.reminder.rotate", "keyward.reminder.snooze"]);
    expect(JSON.stringify(blockOf(blocks, "reminder_actions"))).toContain(configId);
    expect(blockOf(blocks, "reminder_steps")).toBeDefined();
  });

  it("after a deletion by a program: its key by name, never its id; no buttons", () => {
    const { text, blocks } = reminderMessage(view({ after: deleted }));
    expect(text).toBe("github/cortex-github was deleted by API key deploy-bot …DZSo on 2030-01-24 17:30 UTC: nothing left to rotate.");
    expect(JSON.stringify(blockOf(blocks, "reminder_outcome"))).toContain("*Deleted* by API key *deploy-bot …DZSo* over the REST API");
    expect(JSON.stringify({ text, blocks })).not.toMatch(/key:[0-9a-f]{8}-/);
    expect(blockOf(blocks, "reminder_actions")).toBeUndefined();
    const unnamed = reminderMessage(view({ after: { ...deleted, by: { userId: deleted.by.userId, source: "api" } } }));
    expect(unnamed.text).toContain("deleted by a program on");
    expect(JSON.stringify(unnamed)).not.toMatch(/key:[0-9a-f]{8}-/);
  });

  it("escapes the last 4 in its facts, posted and snoozed", () => {
    for (const after of [undefined, snoozed]) {
      const facts = JSON.stringify(blockOf(reminderMessage(view({ last4: "<&>1", after })).blocks, "reminder_facts"));
      expect(facts).toContain("*Last 4:* `…&lt;&amp;&gt;1`");
      expect(facts).not.toContain("<&>");
    }
  });

  it("rotated or deleted while it was being posted: what it is now, who and when left unsaid; no steps, no buttons", () => {
    const rotatedMeanwhile = reminderMessage(
      view({ after: { what: "superseded", at, now: { last4: "<&>1", expiresAt: new Date("2031-06-30T23:59:59.999Z"), expiryTimeZone: "UTC" } } }),
    );
    expect(rotatedMeanwhile.text).toBe(
      "github/cortex-github was rotated while this reminder was being posted: the secret is now …&lt;&amp;&gt;1 and expires on Jun 30, 2031. Nothing to do.",
    );
    expect(JSON.stringify(blockOf(rotatedMeanwhile.blocks, "reminder_outcome"))).toContain("*Rotated* while this reminder was being posted");
    expect(JSON.stringify(blockOf(rotatedMeanwhile.blocks, "reminder_was"))).toContain("`…abcd`");
    const deletedMeanwhile = reminderMessage(view({ after: { what: "superseded", at, now: null } }));
    expect(deletedMeanwhile.text).toBe("github/cortex-github was deleted while this reminder was being posted: nothing left to rotate.");
    for (const m of [rotatedMeanwhile, deletedMeanwhile]) {
      expect(blockOf(m.blocks, "reminder_actions")).toBeUndefined();
      expect(blockOf(m.blocks, "reminder_steps")).toBeUndefined();
      expect(blockKitViolations("message", m.blocks)).toEqual([]);
    }
  });

  it.each([
    ["posted", undefined],
    ["rotated", rotated],
    ["snoozed", snoozed],
    ["deleted", deleted],
  ] as const)("stays within Block Kit at its extremes (%s)", (_label, after) => {
    const message = reminderMessage(
      view({ integration: longestSlug, alias: longestAlias, name: `${longestSlug}/${longestAlias}`, after, note: after ? undefined : "n".repeat(2000) }),
    );
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    expect(message.text.length).toBeGreaterThan(0);
    expect(message.text.length).toBeLessThanOrEqual(4000);
  });
});

describe("plainDay", () => {
  it("keeps one format per zone, however the zone's name is spelled", () => {
    const day = plainDay(expiresAt, "Asia/Kathmandu");
    const size = plainDayCacheSize();
    for (const spelling of ["asia/kathmandu", "ASIA/KATHMANDU", "Asia/kathmandu", "aSIA/kATHMANDU"]) expect(plainDay(expiresAt, spelling)).toBe(day);
    expect(plainDayCacheSize()).toBe(size);
  });
});
