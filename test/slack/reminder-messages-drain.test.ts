import { Writable } from "node:stream";
import type { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import type { ReminderMessageChange } from "../../src/domain/reminder-messages.ts";
import type { PostedReminder } from "../../src/domain/reminder-types.ts";
import { createLogger } from "../../src/logger.ts";
import { createSlackReminderMessages } from "../../src/reminders/slack-reminder-messages.ts";

const change = (subjectId: string): ReminderMessageChange => ({
  what: "deleted",
  workspaceId: "T0DRAIN01",
  subjectType: "integration",
  subjectId,
  subject: {
    integration: "github",
    alias: "drain",
    last4: "abcd",
    isDefault: false,
    expiresAt: new Date("2026-12-31T23:59:59.999Z"),
    expiryTimeZone: "UTC",
    createdBy: "U0OWNER01",
    rotatedBy: null,
  },
  at: new Date("2026-12-24T09:00:00Z"),
  by: { userId: "U0OWNER01", source: "slack" },
});

/** A Slack whose chat.update never answers, and a ledger that counts what it was asked. */
function setUp() {
  const lines: string[] = [];
  const write = (chunk: unknown, _enc: unknown, done: () => void) => {
    lines.push(String(chunk));
    done();
  };
  const logger = createLogger("debug", new Writable({ write }));
  let updating: () => void = () => undefined;
  const updateStarted = new Promise<void>((resolve) => (updating = resolve));
  const update = () => {
    updating();
    return new Promise(() => {});
  };
  const client = { chat: { update } } as unknown as WebClient;
  const asked: string[] = [];
  const note = <T>(what: string, answer: T): T => {
    asked.push(what);
    return answer;
  };
  const message: PostedReminder = { deliveryId: "d1", channel: "C0REMIND", ts: "1.0001", expiresAt: new Date("2026-12-31T23:59:59.999Z"), threshold: 7 };
  const ledger = {
    postedMessages: async () => note("posted", [message]),
    settleMessages: async () => note("settle", [message]),
    deferUpdate: async () => void note("defer", undefined),
    takeDeferredUpdates: async () => note("take", []),
  };
  const messages = createSlackReminderMessages(client, ledger, logger, { drainTimeoutMs: 50 });
  return { messages, asked, lines, updateStarted };
}

describe("reminder message updates at shutdown", () => {
  it("drain gives up on an update Slack never answers after its deadline", async () => {
    const { messages, lines, updateStarted } = setUp();
    void messages.refresh(change("cfg-hanging"));
    await updateStarted;
    const started = Date.now();
    await messages.drain();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lines.some((l) => l.includes("still waiting on Slack"))).toBe(true);
  });

  it("once draining, refresh and retries touch neither the ledger nor Slack", async () => {
    const { messages, asked, lines } = setUp();
    await messages.drain();
    await messages.refresh(change("cfg-after-close"));
    await messages.retryDeferred!();
    expect(asked).toEqual([]);
    expect(lines.some((l) => l.includes("cfg-after-close") && l.includes("shutting down: reminder messages not updated"))).toBe(true);
  });
});
