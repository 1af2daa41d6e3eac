import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaReminderRepository } from "../../src/db/prisma-reminder-repository.ts";
import { IntegrationService } from "../../src/domain/integration-service.ts";
import type { ReminderMessageChange, ReminderMessages } from "../../src/domain/reminder-messages.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

const secret = (c: string) => `ghp_${c.repeat(36)}`;

describe.each(databaseKinds())("reminder messages after a change, on %s", (kind) => {
  let f: DomainFixture;
  /** What the port was told, with the configuration as the database had it at that moment. */
  const seen: Array<{ change: ReminderMessageChange; stored: { last4: string } | null }> = [];
  /** What the port was asked, as it was asked: the services call it before their change returns, so this can be checked at once. */
  const asked: string[] = [];
  let integrations: IntegrationService;

  beforeAll(async () => {
    f = await createDomainFixture(kind);
    const port: ReminderMessages = {
      async refresh(change) {
        asked.push(change.what);
        // Read outside any transaction: a change the port hears about has committed already.
        const stored = await f.ctx.store.integrations.findById(change.workspaceId, change.subjectId);
        seen.push({ change, stored: stored && { last4: stored.last4 } });
      },
    };
    integrations = new IntegrationService({ ...f.ctx, reminderMessages: port });
  });
  afterAll(async () => {
    await f?.close();
  });

  async function heard(count: number) {
    const deadline = Date.now() + 5_000;
    while (seen.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return seen.slice(0, count);
  }

  it("tells the port after a rotation, a snooze and a deletion commit, with the configuration as its reminders showed it", async () => {
    seen.length = 0;
    asked.length = 0;
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const added = await integrations.add(admin, "github", {
      alias: "cortex-github",
      secret: secret("a"),
      expiresOn: "2026-12-31",
      timeZone: "UTC",
      reminderChannel: "C0PLATFORM",
    });
    await integrations.update(admin, "github", "cortex-github", { isDefault: true, reminderChannel: "C0OTHER01" });
    expect(asked).toEqual([]); // neither makes a reminder stale
    await integrations.snooze(admin, added.id, 24);
    await heard(1);
    await integrations.update(admin, "github", "cortex-github", { secret: secret("b"), expiresOn: "2027-06-30", timeZone: "Europe/Paris" });
    await heard(2);
    await integrations.delete(admin, "github", "cortex-github");
    const [snoozed, rotated, deleted] = await heard(3);
    const common = { workspaceId: ws, subjectType: "integration", subjectId: added.id, by: { userId: admin.userId, source: "slack" } };
    expect(snoozed!.change).toMatchObject({ ...common, what: "snoozed", until: new Date(f.clock.now().getTime() + 24 * 3600_000) });
    expect(rotated!.change).toMatchObject({
      ...common,
      what: "rotated",
      last4: "bbbb",
      expiryTimeZone: "Europe/Paris",
      subject: { integration: "github", alias: "cortex-github", last4: "aaaa", createdBy: admin.userId, rotatedBy: null },
    });
    expect(rotated!.stored).toEqual({ last4: "bbbb" });
    expect(deleted!.change).toMatchObject({ ...common, what: "deleted", subject: { last4: "bbbb", rotatedBy: admin.userId } });
    expect(deleted!.stored).toBeNull();
    expect(asked).toEqual(["snoozed", "rotated", "deleted"]);
  });

  it("tells the port nothing when the change is refused", async () => {
    seen.length = 0;
    asked.length = 0;
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const viewer = await f.actor(ws, "viewer");
    const added = await integrations.add(admin, "sentry", { alias: "errors", secret: secret("c"), expiresOn: "2026-12-31", timeZone: "UTC" });
    await expect(integrations.update(viewer, "sentry", "errors", { secret: secret("d") })).rejects.toMatchObject({ code: "permission_denied" });
    await expect(integrations.update(admin, "sentry", "errors", { secret: secret("d"), expiresOn: "2020-01-01", timeZone: "UTC" })).rejects.toMatchObject({
      code: "expiry_in_past",
    });
    await expect(integrations.snooze(viewer, added.id)).rejects.toMatchObject({ code: "permission_denied" });
    await expect(integrations.delete(admin, "sentry", "no-such-alias")).rejects.toMatchObject({ code: "not_found" });
    expect(asked).toEqual([]);
    // A later change is heard, so the refused ones would have been by now.
    await integrations.delete(admin, "sentry", "errors");
    expect((await heard(1)).map((s) => s.change.what)).toEqual(["deleted"]);
    expect(seen).toHaveLength(1);
  });

  it("the ledger gives one workspace's posted messages about the current expiry only, and settles each once", async () => {
    const repo = new PrismaReminderRepository(f.db.prisma);
    const subjectId = randomUUID();
    const [mine, theirs] = [f.workspace(), f.workspace()];
    for (const ws of [mine, theirs]) await f.services.access.ensureWorkspace(ws);
    const current = new Date("2026-12-31T23:59:59.999Z");
    const earlier = new Date("2026-06-30T23:59:59.999Z");
    // The same subject id in another workspace (ids are unique, but a ledger query must not trust that).
    const row = (workspaceId: string, threshold: number, status: string, messageTs: string | null, sentAt: string | null, expiresAt = current) =>
      f.db.prisma.reminderDelivery.create({
        data: {
          id: randomUUID(),
          workspaceId,
          subjectType: "integration",
          subjectId,
          expiresAt,
          threshold,
          status,
          claimedAt: new Date(),
          sentAt: sentAt && new Date(sentAt),
          channel: messageTs ? "C0PLATFORM" : null,
          messageTs,
        },
      });
    // Inserted newest first, with ids in no particular order: the ledger gives them oldest first.
    await row(mine, 3, "sent", "1.0002", "2026-12-28T09:00:00Z");
    await row(mine, 7, "sent", "1.0001", "2026-12-24T09:00:00Z");
    await row(mine, 1, "retry", null, null);
    await row(mine, 0, "undeliverable", null, null);
    // About an expiry before the last rotation (settled by nothing, from before the ledger settled): left alone.
    await row(mine, 7, "sent", "0.0001", "2026-06-23T09:00:00Z", earlier);
    await row(theirs, 14, "sent", "2.0001", "2026-12-17T09:00:00Z");
    expect((await repo.postedMessages(mine, "integration", subjectId, current)).map((m) => [m.ts, m.threshold])).toEqual([
      ["1.0001", 7],
      ["1.0002", 3],
    ]);
    expect(await repo.postedMessages(mine, "api_key", subjectId, current)).toEqual([]);
    expect((await repo.settleMessages(mine, "integration", subjectId, current)).map((m) => m.ts)).toEqual(["1.0001", "1.0002"]);
    expect(await repo.settleMessages(mine, "integration", subjectId, current)).toEqual([]);
    expect(await repo.postedMessages(mine, "integration", subjectId, current)).toEqual([]);
    expect((await repo.postedMessages(mine, "integration", subjectId, earlier)).map((m) => m.ts)).toEqual(["0.0001"]);
    expect((await f.db.prisma.reminderDelivery.findFirstOrThrow({ where: { messageTs: "0.0001" } })).settledAt).toBeNull();
    expect((await repo.postedMessages(theirs, "integration", subjectId, current)).map((m) => m.ts)).toEqual(["2.0001"]);
  });
});
