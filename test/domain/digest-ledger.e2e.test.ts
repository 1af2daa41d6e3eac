// The digest ledger's guarantee (the reminder ledger's, for one digest per workspace and week):
// posted once across instances on one PostgreSQL and across restarts, retried after a passing
// Slack failure, posted once late after downtime, never once per missed week.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import type { DigestClaim, DigestNotifier, DigestOutcome, DigestView } from "../../src/domain/digest-types.ts";
import { DigestService } from "../../src/domain/digest-service.ts";
import { createDomainServices, type DomainServices } from "../../src/domain/index.ts";
import type { Actor } from "../../src/domain/types.ts";
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
    const contextOver = (database: Database) => instanceContext(database, { clock, pepper, seed: randomUUID() });
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
    async function workspaceWithDigest(team: string): Promise<Actor> {
      clock.set("2026-10-21T12:00:00Z"); // a Wednesday
      const admin = await domain.access.actorForUser(team, "UDIGESTADM", { isWorkspaceAdmin: true }, "slack");
      const { nextAt } = await domain.digests.setSettings(admin, { channel: "C0OPS", weekday: 1, hour: 9, timeZone: "America/New_York", appId: null });
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

    it.runIf(kind === "postgres")("two instances on one PostgreSQL post each workspace's digest once", async () => {
      const teams = ["TTWINA", "TTWINB", "TTWINC", "TTWIND"].map((t) => `${t}${kind.toUpperCase()}`);
      for (const team of teams) await workspaceWithDigest(team);
      const posts: Array<{ claim: DigestClaim; view: DigestView }> = [];
      // Two instances: each its own connection pool, ledger and instance id.
      const a = new DigestService({ ...contextOver(db), digestNotifier: fakeNotifier(posts) });
      const b = new DigestService({ ...contextOver(other!), digestNotifier: fakeNotifier(posts) });
      clock.set("2026-10-26T13:00:00Z");
      const reports = await Promise.all([a.runPass(1), b.runPass(1), a.runPass(1), b.runPass(1)]);
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
