import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaReminderRepository } from "../../src/db/prisma-reminder-repository.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { ReminderService } from "../../src/domain/reminder-service.ts";
import { ChannelPacer } from "../../src/domain/channel-pacer.ts";
import type { BeforePost, PaceFn, ReminderClaim, ReminderNotifier, ReminderOutcome } from "../../src/domain/reminder-types.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { databaseKinds } from "../support/test-database.ts";

const days = [30, 14, 7, 3, 1, 0];

/** Records deliveries; answers with whatever the test queues (default: sent). */
class RecordingNotifier implements ReminderNotifier {
  delivered: Array<{ subject: string; threshold: number }> = [];
  answers: Array<ReminderOutcome | Error | "hang"> = [];
  /** Subjects Slack refuses for a passing reason (an outage), whatever else is queued. */
  down = new Set<string>();
  async deliver(claim: ReminderClaim): Promise<ReminderOutcome> {
    if (this.down.has(claim.subject.name)) return { status: "retry", error: "service_unavailable" };
    const answer = this.answers.shift();
    if (answer === "hang") return new Promise(() => {});
    if (answer instanceof Error) throw answer;
    if (answer && answer.status !== "sent") return answer;
    this.delivered.push({ subject: claim.subject.name, threshold: claim.threshold });
    return { status: "sent", channel: claim.subject.channel ?? "D1", ts: String(this.delivered.length) };
  }
}

/**
 * Posts a channel's reminders as messages of up to `maxPerMessage` (through the pass's pace);
 * `limitAt` answers those posts (counted from 1) with a 429; `before` runs before a post.
 */
class BatchingNotifier extends RecordingNotifier {
  messages: Array<{ workspace: string; channel: string; subjects: string[] }> = [];
  limitAt = new Set<number>();
  before?: (n: number) => Promise<void>;
  posts = 0;
  constructor(readonly maxPerMessage = 5) {
    super();
  }
  async deliverMany(claims: ReminderClaim[], pace: PaceFn): Promise<ReminderOutcome[]> {
    const n = ++this.posts;
    await this.before?.(n);
    return pace(async () => {
      if (this.limitAt.has(n)) return claims.map((): ReminderOutcome => ({ status: "retry", error: "ratelimited", rateLimited: true }));
      const first = claims[0]!.subject;
      this.messages.push({ workspace: first.workspaceId, channel: first.channel!, subjects: claims.map((c) => c.subject.name) });
      for (const c of claims) this.delivered.push({ subject: c.subject.name, threshold: c.threshold });
      return claims.map((): ReminderOutcome => ({ status: "sent", channel: first.channel!, ts: `m${n}` }));
    });
  }
}

/** Pacing on a clock that moves only when the pacer sleeps: no real waiting in these tests. */
const fakePacer = () => {
  let at = 0;
  const sleep = async (ms: number) => {
    at += ms;
  };
  return new ChannelPacer(1_000, { now: () => at, sleep });
};

describe.each(databaseKinds())("reminder passes on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  function service(notifier: ReminderNotifier) {
    return new ReminderService({ ...f.ctx, reminderNotifier: notifier, reminderDays: days, reminderPacer: fakePacer() });
  }

  /** `count` configurations of one new workspace, all in `channel`, expiring on `expiresOn`. */
  async function addMany(prefix: string, count: number, channel: string, expiresOn = "2026-12-20") {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    for (let i = 0; i < count; i++) {
      await f.services.integrations.add(admin, "github", {
        alias: `${prefix}-${String(i).padStart(2, "0")}`,
        secret: `ghp_${"y".repeat(36)}`,
        expiresOn,
        timeZone: "UTC",
        reminderChannel: channel,
      });
    }
    return { ws, admin };
  }

  /** Time passes on the database's clock, which leases are measured on: the pending claims grow older. */
  async function ageClaims(ms: number) {
    await f.db.prisma.$executeRawUnsafe(
      `UPDATE "ReminderDelivery" SET "claimedAt" = "claimedAt" - $1::int * interval '1 millisecond' WHERE status = 'pending'`,
      ms,
    );
  }

  /** Slack has been refusing for longer, on the database's clock, which giving up is timed on. */
  async function ageFailures(ms: number) {
    await f.db.prisma.$executeRawUnsafe(
      `UPDATE "ReminderDelivery" SET "firstFailedAt" = "firstFailedAt" - $1::int * interval '1 millisecond' WHERE status = 'retry'`,
      ms,
    );
  }

  async function ledgerOf(alias: string, threshold: number) {
    const config = await f.db.prisma.integrationConfig.findFirstOrThrow({ where: { alias } });
    return f.db.prisma.reminderDelivery.findFirstOrThrow({ where: { subjectId: config.id, threshold } });
  }

  const delivered = (notifier: RecordingNotifier, subject: string) => notifier.delivered.filter((d) => d.subject === subject).map((d) => d.threshold);

  async function addConfig(alias: string, expiresOn: string, channel = "C0REMIND") {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.integrations.add(admin, "github", { alias, secret: `ghp_${"x".repeat(36)}`, expiresOn, timeZone: "UTC", reminderChannel: channel });
    return { ws, admin };
  }

  it("posts each threshold exactly once as time passes, then once when expired", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addConfig("cortex-github", "2027-01-31");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    // Walk the clock in 6-hour steps from now to past the expiry, running a pass each time (and twice sometimes).
    for (let t = Date.parse("2026-11-27T15:00:00Z"); t <= Date.parse("2027-02-03T00:00:00Z"); t += 6 * 3600_000) {
      f.clock.set(new Date(t));
      await reminders.runPass();
      if (t % (5 * 3600_000) === 0) await reminders.runPass();
    }
    const mine = notifier.delivered.filter((d) => d.subject === "github/cortex-github");
    expect(mine.map((d) => d.threshold)).toEqual([30, 14, 7, 3, 1, 0, -1]);
  });

  it("after downtime posts only the most urgent due threshold", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addConfig("after-downtime", "2027-01-31");
    const notifier = new RecordingNotifier();
    f.clock.set("2027-01-30T10:00:00Z"); // 30, 14, 7, 3 and 1 are all due now
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/after-downtime").map((d) => d.threshold)).toEqual([1]);
    f.clock.set("2027-02-05T00:00:00Z");
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/after-downtime").map((d) => d.threshold)).toEqual([1, -1]);
  });

  it("retries a reminder Slack refused for a passing reason on a later pass, once", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addConfig("flaky", "2026-12-10");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    f.clock.set("2026-12-03T12:00:00Z"); // the 7-day threshold is due
    notifier.answers.push({ status: "retry", error: "ratelimited" }, new Error("socket hang up"));
    await reminders.runPass();
    f.clock.advance(60_000);
    await reminders.runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/flaky")).toEqual([]);
    f.clock.advance(60_000);
    const report = await reminders.runPass();
    expect(report.sent).toBeGreaterThanOrEqual(1);
    f.clock.advance(60_000);
    await reminders.runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/flaky").map((d) => d.threshold)).toEqual([7]);
    const ledger = await f.db.prisma.reminderDelivery.findMany({ where: { status: "sent" } });
    expect(ledger.filter((l) => l.threshold === 7).length).toBeGreaterThan(0);
  });

  it("a pass that died mid-delivery is taken over after the lease, without a duplicate", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addConfig("crashed", "2026-12-20");
    f.clock.set("2026-12-06T01:00:00Z"); // the 14-day threshold
    const dying = new RecordingNotifier();
    dying.answers.push("hang");
    void service(dying).runPass(); // this "process" never finishes its delivery
    await new Promise((r) => setTimeout(r, 300));
    const survivor = new RecordingNotifier();
    await service(survivor).runPass(); // within the lease: the claim is not taken
    expect(survivor.delivered.filter((d) => d.subject === "github/crashed")).toEqual([]);
    f.clock.advance(3 * 60_000); // this instance's clock runs ahead (or jumps): the lease is the database's, so still not taken
    await service(survivor).runPass();
    expect(survivor.delivered.filter((d) => d.subject === "github/crashed")).toEqual([]);
    await ageClaims(3 * 60_000); // the lease runs out on the database's clock
    await service(survivor).runPass();
    await service(survivor).runPass();
    expect(survivor.delivered.filter((d) => d.subject === "github/crashed").map((d) => d.threshold)).toEqual([14]);
  });

  it("a slow pass does not post what another pass took over meanwhile", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const { admin } = await addConfig("slow-a", "2026-12-25");
    await f.services.integrations.add(admin, "github", {
      alias: "slow-b",
      secret: `ghp_${"x".repeat(36)}`,
      expiresOn: "2026-12-25",
      timeZone: "UTC",
      reminderChannel: "C0REMIND",
    });
    f.clock.set("2026-12-11T01:00:00Z"); // the 14-day threshold of both
    // Pass A claims both, posts slow-a, then stalls (a long queue, a slow database) before slow-b.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new PrismaReminderRepository(f.db.prisma);
    let renewals = 0;
    const stalling = Object.assign(Object.create(inner) as PrismaReminderRepository, {
      renew: async (id: string, instance: string) => {
        if (renewals++ === 1) await gate;
        return inner.renew(id, instance);
      },
    });
    const slow = new RecordingNotifier();
    const stuck = new ReminderService({ store: { reminders: stalling }, reminderNotifier: slow, clock: f.clock, reminderDays: days }).runPass();
    await new Promise((r) => setTimeout(r, 300));
    await ageClaims(5 * 60_000); // longer than the lease: pass B takes slow-b over
    const other = new RecordingNotifier();
    await service(other).runPass();
    release();
    await stuck;
    const posts = [...slow.delivered, ...other.delivered]
      .filter((d) => d.subject.startsWith("github/slow-"))
      .map((d) => d.subject)
      .sort();
    expect(posts).toEqual(["github/slow-a", "github/slow-b"]);
  });

  it("starts a fresh schedule after an in-place rotation, and forgets deleted configurations", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const { admin } = await addConfig("rotated", "2026-12-05");
    const notifier = new RecordingNotifier();
    f.clock.set("2026-12-03T00:00:00Z");
    await service(notifier).runPass();
    await f.services.integrations.update(admin, "github", "rotated", { secret: `ghp_${"y".repeat(36)}`, expiresOn: "2027-06-30", timeZone: "UTC" });
    f.clock.set("2026-12-10T00:00:00Z"); // the old expiry has passed: nothing about it is posted
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/rotated").map((d) => d.threshold)).toEqual([3]);
    f.clock.set("2027-06-23T00:00:00Z");
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/rotated").map((d) => d.threshold)).toEqual([3, 7]);
    await f.services.integrations.delete(admin, "github", "rotated");
    f.clock.set("2027-07-05T00:00:00Z");
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject === "github/rotated")).toHaveLength(2);
  });

  it("a configuration added with its expiry inside a reminder window is reminded on the next pass", async () => {
    f.clock.set("2026-12-08T15:00:00Z");
    const { admin } = await addConfig("added-late", "2026-12-10"); // 2 days left: the 3-day threshold is due
    const notifier = new RecordingNotifier();
    await service(notifier).runPass();
    expect(delivered(notifier, "github/added-late")).toEqual([3]);
    f.clock.set("2026-12-09T00:00:00Z");
    await service(notifier).runPass();
    expect(delivered(notifier, "github/added-late")).toEqual([3, 1]);
    // Rotated in place to an expiry 5 days ahead: the 7-day threshold of the new expiry, at once.
    await f.services.integrations.update(admin, "github", "added-late", { secret: `ghp_${"w".repeat(36)}`, expiresOn: "2026-12-14", timeZone: "UTC" });
    await service(notifier).runPass();
    await service(notifier).runPass();
    expect(delivered(notifier, "github/added-late")).toEqual([3, 1, 7]);
  });

  it("an API key created or rolled with its expiry inside a reminder window is reminded on the next pass", async () => {
    f.clock.set("2026-12-08T15:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key } = await f.services.keys.create(admin, { name: "late-key", role: "Viewer", expiresOn: "2026-12-10", timeZone: "UTC" });
    const notifier = new RecordingNotifier();
    await service(notifier).runPass();
    expect(delivered(notifier, "late-key")).toEqual([3]);
    await f.services.keys.roll(admin, key.id);
    await service(notifier).runPass();
    expect(delivered(notifier, "late-key")).toEqual([3, 3]); // the replacement, a new key with the same expiry
  });

  it("posts a threshold at local midnight in the zone the expiry day was chosen in, across a daylight-saving change", async () => {
    // New York springs forward on 2026-03-08: the 3-day threshold of an expiry on 2026-03-10 is due
    // at midnight on 2026-03-07 there (05:00Z), not 4 × 24 h before the end of the expiry day (04:00Z).
    f.clock.set("2026-03-03T12:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.integrations.add(admin, "github", {
      alias: "new-york",
      secret: `ghp_${"n".repeat(36)}`,
      expiresOn: "2026-03-10",
      timeZone: "America/New_York",
      reminderChannel: "C0REMIND",
    });
    const notifier = new RecordingNotifier();
    await service(notifier).runPass();
    expect(delivered(notifier, "github/new-york")).toEqual([7]);
    f.clock.set("2026-03-07T04:30:00Z"); // 23:30 on March 6 in New York
    await service(notifier).runPass();
    expect(delivered(notifier, "github/new-york")).toEqual([7]);
    f.clock.set("2026-03-07T05:00:00Z"); // midnight, March 7
    await service(notifier).runPass();
    expect(delivered(notifier, "github/new-york")).toEqual([7, 3]);
    const row = await f.db.prisma.integrationConfig.findFirst({ where: { workspaceId: ws, alias: "new-york" } });
    expect(row?.expiryTimeZone).toBe("America/New_York");
  });

  it("keeps retrying through a Slack outage however short the interval, and gives up only a day after the first failure", async () => {
    f.clock.set("2026-12-01T00:00:00Z");
    await addConfig("outage", "2026-12-28"); // the 30-day threshold is due
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    notifier.down.add("github/outage");
    // REMINDER_INTERVAL_SECONDS=10 and an outage of ten minutes: sixty failed passes.
    for (let i = 0; i < 60; i++) {
      await reminders.runPass();
      f.clock.advance(10_000);
    }
    const ledger = () => ledgerOf("outage", 30);
    expect(await ledger()).toMatchObject({ status: "retry", attempts: 60 });
    await ageFailures(23 * 3600_000); // 23 h of failures on the database's clock: still retried
    await reminders.runPass();
    expect(await ledger()).toMatchObject({ status: "retry", attempts: 61 });
    notifier.down.clear(); // Slack is back
    await reminders.runPass();
    expect(delivered(notifier, "github/outage")).toEqual([30]);
    expect((await ledger()).status).toBe("sent");
  });

  it("gives up on a threshold a day after its first failure", async () => {
    f.clock.set("2026-12-01T00:00:00Z");
    await addConfig("down-for-days", "2026-12-29");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    notifier.down.add("github/down-for-days");
    // Time passes on the database's clock, which giving up is timed on; this instance's clock stands still.
    for (let i = 0; i < 4; i++) {
      if (i > 0) await ageFailures(6 * 3600_000);
      await reminders.runPass();
    }
    expect((await ledgerOf("down-for-days", 30)).status).toBe("retry"); // 18 h after the first failure
    await ageFailures(6 * 3600_000);
    await reminders.runPass(); // 24 h after it
    const row = await ledgerOf("down-for-days", 30);
    expect(row.status).toBe("undeliverable");
    expect(row.lastError).toContain("gave up after 24 h of failures (5 attempts)");
    notifier.down.clear();
    f.clock.advance(6 * 3600_000);
    await reminders.runPass();
    expect(delivered(notifier, "github/down-for-days")).toEqual([]);
  });

  it('a retry overtaken by a more urgent due threshold is not posted: after an outage past the expiry, one "has expired"', async () => {
    f.clock.set("2026-12-01T00:00:00Z");
    await addConfig("late-retry", "2026-12-10");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    notifier.down.add("github/late-retry");
    f.clock.set("2026-12-10T01:00:00Z"); // "expires today" is claimed, and Slack answers 5xx for hours
    await reminders.runPass();
    f.clock.set("2026-12-10T18:00:00Z");
    await reminders.runPass();
    expect((await ledgerOf("late-retry", 0)).status).toBe("retry");
    notifier.down.clear();
    f.clock.set("2026-12-11T00:30:00Z"); // the first pass after the expiry
    await reminders.runPass();
    await reminders.runPass();
    expect(delivered(notifier, "github/late-retry")).toEqual([-1]);
    expect((await ledgerOf("late-retry", 0)).status).toBe("obsolete");
  });

  it("a 7-day retry still failing when the 3-day threshold falls due gives way to it", async () => {
    f.clock.set("2026-12-01T00:00:00Z");
    await addConfig("late-seven", "2026-12-20");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    notifier.down.add("github/late-seven");
    f.clock.set("2026-12-13T01:00:00Z"); // the 7-day threshold
    await reminders.runPass();
    notifier.down.clear();
    f.clock.set("2026-12-17T01:00:00Z"); // the 3-day threshold is due too
    await reminders.runPass();
    f.clock.set("2026-12-19T01:00:00Z");
    await reminders.runPass();
    f.clock.set("2026-12-21T01:00:00Z");
    await reminders.runPass();
    expect(delivered(notifier, "github/late-seven")).toEqual([3, 1, -1]);
    expect((await ledgerOf("late-seven", 7)).status).toBe("obsolete");
  });

  it("a retry whose threshold is still the most urgent due is posted, once", async () => {
    f.clock.set("2026-12-01T00:00:00Z");
    await addConfig("still-seven", "2026-12-20");
    const notifier = new RecordingNotifier();
    const reminders = service(notifier);
    notifier.down.add("github/still-seven");
    f.clock.set("2026-12-13T01:00:00Z");
    await reminders.runPass();
    notifier.down.clear();
    f.clock.set("2026-12-15T01:00:00Z"); // 5 days left: the 3-day threshold is not due yet
    await reminders.runPass();
    await reminders.runPass();
    expect(delivered(notifier, "github/still-seven")).toEqual([7]);
  });

  it("gives up on the database's clock: an instance whose clock runs a day ahead keeps retrying", async () => {
    const repo = new PrismaReminderRepository(f.db.prisma);
    const dbNow = await repo.databaseNow();
    f.clock.set(dbNow);
    const expiresOn = new Date(dbNow.getTime() + 28 * 86_400_000).toISOString().slice(0, 10);
    await addConfig("clock-ahead", expiresOn); // the 30-day threshold is due, and stays the most urgent for days
    const notifier = new RecordingNotifier();
    notifier.down.add("github/clock-ahead");
    const ahead = new ManualClock(new Date(dbNow.getTime() + 25 * 3600_000)); // an instance whose clock is 25 h ahead
    const aheadInstance = new ReminderService({ store: { reminders: repo }, reminderNotifier: notifier, clock: ahead, reminderDays: days });
    await aheadInstance.runPass(); // the first failure: stamped by the database, not by this instance
    const first = await ledgerOf("clock-ahead", 30);
    expect(first.status).toBe("retry");
    expect(Math.abs(first.firstFailedAt!.getTime() - dbNow.getTime())).toBeLessThan(60_000);
    ahead.advance(60_000);
    await aheadInstance.runPass(); // a minute later on the database's clock: not 25 h of failures
    await service(notifier).runPass(); // and an instance whose clock is right agrees
    expect(await ledgerOf("clock-ahead", 30)).toMatchObject({ status: "retry", attempts: 3 });
  });

  it("does not remind about an API key still waiting for its one-time delivery, nor a deleted one; reminds once it is live", async () => {
    f.clock.set("2026-12-08T15:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const { key: pending } = await f.services.keys.create(
      admin,
      { name: "pending-key", role: "Viewer", expiresOn: "2026-12-10", timeZone: "UTC" },
      { pendingDelivery: true },
    );
    const { key: gone } = await f.services.keys.create(
      admin,
      { name: "gone-pending-key", role: "Viewer", expiresOn: "2026-12-10", timeZone: "UTC" },
      { pendingDelivery: true },
    );
    await f.services.keys.discardUndelivered(admin, gone, "test");
    const notifier = new RecordingNotifier();
    await service(notifier).runPass();
    expect(delivered(notifier, "pending-key")).toEqual([]);
    await f.services.keys.activate(admin, pending.id);
    await service(notifier).runPass();
    await service(notifier).runPass();
    expect(delivered(notifier, "pending-key")).toEqual([3]);
    expect(delivered(notifier, "gone-pending-key")).toEqual([]);
  });

  it("posts the reminders due in one channel of one workspace together, a message's worth at a time", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const one = await addMany("grp-a", 12, "C0GROUP");
    const other = await addMany("grp-b", 3, "C0GROUP"); // another workspace, the same channel id
    await addMany("grp-c", 2, "C0GROUPB");
    f.clock.set("2026-12-06T01:00:00Z"); // the 14-day threshold of all
    const notifier = new BatchingNotifier(5);
    const report = await service(notifier).runPass();
    const ours = notifier.messages.filter((m) => m.subjects.some((s) => s.startsWith("github/grp-")));
    const sizes = (ws: string, channel: string) => ours.filter((m) => m.workspace === ws && m.channel === channel).map((m) => m.subjects.length);
    expect(sizes(one.ws, "C0GROUP")).toEqual([5, 5, 2]);
    expect(sizes(other.ws, "C0GROUP")).toEqual([3]);
    expect(ours.filter((m) => m.channel === "C0GROUPB").map((m) => m.subjects.length)).toEqual([2]);
    // Never two workspaces, never two channels, in one message.
    for (const m of ours) expect(new Set(m.subjects.map((s) => s.slice(0, "github/grp-a".length))).size).toBe(1);
    const posted = notifier.delivered.filter((d) => d.subject.startsWith("github/grp-")).map((d) => `${d.subject}@${d.threshold}`);
    expect(posted).toHaveLength(17);
    expect(new Set(posted).size).toBe(17);
    expect(report).toMatchObject({ sent: 17, retryLater: 0 });
    expect(await service(notifier).runPass()).toMatchObject({ claimed: 0 });
  });

  it("after a 429 leaves the rest of that channel to the next pass, unposted and not counted toward giving up", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addMany("lim", 12, "C0LIMIT");
    f.clock.set("2026-12-06T01:00:00Z");
    const notifier = new BatchingNotifier(5);
    notifier.limitAt.add(2); // the channel's second message is answered 429
    const first = await service(notifier).runPass();
    expect(first).toMatchObject({ claimed: 12, sent: 5, retryLater: 7, undeliverable: 0 });
    const rows = await f.db.prisma.reminderDelivery.findMany({ where: { status: "retry", lastError: { contains: "rate-limited" } } });
    expect(rows).toHaveLength(7);
    expect(rows.every((r) => r.firstFailedAt === null)).toBe(true);
    f.clock.advance(60_000);
    const second = await service(notifier).runPass();
    expect(second).toMatchObject({ sent: 7, retryLater: 0 });
    const posted = notifier.delivered.filter((d) => d.subject.startsWith("github/lim-")).map((d) => d.subject);
    expect(posted).toHaveLength(12);
    expect(new Set(posted).size).toBe(12);
  });

  it("renews each message's claims right before its post: what another pass took over meanwhile is not posted twice", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addMany("lease", 10, "C0LEASE");
    f.clock.set("2026-12-06T01:00:00Z");
    // Pass A posts its first message, then stalls before the second (a slow Slack, other channels'
    // posts queued before it): the second message's claims age past the lease meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stalled!: () => void;
    const stalling = new Promise<void>((r) => (stalled = r));
    const inner = new PrismaReminderRepository(f.db.prisma);
    let renewals = 0;
    const repo = Object.assign(Object.create(inner) as PrismaReminderRepository, {
      renew: async (id: string, instance: string) => {
        if (renewals++ === 5) {
          stalled();
          await gate;
        }
        return inner.renew(id, instance);
      },
    });
    const slow = new BatchingNotifier(5);
    const stuck = new ReminderService({
      store: { reminders: repo },
      reminderNotifier: slow,
      clock: f.clock,
      reminderDays: days,
      reminderPacer: fakePacer(),
    }).runPass();
    await stalling;
    await ageClaims(5 * 60_000); // longer than the lease: pass B takes the second message's claims over
    const other = new BatchingNotifier(5);
    await service(other).runPass();
    release();
    const report = await stuck;
    const posts = [...slow.delivered, ...other.delivered].filter((d) => d.subject.startsWith("github/lease-")).map((d) => d.subject);
    expect(posts).toHaveLength(10);
    expect(new Set(posts).size).toBe(10);
    expect(other.delivered.filter((d) => d.subject.startsWith("github/lease-"))).toHaveLength(5);
    expect(report.takenOver).toBe(5);
  });

  it("after a refused combined message, renews the claims before each one-by-one post: however long they take together, another pass takes none over", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    await addMany("fallback", 5, "C0FALLBK");
    f.clock.set("2026-12-06T01:00:00Z");
    // Pass A's combined message is refused for what it holds, so it posts the five one by one; each
    // post takes most of a lease (100 s of the 120 s), five of them far more, and before each another
    // pass runs: it may take over only what A left unrenewed that long.
    const slow = new BatchingNotifier(5);
    const other = new BatchingNotifier(5);
    const passesOfB: Array<{ claimed: number }> = [];
    slow.deliverMany = async (claims: ReminderClaim[], pace: PaceFn, beforePost?: BeforePost) => {
      const out: ReminderOutcome[] = [];
      for (const [i, claim] of claims.entries()) {
        if (i > 0) {
          await ageClaims(100_000);
          passesOfB.push(await service(other).runPass());
        }
        if (beforePost && !(await beforePost(claim))) {
          out.push({ status: "retry", error: "not ours" });
          continue;
        }
        out.push(await pace(() => slow.deliver(claim)));
      }
      return out;
    };
    const report = await service(slow).runPass();
    const posts = [...slow.delivered, ...other.delivered].filter((d) => d.subject.startsWith("github/fallback-")).map((d) => d.subject);
    expect(posts).toHaveLength(5);
    expect(new Set(posts).size).toBe(5);
    expect(other.delivered.filter((d) => d.subject.startsWith("github/fallback-"))).toEqual([]);
    expect(passesOfB.map((p) => p.claimed)).toEqual([0, 0, 0, 0]);
    expect(report).toMatchObject({ takenOver: 0, sent: 5, retryLater: 0 });
  });

  it("a one-by-one post whose configuration was rotated meanwhile is not posted: beforePost settles it as obsolete (deleted here)", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const { admin } = await addMany("fbrot", 3, "C0FBROT");
    f.clock.set("2026-12-06T01:00:00Z");
    const slow = new BatchingNotifier(5);
    slow.deliverMany = async (claims: ReminderClaim[], pace: PaceFn, beforePost?: BeforePost) => {
      const out: ReminderOutcome[] = [];
      for (const [i, claim] of claims.entries()) {
        if (i === 1) await f.services.integrations.delete(admin, "github", "fbrot-02");
        if (beforePost && !(await beforePost(claim))) {
          out.push({ status: "retry", error: "not ours" });
          continue;
        }
        out.push(await pace(() => slow.deliver(claim)));
      }
      return out;
    };
    const report = await service(slow).runPass();
    expect(slow.delivered.map((d) => d.subject).filter((s) => s.startsWith("github/fbrot-"))).toEqual(["github/fbrot-00", "github/fbrot-01"]);
    expect(report).toMatchObject({ sent: 2, obsolete: 1, retryLater: 0 });
  });

  it("delivers the DMs (configurations without a channel) beside the channels' posts, not before them", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.integrations.add(admin, "github", { alias: "dm-first", secret: `ghp_${"z".repeat(36)}`, expiresOn: "2026-12-20", timeZone: "UTC" });
    for (const alias of ["dm-chan-a", "dm-chan-b"])
      await f.services.integrations.add(admin, "github", {
        alias,
        secret: `ghp_${"z".repeat(36)}`,
        expiresOn: "2026-12-20",
        timeZone: "UTC",
        reminderChannel: "C0DMSIDE",
      });
    f.clock.set("2026-12-06T01:00:00Z");
    // The DM waits until the channel's message went out (or 3 s): delivered inline first, it would wait the whole time.
    let channelPosted!: () => void;
    const posted = new Promise<"posted">((r) => (channelPosted = () => r("posted")));
    const notifier = new BatchingNotifier(5);
    const order: string[] = [];
    const deliverOne = notifier.deliver.bind(notifier);
    notifier.deliver = async (claim) => {
      if (claim.subject.alias === "dm-first") {
        const timer = new Promise<"late">((r) => setTimeout(() => r("late"), 3_000));
        order.push(await Promise.race([posted, timer]));
      }
      return deliverOne(claim);
    };
    const manyOne = notifier.deliverMany.bind(notifier);
    notifier.deliverMany = async (claims, pace) => {
      const out = await manyOne(claims, pace);
      if (claims.some((c) => c.subject.alias?.startsWith("dm-chan-"))) channelPosted();
      return out;
    };
    const report = await service(notifier).runPass();
    expect(order).toEqual(["posted"]);
    expect(delivered(notifier, "github/dm-first")).toEqual([14]);
    expect(notifier.messages.filter((m) => m.channel === "C0DMSIDE").map((m) => m.subjects.length)).toEqual([2]);
    expect(report).toMatchObject({ retryLater: 0, undeliverable: 0 });
  });

  it("reminds about API keys too, and not about deleted or rolled-out ones", async () => {
    f.clock.set("2026-11-27T15:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    await f.services.keys.create(admin, { name: "expiring-key", role: "Viewer", expiresOn: "2026-12-02", timeZone: "UTC" });
    const { key: gone } = await f.services.keys.create(admin, { name: "deleted-key", role: "Viewer", expiresOn: "2026-12-02", timeZone: "UTC" });
    await f.services.keys.delete(admin, gone.id);
    const notifier = new RecordingNotifier();
    f.clock.set("2026-11-30T00:00:00Z");
    await service(notifier).runPass();
    expect(notifier.delivered.filter((d) => d.subject.endsWith("-key"))).toEqual([{ subject: "expiring-key", threshold: 3 }]);
  });
});

describe.runIf(databaseKinds().includes("postgres"))("two instances on one PostgreSQL", () => {
  /** One PostgreSQL, a second connection to it, and 120 configurations due in one channel at three thresholds. */
  async function twoInstancesOf120Configurations() {
    const { openDatabase } = await import("../../src/db/database.ts");
    const f = await createDomainFixture("postgres");
    const second = await openDatabase({ databaseUrl: f.db.url! });
    f.clock.set("2026-11-27T15:00:00Z");
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    for (let i = 0; i < 120; i++) {
      await f.services.integrations.add(admin, "github", {
        alias: `svc-${String(i).padStart(3, "0")}`,
        secret: `ghp_${"z".repeat(36)}`,
        expiresOn: "2026-12-20",
        timeZone: "UTC",
        reminderChannel: "C0TWO",
      });
    }
    return { f, second };
  }

  /** At each threshold, two passes of each instance at the same time. */
  async function runPassesTogether(f: DomainFixture, instanceA: ReminderService, instanceB: ReminderService) {
    for (const at of ["2026-12-06T01:00:00Z", "2026-12-13T01:00:00Z", "2026-12-17T01:00:00Z"]) {
      f.clock.set(at);
      await Promise.all([instanceA.runPass(), instanceB.runPass(), instanceA.runPass(), instanceB.runPass()]);
    }
  }
  it("post each threshold exactly once when their passes run at the same time", async () => {
    const { f, second } = await twoInstancesOf120Configurations();
    try {
      const a = new RecordingNotifier();
      const b = new RecordingNotifier();
      const instanceA = new ReminderService({ ...f.ctx, reminderNotifier: a, reminderDays: days }, 25);
      const instanceB = new ReminderService({ store: createPrismaStore(second.prisma), reminderNotifier: b, clock: f.clock, reminderDays: days }, 25);
      await runPassesTogether(f, instanceA, instanceB);
      const all = [...a.delivered, ...b.delivered].map((d) => `${d.subject}@${d.threshold}`);
      expect(all).toHaveLength(120 * 3);
      expect(new Set(all).size).toBe(all.length);
      // Both instances did part of the work.
      expect(a.delivered.length).toBeGreaterThan(0);
      expect(b.delivered.length).toBeGreaterThan(0);
    } finally {
      await second.close();
      await f.close();
    }
  }, 120_000);

  it("post each threshold exactly once when they post a channel's reminders as combined messages at the same time", async () => {
    const { f, second } = await twoInstancesOf120Configurations();
    try {
      const a = new BatchingNotifier(12);
      const b = new BatchingNotifier(12);
      const instanceA = new ReminderService({ ...f.ctx, reminderNotifier: a, reminderDays: days, reminderPacer: fakePacer() }, 25);
      const instanceB = new ReminderService(
        { store: createPrismaStore(second.prisma), reminderNotifier: b, clock: f.clock, reminderDays: days, reminderPacer: fakePacer() },
        25,
      );
      await runPassesTogether(f, instanceA, instanceB);
      const all = [...a.delivered, ...b.delivered].map((d) => `${d.subject}@${d.threshold}`);
      expect(all).toHaveLength(120 * 3);
      expect(new Set(all).size).toBe(all.length);
      // No message held more than one message's worth.
      expect([...a.messages, ...b.messages].every((m) => m.subjects.length <= 12)).toBe(true);
      // Both instances did part of the work.
      expect(a.delivered.length).toBeGreaterThan(0);
      expect(b.delivered.length).toBeGreaterThan(0);
    } finally {
      await second.close();
      await f.close();
    }
  }, 120_000);
});
