// The digest ledger's guarantee (the reminder ledger's, for one digest per workspace and week):
// posted once across instances on one PostgreSQL and across restarts, retried after a passing
// Slack failure, posted once late after downtime, never once per missed week.
import { randomBytes, randomUUID } from "node:crypto";
import type { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import type { DigestClaim, DigestNotifier, DigestOutcome, DigestView } from "../../src/domain/digest-types.ts";
import { DigestService } from "../../src/domain/digest-service.ts";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createLogger } from "../../src/logger.ts";
import { createSlackDigestNotifier } from "../../src/reminders/slack-digest-notifier.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { instanceContext } from "../support/instance-context.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

/** A Slack that records every digest it was handed, answering what the test says, after a pause (so two passes overlap). */
function fakeNotifier(
  posts: Array<{ claim: DigestClaim; view: DigestView }>,
  answer: () => DigestOutcome = () => ({ status: "sent", channel: "C0OPS", ts: "1.1" }),
): DigestNotifier {
  return {
    async deliver(claim, view) {
      await new Promise((r) => setTimeout(r, 30));
      const outcome = answer();
      if (outcome.status === "sent") posts.push({ claim, view });
      return outcome;
    },
  };
}

for (const kind of databaseKinds()) {
  describe(`the weekly digest ledger (${kind})`, () => {
    let db: TestDatabase;
    let other: Database | undefined;
    const pepper = randomBytes(32);
    const clock = new ManualClock(new Date("2026-10-21T12:00:00Z"));
    const contextOver = (database: Database, c: ManualClock = clock) => instanceContext(database, { clock: c, pepper, seed: randomUUID() });
    let domain: DomainServices;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      if (kind === "postgres") other = await openDatabase({ databaseUrl: db.url! });
      domain = createDomainServices(contextOver(db));
    });
    afterAll(async () => {
      await other?.close();
      await db?.close();
    });

    /** A workspace of its own with a digest on Mondays at 9 in New York. */
    async function workspaceWithDigest(team: string, channel = "C0OPS"): Promise<Actor> {
      clock.set("2026-10-21T12:00:00Z"); // a Wednesday
      const admin = await domain.access.actorForUser(team, "UDIGESTADM", { isWorkspaceAdmin: true }, "slack");
      const { nextAt } = await domain.digests.setSettings(admin, { channel, weekday: 1, hour: 9, timeZone: "America/New_York", appId: null });
      expect(nextAt?.toISOString()).toBe("2026-10-26T13:00:00.000Z");
      return admin;
    }
    const ledger = (team: string) => db.prisma.digestDelivery.findMany({ where: { workspaceId: team }, orderBy: { week: "asc" } });

    it("posts once a week, at the local hour across a daylight-saving change, and not again after a restart", async () => {
      const team = `TLEDGER${kind.toUpperCase()}1`;
      await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const first = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) });
      clock.set("2026-10-26T12:59:00Z");
      expect(await first.runPass()).toMatchObject({ claimed: 0 });
      clock.set("2026-10-26T13:00:00Z");
      expect(await first.runPass()).toMatchObject({ claimed: 1, sent: 1 });
      // A restart: a new instance (new id), the same database. Nothing more this week.
      const restarted = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) });
      clock.set("2026-10-29T10:00:00Z");
      expect(await restarted.runPass()).toMatchObject({ claimed: 0 });
      // New York leaves daylight saving on 1 November: 09:00 on the 2nd is 14:00 UTC, not 13:00.
      clock.set("2026-11-02T13:30:00Z");
      expect(await restarted.runPass()).toMatchObject({ claimed: 0 });
      clock.set("2026-11-02T14:00:00Z");
      expect(await restarted.runPass()).toMatchObject({ claimed: 1, sent: 1 });
      expect(posts.filter((p) => p.claim.workspaceId === team).map((p) => p.claim.week)).toEqual(["2026-W44", "2026-W45"]);
      expect((await ledger(team)).map((r) => [r.week, r.status])).toEqual([
        ["2026-W44", "sent"],
        ["2026-W45", "sent"],
      ]);
    });

    it("after three weeks down posts once, late, for the latest week only", async () => {
      const team = `TLEDGER${kind.toUpperCase()}2`;
      await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const service = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) });
      clock.set("2026-11-12T20:00:00Z"); // three Mondays missed: 26 Oct, 2 and 9 Nov
      await service.runPass();
      expect(await service.runPass()).toMatchObject({ claimed: 0 });
      expect(posts.filter((p) => p.claim.workspaceId === team).map((p) => p.claim.week)).toEqual(["2026-W46"]);
      expect((await ledger(team)).map((r) => r.week)).toEqual(["2026-W46"]);
    });

    it("retries after 429 or 5xx on a later pass, posting once; a week's refusals end when the next week's is due", async () => {
      const team = `TLEDGER${kind.toUpperCase()}3`;
      await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const answers: DigestOutcome[] = [
        { status: "retry", error: "ratelimited" },
        { status: "retry", error: "service_unavailable" },
      ];
      const service = new DigestService({
        ...contextOver(db),
        digestNotifier: fakeNotifier(posts, () => answers.shift() ?? { status: "sent", channel: "C0OPS", ts: "2.2" }),
      });
      clock.set("2026-10-26T13:05:00Z");
      expect(await service.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      expect(await service.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      expect(await service.runPass()).toMatchObject({ claimed: 1, sent: 1 });
      expect(await service.runPass()).toMatchObject({ claimed: 0 });
      expect(posts.filter((p) => p.claim.workspaceId === team)).toHaveLength(1);
      // The retries knew they were retries: a Slack notifier looks for the earlier post before posting again.
      expect(posts[0]!.claim.attempts).toBe(2);
      expect((await ledger(team)).map((r) => [r.status, r.attempts])).toEqual([["sent", 3]]);

      // A week Slack refuses throughout: once the next week's is due, the old one is given up, and only the new one is posted.
      const refusing = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts, () => ({ status: "retry", error: "internal_error" })) });
      clock.set("2026-11-02T14:00:00Z");
      await refusing.runPass();
      expect((await ledger(team)).map((r) => [r.week, r.status])).toEqual([
        ["2026-W44", "sent"],
        ["2026-W45", "retry"],
      ]);
      clock.set("2026-11-09T14:00:00Z");
      expect(await service.runPass()).toMatchObject({ obsolete: 1 });
      expect((await ledger(team)).map((r) => [r.week, r.status])).toEqual([
        ["2026-W44", "sent"],
        ["2026-W45", "obsolete"],
        ["2026-W46", "sent"],
      ]);
    });

    it("a retry of this week's digest is not given up by an instance whose clock is 3 s behind", async () => {
      const team = `TLEDGER${kind.toUpperCase()}SKEW`;
      await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const answers: DigestOutcome[] = [{ status: "retry", error: "ratelimited" }];
      const answer = () => answers.shift() ?? { status: "sent", channel: "C0OPS", ts: "1.1" };
      const a = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts, answer) });
      // Instance B: the same database, its clock 3 s behind A's (NTP drift).
      const behind = new ManualClock(new Date("2026-10-26T12:59:59Z"));
      const b = new DigestService({ ...contextOver(db, behind), digestNotifier: fakeNotifier(posts, answer) });
      clock.set("2026-10-26T13:00:02Z"); // Monday 09:00:02 in New York: A claims W44, Slack says 429
      expect(await a.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      await new Promise((r) => setTimeout(r, 20)); // B's pass starts after A's claim (the database's clock)
      // B thinks it is 08:59:59: its latest slot is last week's, which does not make W44's retry obsolete.
      await b.runPass();
      clock.set("2026-10-26T13:10:00Z");
      await a.runPass();
      clock.set("2026-10-30T13:10:00Z");
      await a.runPass();
      expect((await ledger(team)).map((r) => [r.week, r.status])).toEqual([["2026-W44", "sent"]]);
      expect(posts.filter((p) => p.claim.workspaceId === team).map((p) => p.claim.week)).toEqual(["2026-W44"]);
    });

    it("moving the weekday later within the week while this week's digest waits for a retry still posts it that week, once", async () => {
      const team = `TLEDGER${kind.toUpperCase()}MOVE`;
      const admin = await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const answers: DigestOutcome[] = [{ status: "retry", error: "service_unavailable" }];
      const service = new DigestService({
        ...contextOver(db),
        digestNotifier: fakeNotifier(posts, () => answers.shift() ?? { status: "sent", channel: "C0OPS", ts: "1.1" }),
      });
      clock.set("2026-10-26T13:00:30Z"); // Monday 09:00 in New York: W44 gets a 503
      expect(await service.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      // Tuesday: the Admin moves the digest to Sundays at 9 (Sunday 1 November is still ISO week 44).
      clock.set("2026-10-27T15:00:00Z");
      await domain.digests.setSettings(admin, { channel: "C0OPS", weekday: 7, hour: 9, timeZone: "America/New_York", appId: null });
      await new Promise((r) => setTimeout(r, 20));
      for (const at of ["2026-10-27T15:05:00Z", "2026-11-01T14:05:00Z", "2026-11-01T15:00:00Z"]) {
        clock.set(at);
        await service.runPass();
      }
      expect(posts.filter((p) => p.claim.workspaceId === team).map((p) => p.claim.week)).toEqual(["2026-W44"]);
      expect((await ledger(team)).map((r) => [r.week, r.status])).toEqual([["2026-W44", "sent"]]);
    });

    it("a due claim takes over this week's row given up as obsolete (a setting moved within the week), as a retry", async () => {
      const team = `TLEDGER${kind.toUpperCase()}TAKE`;
      const admin = await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const answers: DigestOutcome[] = [{ status: "retry", error: "service_unavailable" }];
      const service = new DigestService({
        ...contextOver(db),
        digestNotifier: fakeNotifier(posts, () => answers.shift() ?? { status: "sent", channel: "C0OPS", ts: "1.1" }),
      });
      clock.set("2026-10-26T13:00:30Z");
      expect(await service.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      clock.set("2026-10-27T15:00:00Z");
      await domain.digests.setSettings(admin, { channel: "C0OPS", weekday: 7, hour: 9, timeZone: "America/New_York", appId: null });
      // Meanwhile an instance whose clock ran ahead gave this week's retry up.
      await db.prisma.digestDelivery.updateMany({ where: { workspaceId: team, week: "2026-W44" }, data: { status: "obsolete" } });
      clock.set("2026-11-01T14:05:00Z"); // Sunday 09:05 in New York, still week 44
      expect(await service.runPass()).toMatchObject({ sent: 1 });
      const mine = posts.filter((p) => p.claim.workspaceId === team);
      expect(mine.map((p) => p.claim.week)).toEqual(["2026-W44"]);
      // Taken over as a retry: a Slack notifier looks for the first attempt's post before posting.
      expect(mine[0]!.claim.attempts).toBe(1);
      expect((await ledger(team)).map((r) => [r.week, r.status, r.attempts])).toEqual([["2026-W44", "sent", 2]]);
    });

    it("a retry after a timed-out post looks, from the slot on, in the channel of the first attempt, and does not post again after a channel change", async () => {
      const team = `TLEDGER${kind.toUpperCase()}CHAN`;
      const admin = await workspaceWithDigest(team, "C0OLDCHAN");
      const channels = new Map<string, Array<{ ts: string; metadata?: unknown }>>();
      const historyCalls: Array<{ channel: string; oldest?: string }> = [];
      let calls = 0;
      const client = {
        chat: {
          async postMessage(args: { channel: string; metadata?: unknown }) {
            calls++;
            const list = channels.get(args.channel) ?? [];
            list.unshift({ ts: `${calls}.0`, metadata: args.metadata });
            channels.set(args.channel, list);
            // The first post lands in Slack, but its answer times out on our side.
            if (calls === 1) throw Object.assign(new Error("timeout"), { code: "slack_webapi_request_error" });
            return { ok: true, ts: `${calls}.0` };
          },
        },
        conversations: {
          async history(args: { channel: string; oldest?: string }) {
            historyCalls.push({ channel: args.channel, oldest: args.oldest });
            return { ok: true, messages: channels.get(args.channel) ?? [] };
          },
        },
      } as unknown as WebClient;
      const service = new DigestService({ ...contextOver(db), digestNotifier: createSlackDigestNotifier(async () => client, createLogger("silent")) });
      clock.set("2026-10-26T13:01:00Z");
      expect(await service.runPass()).toMatchObject({ claimed: 1, retryLater: 1 });
      // The Admin moves the digest to another channel the same Monday (same weekday and hour).
      await domain.digests.setSettings(admin, { channel: "C0NEWCHAN", weekday: 1, hour: 9, timeZone: "America/New_York", appId: null });
      await new Promise((r) => setTimeout(r, 20));
      clock.set("2026-10-26T13:06:00Z");
      expect(await service.runPass()).toMatchObject({ claimed: 1, sent: 1 });
      const total = [...channels.values()].reduce((n, l) => n + l.length, 0);
      expect({ total, channels: [...channels.keys()] }).toEqual({ total: 1, channels: ["C0OLDCHAN"] });
      // Read from ten minutes before the slot (Monday 09:00 New York), not just the channel's last 200 messages.
      expect(historyCalls).toEqual([{ channel: "C0OLDCHAN", oldest: ((Date.parse("2026-10-26T13:00:00Z") - 600_000) / 1000).toFixed(6) }]);
      expect((await ledger(team)).map((r) => [r.week, r.status, r.channel])).toEqual([["2026-W44", "sent", "C0OLDCHAN"]]);
    });

    it("a workspace whose setting cannot be planned (a zone this runtime does not know) does not stop the others' digests", async () => {
      const broken = [`TLEDGER${kind.toUpperCase()}BADA`, `TLEDGER${kind.toUpperCase()}BADB`];
      const good = `TLEDGER${kind.toUpperCase()}GOOD`;
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      let refuse = true;
      const service = new DigestService({
        ...contextOver(db),
        digestNotifier: fakeNotifier(posts, () => (refuse ? { status: "retry", error: "ratelimited" } : { status: "sent", channel: "C0OPS", ts: "1.1" })),
      });
      // The first has this week's digest waiting for a retry when its zone goes bad; the second is just due.
      await workspaceWithDigest(broken[0]!);
      clock.set("2026-10-26T13:00:30Z");
      await service.runPass();
      refuse = false;
      await workspaceWithDigest(broken[1]!);
      await workspaceWithDigest(good);
      await db.prisma.workspace.updateMany({ where: { id: { in: broken } }, data: { digestTimeZone: "Mars/Olympus_Mons" } });
      clock.set("2026-10-26T13:05:00Z");
      const report = await service.runPass();
      expect(report.failed).toBeGreaterThanOrEqual(2);
      expect(posts.filter((p) => p.claim.workspaceId === good).map((p) => p.claim.week)).toEqual(["2026-W44"]);
      // Left as they were, for a later pass: the retry still waits, the other is still due.
      expect((await ledger(broken[0]!)).map((r) => r.status)).toEqual(["retry"]);
      expect(await ledger(broken[1]!)).toEqual([]);
      // Turned off again, so later passes of this file meet no broken setting.
      await db.prisma.workspace.updateMany({ where: { id: { in: broken } }, data: { digestChannel: null, digestNextAt: null } });
    });

    it("a stopped pass posts no more digests and leaves the claims it has not posted to the next pass, at once", async () => {
      const teams = [`TLEDGER${kind.toUpperCase()}STOPA`, `TLEDGER${kind.toUpperCase()}STOPB`];
      for (const team of teams) await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      const stopping = new AbortController();
      const stopAfterFirst: DigestNotifier = {
        async deliver(claim, view) {
          posts.push({ claim, view });
          stopping.abort(); // shutdown begins while the first digest is being posted
          return { status: "sent", channel: "C0OPS", ts: "1.1" };
        },
      };
      clock.set("2026-10-26T13:00:00Z");
      const report = await new DigestService({ ...contextOver(db), digestNotifier: stopAfterFirst }).runPass({ signal: stopping.signal });
      expect(report).toMatchObject({ sent: 1, deferred: 1 });
      const next = await new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) }).runPass();
      expect(next).toMatchObject({ sent: 1 });
      expect(posts.map((p) => p.claim.workspaceId).sort()).toEqual([...teams].sort());
      for (const team of teams) expect((await ledger(team)).map((r) => r.status)).toEqual(["sent"]);
    });

    it.runIf(kind === "postgres")("two instances on one PostgreSQL post each workspace's digest once", async () => {
      const teams = ["TTWINA", "TTWINB", "TTWINC", "TTWIND"].map((t) => `${t}${kind.toUpperCase()}`);
      for (const team of teams) await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      // Two instances: each its own connection pool, ledger and instance id.
      const a = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) });
      const b = new DigestService({ ...contextOver(other!), digestNotifier: fakeNotifier(posts) });
      clock.set("2026-10-26T13:00:00Z");
      const reports = await Promise.all([a.runPass({ batchSize: 1 }), b.runPass({ batchSize: 1 }), a.runPass({ batchSize: 1 }), b.runPass({ batchSize: 1 })]);
      const ours = posts.filter((p) => teams.includes(p.claim.workspaceId));
      expect(ours.map((p) => p.claim.workspaceId).sort()).toEqual([...teams].sort());
      expect(reports.reduce((n, r) => n + r.sent, 0)).toBeGreaterThanOrEqual(teams.length);
      // And again, both at once: nothing more this week.
      const again = await Promise.all([a.runPass(), b.runPass()]);
      expect(again.map((r) => r.claimed)).toEqual([0, 0]);
      for (const team of teams) expect(await ledger(team)).toHaveLength(1);
    });
  });
}
