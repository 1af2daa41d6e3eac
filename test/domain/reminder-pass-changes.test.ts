import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeChange } from "../../src/domain/reminder-messages.ts";
import { ReminderService } from "../../src/domain/reminder-service.ts";
import type { ReminderClaim, ReminderNotifier, ReminderOutcome, ReminderSubjectNow } from "../../src/domain/reminder-types.ts";
import type { Actor } from "../../src/domain/types.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

const days = [30, 14, 7, 3, 1, 0];
const secret = (c: string) => `ghp_${c.repeat(36)}`;

/** Posts what it is handed, after running the test's hook (a change that commits while the pass is under way). */
class HookedNotifier implements ReminderNotifier {
  delivered: string[] = [];
  withdrawn: Array<{ alias: string | null; ts: string; now: ReminderSubjectNow | null }> = [];
  /** What withdraw answers: "later" as when Slack refused the rewrite for a passing reason. */
  withdrawAnswer: "later" | undefined = undefined;
  constructor(private readonly hook: (claim: ReminderClaim) => Promise<void>) {}
  async deliver(claim: ReminderClaim): Promise<ReminderOutcome> {
    await this.hook(claim);
    this.delivered.push(claim.subject.alias!);
    return { status: "sent", channel: "C0REMIND", ts: `1.${this.delivered.length}` };
  }
  async withdraw(claim: ReminderClaim, posted: { channel: string; ts: string }, now: ReminderSubjectNow | null) {
    this.withdrawn.push({ alias: claim.subject.alias, ts: posted.ts, now });
    return this.withdrawAnswer;
  }
}

/** A reminder pass claims a batch at once and posts it claim by claim: changes that commit meanwhile must not leave a live stale reminder. */
describe.each(databaseKinds())("a reminder pass and changes made while it runs, on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  async function setUp(aliases: string[]): Promise<Actor> {
    f.clock.set("2026-11-27T15:00:00Z");
    const admin = await f.actor(f.workspace(), "admin");
    for (const alias of aliases)
      await f.services.integrations.add(admin, "github", { alias, secret: secret("a"), expiresOn: "2026-12-10", timeZone: "UTC", reminderChannel: "C0REMIND" });
    f.clock.set("2026-12-03T12:00:00Z"); // the 7-day threshold is due for all of them
    return admin;
  }

  const service = (notifier: ReminderNotifier) => new ReminderService({ ...f.ctx, reminderNotifier: notifier, reminderDays: days });
  const ledgerOf = async (alias: string) => {
    const config = await f.db.prisma.integrationConfig.findFirstOrThrow({ where: { alias } });
    return f.db.prisma.reminderDelivery.findFirstOrThrow({ where: { subjectId: config.id, threshold: 7 } });
  };

  it("does not post a claim whose configuration was rotated or deleted after the batch was claimed", async () => {
    const admin = await setUp(["batch-one", "batch-two", "batch-three"]);
    const notifier = new HookedNotifier(async (claim) => {
      if (notifier.delivered.length > 0) return;
      // The first post of the batch: meanwhile someone rotates one of the others and deletes the third.
      const [rotate, remove] = ["batch-one", "batch-two", "batch-three"].filter((a) => a !== claim.subject.alias);
      await f.services.integrations.update(admin, "github", rotate!, { secret: secret("b") });
      await f.services.integrations.delete(admin, "github", remove!);
    });
    const report = await service(notifier).runPass();
    expect(notifier.delivered).toHaveLength(1);
    expect(report).toMatchObject({ claimed: 3, sent: 1, obsolete: 2 });
    const rows = await f.db.prisma.reminderDelivery.findMany({ where: { workspaceId: admin.workspaceId } });
    expect(rows.map((r) => r.status).sort()).toEqual(["obsolete", "obsolete", "sent"]);
    expect(notifier.withdrawn).toEqual([]);
  });

  it("settles a reminder whose configuration was rotated, or deleted, while it was being posted", async () => {
    const admin = await setUp(["posting-rotated", "posting-deleted", "posting-untouched"]);
    const notifier = new HookedNotifier(async (claim) => {
      if (claim.subject.alias === "posting-rotated")
        await f.services.integrations.update(admin, "github", "posting-rotated", { secret: secret("c"), expiresOn: "2027-03-01", timeZone: "UTC" });
      if (claim.subject.alias === "posting-deleted") await f.services.integrations.delete(admin, "github", "posting-deleted");
    });
    await service(notifier).runPass();
    expect(notifier.delivered.sort()).toEqual(["posting-deleted", "posting-rotated", "posting-untouched"]);
    const byAlias = Object.fromEntries(notifier.withdrawn.map((w) => [w.alias, w.now]));
    expect(Object.keys(byAlias).sort()).toEqual(["posting-deleted", "posting-rotated"]);
    expect(byAlias["posting-rotated"]).toEqual({ last4: "cccc", expiresAt: expect.any(Date), expiryTimeZone: "UTC" });
    expect(byAlias["posting-deleted"]).toBeNull();
    const rows = await f.db.prisma.reminderDelivery.findMany({ where: { workspaceId: admin.workspaceId } });
    expect(rows.map((r) => [r.status, r.settledAt !== null]).sort()).toEqual([
      ["sent", false],
      ["sent", true],
      ["sent", true],
    ]);
    expect((await ledgerOf("posting-untouched")).settledAt).toBeNull();
  });

  it("keeps a withdraw Slack refused for a passing reason on the ledger row, so a later pass re-applies it (the row is settled already)", async () => {
    const admin = await setUp(["withdraw-later", "withdraw-final"]);
    const notifier = new HookedNotifier(async (claim) => {
      await f.services.integrations.update(admin, "github", claim.subject.alias!, { secret: secret("d"), expiresOn: "2027-03-01", timeZone: "UTC" });
      notifier.withdrawAnswer = claim.subject.alias === "withdraw-later" ? "later" : undefined;
    });
    await service(notifier).runPass();
    expect(notifier.withdrawn.map((w) => w.alias).sort()).toEqual(["withdraw-final", "withdraw-later"]);
    const later = await ledgerOf("withdraw-later");
    expect(later.settledAt).not.toBeNull();
    const change = decodeChange(later.deferredUpdate);
    expect(change).toMatchObject({
      what: "superseded",
      now: { last4: "dddd", expiresAt: expect.any(Date), expiryTimeZone: "UTC" },
      subjectId: later.subjectId,
      subject: { integration: "github", alias: "withdraw-later", last4: "aaaa", expiresAt: later.expiresAt },
    });
    // Refused for good (or done): nothing kept.
    expect((await ledgerOf("withdraw-final")).deferredUpdate).toBeNull();
  });
});
