import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { startFakeSlack, type FakeSlack, type RecordedCall } from "../support/fake-slack.ts";
import { packageScript } from "../support/package-script.ts";
import { databaseKinds } from "../support/test-database.ts";

const root = new URL("../..", import.meta.url).pathname;
const reminders = packageScript("reminders");
const token = "xoxb-reminder-kill";
/** Two configurations per channel: each channel's pair goes out as one combined message, ten posts in all. */
const channels = Array.from({ length: 10 }, (_, i) => `C0KILLRE${i}`);

/**
 * Rule 10 under SIGKILL: `npm run reminders` is killed in the middle of a pass (posts in flight at
 * Slack, combined messages of two configurations among them), then run again; every reminder
 * reaches its channel exactly once.
 */
describe.runIf(databaseKinds().includes("postgres"))("a reminder pass killed half-way", () => {
  let f: DomainFixture;
  let fake: FakeSlack;
  beforeAll(async () => {
    f = await createDomainFixture("postgres");
    fake = await startFakeSlack({ token });
    for (const channel of channels) fake.addChannel({ id: channel, members: [], botIsMember: true });
  });
  afterAll(async () => {
    await fake?.close();
    await f?.close();
  });

  function runPass() {
    const child = spawn(reminders.command, reminders.args, {
      cwd: root,
      stdio: "ignore",
      env: {
        ...process.env,
        DATABASE_URL: f.db.url!,
        KEYWARD_PEPPER: "d".repeat(64),
        KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 5).toString("base64")}`,
        SLACK_BOT_TOKEN: token,
        SLACK_API_URL: fake.url,
        LOG_LEVEL: "warn",
      },
    });
    return { child, exited: new Promise<number | null>((r) => child.once("exit", (code) => r(code))) };
  }

  it("loses and duplicates nothing", async () => {
    // Twenty configurations, added ten days ago, expiring four days from the real now: the 7-day threshold is due.
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    f.clock.set(new Date(Date.now() - 10 * 86_400_000));
    const day = new Date(Date.now() + 4 * 86_400_000).toISOString().slice(0, 10);
    for (let i = 0; i < 20; i++) {
      await f.services.integrations.add(admin, "github", {
        alias: `kill-${String(i).padStart(2, "0")}`,
        secret: `ghp_${"k".repeat(36)}`,
        expiresOn: day,
        timeZone: "UTC",
        reminderChannel: channels[i % channels.length],
      });
    }
    // Slack takes 250 ms per post; the first pass dies after five of its ten posts, others in flight.
    fake.failNext("chat.postMessage", { delayMs: 250, times: 1000 });
    const first = runPass();
    const deadline = Date.now() + 60_000;
    while (fake.callsTo("chat.postMessage").length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 120)); // mid-way through the next post
    const postedBeforeKill = fake.callsTo("chat.postMessage").length;
    first.child.kill("SIGKILL");
    await first.exited;
    await new Promise((r) => setTimeout(r, 1500)); // the in-flight post lands at Slack
    // The claims' lease runs out: it is measured on the database's clock, so age the claims there.
    await f.db.prisma.$executeRawUnsafe(`UPDATE "ReminderDelivery" SET "claimedAt" = "claimedAt" - interval '1 hour' WHERE status = 'pending'`);
    const second = runPass();
    expect(await second.exited).toBe(0);
    const aliasesOf = (call: RecordedCall) => new Set(JSON.stringify(call.args).match(/kill-\d{2}/g) ?? []);
    const perAlias = new Map<string, number>();
    for (const call of fake.callsTo("chat.postMessage").filter((c) => c.response.ok)) {
      // A combined message names each of its configurations (in its text and blocks): count each once per post.
      for (const alias of aliasesOf(call)) perAlias.set(alias, (perAlias.get(alias) ?? 0) + 1);
    }
    // Killed half-way indeed: the second pass had posts left to make.
    expect(postedBeforeKill).toBeGreaterThanOrEqual(5);
    expect(postedBeforeKill).toBeLessThan(channels.length);
    // Each channel's pair went out as one combined message.
    expect(fake.callsTo("chat.postMessage").some((c) => c.response.ok && aliasesOf(c).size === 2)).toBe(true);
    expect(perAlias.size).toBe(20);
    expect([...perAlias.values()].every((n) => n === 1)).toBe(true);
    expect(await f.db.prisma.reminderDelivery.count({ where: { status: "sent" } })).toBe(20);
  }, 120_000);
});
