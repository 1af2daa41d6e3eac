import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReminderMessageChange } from "../../src/domain/reminder-messages.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

const change = (workspaceId: string): ReminderMessageChange => ({
  what: "deleted",
  workspaceId,
  subjectType: "integration",
  subjectId: "cfg-1",
  subject: {
    integration: "github",
    alias: "deferred",
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

/** Deferred reminder-message updates (issue 13 review): a paused workspace's wait, and do not crowd out the others'. */
describe.each(databaseKinds())("takeDeferredUpdates skips paused workspaces, on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  async function deferred(workspaceId: string, id: string): Promise<void> {
    await f.db.prisma.reminderDelivery.create({
      data: {
        id,
        workspaceId,
        subjectType: "integration",
        subjectId: `cfg-${id}`,
        expiresAt: new Date("2026-12-31T23:59:59.999Z"),
        threshold: 7,
        status: "sent",
        attempts: 1,
        claimedAt: f.clock.now(),
        sentAt: f.clock.now(),
        channel: "C0REMIND",
        messageTs: `1.000${id.length}`,
      },
    });
    await f.ctx.store.reminders.deferUpdate(id, change(workspaceId));
  }

  it("takes only unpaused workspaces' updates, even when paused ones come first, and a resumed one's afterwards", async () => {
    const paused = f.workspace();
    const active = f.workspace();
    for (const ws of [paused, active]) await f.services.access.ensureWorkspace(ws);
    for (const id of ["a-paused-1", "a-paused-2"]) await deferred(paused, id);
    await deferred(active, "z-active-1");
    await f.ctx.store.slackInstalls.pause(paused, f.clock.now());
    const taken = await f.ctx.store.reminders.takeDeferredUpdates(2);
    expect(taken.map((t) => t.message.deliveryId)).toEqual(["z-active-1"]);
    // The paused workspace's are kept for later, not dropped.
    const kept = (await f.db.prisma.reminderDelivery.findMany({ where: { workspaceId: paused } })).filter((r) => r.deferredUpdate !== null);
    expect(kept.map((r) => r.id).sort()).toEqual(["a-paused-1", "a-paused-2"]);
    await f.ctx.store.slackInstalls.resume(paused);
    expect((await f.ctx.store.reminders.takeDeferredUpdates(10)).map((t) => t.message.deliveryId).sort()).toEqual(["a-paused-1", "a-paused-2"]);
  });
});
