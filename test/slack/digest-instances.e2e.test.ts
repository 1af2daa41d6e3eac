// Two keyward instances on one PostgreSQL, each with its own pool, ledger and Slack client, run
// their digest passes at once: the real app through the fake Slack, and a second instance beside
// it. Each workspace's digest is posted once; a restarted instance posts nothing more that week.
import { randomBytes, randomUUID } from "node:crypto";
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { DigestService } from "../../src/domain/digest-service.ts";
import { createLogger } from "../../src/logger.ts";
import { createSlackDigestNotifier } from "../../src/reminders/slack-digest-notifier.ts";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { instanceContext } from "../support/instance-context.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

describe.runIf(databaseKinds().includes("postgres"))("the weekly digest with two instances on one PostgreSQL", () => {
  const clock = new ManualClock(new Date("2026-11-25T15:00:00Z"));
  const channel = "C0TWINDIG";
  let db: TestDatabase;
  let other: Database;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    app = await startTestApp({ clock, databaseUrl: db.url! });
    other = await openDatabase({ databaseUrl: db.url! });
    app.addUser({ id: "UTWINADM", isAdmin: true });
    app.fake.addChannel({ id: channel, name: "twins", members: ["UTWINADM"], botIsMember: true });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await other?.close();
    await db?.close();
  });

  /** Another instance: its own connection pool, instance id and Slack client (nothing shared in memory). */
  const secondInstance = () => {
    const client = new WebClient(app.fake.token, { slackApiUrl: app.fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    return new DigestService({
      ...instanceContext(other, { clock, pepper: randomBytes(32), seed: randomUUID() }),
      digestNotifier: createSlackDigestNotifier(async () => client, createLogger("silent")),
    });
  };

  it("posts the digest once, whichever instance claims it, and not again after a restart", async () => {
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UTWINADM", { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.digests.setSettings(admin, { channel, weekday: 1, hour: 9, timeZone: "America/New_York", appId: null });
    const second = secondInstance();
    const since = app.fake.mark();
    clock.set("2026-11-30T14:00:00Z");
    const reports = await Promise.all([app.keyward.services.digests.runPass(), second.runPass(), app.keyward.services.digests.runPass(), second.runPass()]);
    expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(1);
    const posts = () => app.fake.callsSince(since, "chat.postMessage").filter((c) => c.args.channel === channel && c.response.ok);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.violations).toEqual([]);
    // A restart of either: a new instance id, the same ledger.
    clock.set("2026-12-02T10:00:00Z");
    expect(await Promise.all([secondInstance().runPass(), app.keyward.services.digests.runPass()])).toMatchObject([{ claimed: 0 }, { claimed: 0 }]);
    expect(posts()).toHaveLength(1);
    expect(await db.prisma.digestDelivery.findMany({ select: { week: true, status: true } })).toEqual([{ week: "2026-W49", status: "sent" }]);
  });
});
