import { describe, expect, it } from "vitest";
import { createKeyModal } from "../../src/slack/views/create-key-modal.ts";
import { keySnoozedMessage } from "../../src/slack/views/key-reminder-notices.ts";
import { reminderMessage, type ReminderMessageView } from "../../src/slack/views/reminder-message.ts";
import { parseRollKeyModal, rollKeyModal } from "../../src/slack/views/roll-key-modal.ts";
import { secretMessage } from "../../src/slack/views/secret-message.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";

const keyId = "0190a000-0000-7000-8000-00000000abcd";
/** What the Done-when greps every call sent to Slack for. */
const legacyKeyValue = /key:[0-9a-f]{8}-/;

const apiKeyReminder = (overrides: Partial<ReminderMessageView> = {}): ReminderMessageView => ({
  subjectType: "api_key",
  subjectId: keyId,
  integration: null,
  alias: null,
  name: "deploy-bot <&>",
  last4: "DZSo",
  isDefault: false,
  expiresAt: new Date("2027-03-01T23:59:59.999Z"),
  threshold: 3,
  ownerId: "U0OWNER01",
  ...overrides,
});

type Json = Record<string, unknown>;
const buttonsOf = (blocks: unknown[]) =>
  ((blocks as Json[]).find((b) => b.block_id === "reminder_actions")!.elements as Json[]).map((e) => ({
    action: e.action_id,
    text: (e.text as Json).text,
    value: e.value,
  }));

describe("API-key reminders", () => {
  it("offer Roll now and a working Snooze while the key works, and say what each does", () => {
    const message = reminderMessage(apiKeyReminder());
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    expect(buttonsOf(message.blocks)).toEqual([
      { action: "keyward.reminder.rotate", text: "Roll now", value: `apikey.${keyId}` },
      { action: "keyward.reminder.snooze", text: "Snooze", value: `apikey.${keyId}` },
    ]);
    const text = JSON.stringify(message);
    expect(text).not.toMatch(legacyKeyValue);
    expect(text).toContain("*Roll now* opens the roll form");
    expect(text).toContain("a new expiry");
    expect(text).toContain("*Snooze* puts this key's next reminder off by a day");
    expect(text).toContain("deploy-bot &lt;&amp;&gt;");
  });

  it("offer only Create a replacement once the key has expired (an expired key cannot be rolled, nothing is left to snooze)", () => {
    for (const view of [apiKeyReminder({ threshold: -1 }), apiKeyReminder({ threshold: 0, daysLeft: -1 })]) {
      const message = reminderMessage(view);
      expect(blockKitViolations("message", message.blocks)).toEqual([]);
      expect(buttonsOf(message.blocks)).toEqual([{ action: "keyward.reminder.rotate", text: "Create a replacement", value: `apikey.${keyId}` }]);
      expect(JSON.stringify(message)).toContain("*Create a replacement* opens the create form filled in with this key's name, role, kind and description");
      expect(JSON.stringify(message)).not.toContain("Snooze");
    }
  });

  it("keep an integration's buttons and bare configuration id", () => {
    const message = reminderMessage({ ...apiKeyReminder(), subjectType: "integration", integration: "github", alias: "cortex-github", isDefault: true });
    expect(buttonsOf(message.blocks)).toEqual([
      { action: "keyward.reminder.rotate", text: "Rotate now", value: keyId },
      { action: "keyward.reminder.snooze", text: "Snooze", value: keyId },
    ]);
  });

  it("answer Snooze with when the next one comes, or for an expired key with a way to replace it", () => {
    const snoozed = keySnoozedMessage({ id: keyId, name: "deploy-bot <&>", last4: "DZSo", until: new Date("2027-02-27T10:00:00Z") });
    expect(blockKitViolations("message", snoozed.blocks)).toEqual([]);
    expect(snoozed.text).toBe(
      "Snoozed *deploy-bot &lt;&amp;&gt;* (`…DZSo`): its next reminder comes no sooner than <!date^1803722400^{date_short_pretty} {time}|2027-02-27 10:00 UTC>.",
    );
    const expired = keySnoozedMessage({ id: keyId, name: "deploy-bot", last4: "DZSo", until: null });
    expect(blockKitViolations("message", expired.blocks)).toEqual([]);
    expect(expired.text).toContain("has expired, so no reminder is left to snooze");
    expect(buttonsOf(expired.blocks)).toEqual([{ action: "keyward.reminder.rotate", text: "Create a replacement", value: `apikey.${keyId}` }]);
    // Nothing moved (a rolled key has no reminder left, or the next one comes later anyway): said so, not "Snoozed".
    const rolled = keySnoozedMessage({
      id: keyId,
      name: "deploy-bot",
      last4: "DZSo",
      until: new Date("2027-02-27T10:00:00Z"),
      snoozed: false,
      replacedBy: keyId,
    });
    expect(blockKitViolations("message", rolled.blocks)).toEqual([]);
    expect(rolled.text).toBe(
      "Nothing changed: no reminder of *deploy-bot* (`…DZSo`) is left to snooze. It was rolled; its replacement has reminders of its own.",
    );
    const later = keySnoozedMessage({
      id: keyId,
      name: "deploy-bot",
      last4: "DZSo",
      until: new Date("2027-02-27T10:00:00Z"),
      snoozed: false,
      replacedBy: null,
    });
    expect(later.text).toContain("no reminder of *deploy-bot* (`…DZSo`) is left to snooze. None comes before <!date^1803722400^");
  });
});

describe("the roll form", () => {
  const view = rollKeyModal({
    name: "W".repeat(64),
    last4: "abcd",
    roleName: "R".repeat(40),
    expiresAt: new Date("2027-01-31T22:59:59.999Z"),
    defaultDay: "2027-04-20",
    lifetimeDays: 65,
    timeZone: "America/Argentina/ComodRivadavia",
    privateMetadata: "{}",
  });

  it("asks for the replacement's expiry day, suggesting the old lifetime again in the roller's zone", () => {
    expect(blockKitViolations("modal", view)).toEqual([]);
    const expiry = (view.blocks as unknown as Json[]).find((b) => b.block_id === "expires_on")!;
    expect(expiry.element).toMatchObject({ type: "datepicker", action_id: "value", initial_date: "2027-04-20" });
    expect((expiry.hint as Json).text).toBe(
      "Suggested: 65 days from today, this key's lifetime again. 23:59:59 on that day in your time zone (America/Argentina/ComodRivadavia).",
    );
    expect(JSON.stringify(view)).not.toContain("same name, role, kind and expiry");
  });

  it("reads the day and grace in the roller's zone; errors are keyed by the form's blocks", () => {
    const values = (day: string | null, grace: string | null) => ({
      expires_on: { value: { type: "datepicker", selected_date: day } },
      grace: { value: { type: "static_select", selected_option: grace === null ? null : { value: grace } } },
    });
    expect(parseRollKeyModal(values("2027-06-30", "24"), "Europe/Paris")).toEqual({
      ok: true,
      input: { graceHours: 24, expiresOn: "2027-06-30", timeZone: "Europe/Paris" },
    });
    expect(parseRollKeyModal(values(null, null), "UTC")).toEqual({ ok: false, errors: { grace: expect.any(String), expires_on: expect.any(String) } });
    expect(parseRollKeyModal(values("2027-02-30", "24"), "UTC")).toEqual({ ok: false, errors: { expires_on: expect.any(String) } });
    expect(parseRollKeyModal(values("2027-06-30", "24"), "Not/AZone")).toEqual({ ok: false, errors: { expires_on: expect.any(String) } });
  });
});

describe("the create form, filled in from an expired key", () => {
  const roles = [
    { id: "r-viewer", name: "Viewer" },
    { id: "r-admin", name: "Admin" },
  ];
  const prefill = {
    name: "deploy-bot",
    description: "ships <it>",
    roleId: "r-admin",
    roleName: "Admin",
    kind: "personal" as const,
    replaces: { last4: "DZSo", expiresAt: new Date("2027-01-31T22:59:59.999Z") },
  };

  it("carries the name, role, kind and description, and says what it replaces", () => {
    const view = createKeyModal({ roles, kinds: ["service", "personal"], defaultDay: "2027-05-01", timeZone: "UTC", privateMetadata: "{}", prefill });
    expect(blockKitViolations("modal", view)).toEqual([]);
    const block = (id: string) => (view.blocks as unknown as Json[]).find((b) => b.block_id === id)!;
    expect(block("name").element).toMatchObject({ initial_value: "deploy-bot" });
    expect(block("description").element).toMatchObject({ initial_value: "ships <it>" });
    expect(block("role").element).toMatchObject({ initial_option: { value: "r-admin" } });
    expect(block("kind").element).toMatchObject({ initial_option: { value: "personal" } });
    expect(block("expires_on").element).toMatchObject({ initial_date: "2027-05-01" });
    expect(JSON.stringify(block("replaces"))).toContain("*deploy-bot* (`…DZSo`) expired <!date^");
  });

  it("leaves the role to choose, and says why, when the person cannot grant the old one", () => {
    const view = createKeyModal({
      roles: roles.slice(0, 1),
      kinds: ["personal"],
      defaultDay: "2027-05-01",
      timeZone: "UTC",
      privateMetadata: "{}",
      prefill: { ...prefill, kind: "service" },
    });
    expect(blockKitViolations("modal", view)).toEqual([]);
    const block = (id: string) => (view.blocks as unknown as Json[]).find((b) => b.block_id === id)!;
    expect(block("role").element).not.toHaveProperty("initial_option");
    expect(block("kind").element).toMatchObject({ initial_option: { value: "personal" } });
    expect(JSON.stringify(block("replaces"))).toContain("Its role, Admin, grants more than you hold");
  });
});

it("the secret message of a roll says the new expiry", () => {
  const message = secretMessage({
    name: "deploy-bot",
    roleName: "Viewer",
    kind: "service",
    expiresAt: new Date("2027-06-30T23:59:59.999Z"),
    secret: `kw_${"a".repeat(40)}`,
    replaces: { last4: "DZSo", worksUntil: new Date("2027-01-21T15:00:00Z") },
  });
  expect(blockKitViolations("message", message.blocks)).toEqual([]);
  expect(JSON.stringify(message.blocks)).toContain("The new key expires <!date^1814399999^");
});
