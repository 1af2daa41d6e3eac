import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultReplacementDay, latestReplacementExpiry, lifetimeDays } from "../../src/domain/key-roll.ts";
import { createDomainFixture, fixtureStart, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

/**
 * Issue 10 item 1, "Rolling renews": a roll gives the replacement an expiry of its own (the
 * caller's, or the old key's lifetime again from today), and an undelivered replacement gives the
 * old key back the expiry it had before the roll.
 */
describe.each(databaseKinds())("rolling renews, on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(() => f.clock.set(fixtureStart));

  // Created 27 November 2026, expiring at the end of 31 January 2027 in Paris: a lifetime of 65 days.
  const input = { name: "renewed", description: "rolled for a new expiry", role: "Viewer", expiresOn: "2027-01-31", timeZone: "Europe/Paris" };
  const rollDay = "2027-01-20T15:00:00Z";

  async function setUp(name = input.name) {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const created = await f.services.keys.create(admin, { ...input, name });
    f.clock.set(rollDay);
    return { ws, admin, ...created };
  }

  async function rowsOf(workspaceId: string) {
    const [keys, audit] = await Promise.all([
      f.db.prisma.apiKey.findMany({ where: { workspaceId }, orderBy: { id: "asc" } }),
      f.db.prisma.auditEvent.count({ where: { workspaceId } }),
    ]);
    return { keys: JSON.stringify(keys), audit };
  }

  it("by default gives the replacement the old key's lifetime again, from today, to the end of that day in the old key's zone", async () => {
    const { admin, key } = await setUp();
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 });
    // 20 January + 65 days = 26 March; it ends at 22:59:59.999Z in Paris (UTC+1 until the 28th).
    expect(rolled.key.expiresAt.toISOString()).toBe("2027-03-26T22:59:59.999Z");
    expect(rolled.key.expiryTimeZone).toBe("Europe/Paris");
    expect(rolled.previous.expiresAt.toISOString()).toBe("2027-01-20T16:00:00.000Z");
    const row = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: rolled.key.id } });
    expect(row.expiresAt.toISOString()).toBe("2027-03-26T22:59:59.999Z");
    // Its reminders follow its own expiry: the first is the 30-day one, 24 February in Paris.
    expect(row.nextReminderAt!.toISOString()).toBe("2027-02-23T23:00:00.000Z");
    const old = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(old.expiresAtBeforeRoll!.toISOString()).toBe(key.expiresAt.toISOString());
    const created = await f.db.prisma.auditEvent.findFirstOrThrow({ where: { targetId: rolled.key.id, action: "api_key.create" } });
    expect(created.details).toMatchObject({ rolledFrom: key.id, expiresAt: "2027-03-26T22:59:59.999Z" });
  });

  it("takes the caller's day and zone, an instant, or only a zone to count the default in", async () => {
    const { admin } = await setUp("unused");
    const byDay = await f.services.keys.create(admin, { ...input, name: "by-day" });
    const rolledByDay = await f.services.keys.roll(admin, byDay.key.id, { expiresOn: "2027-07-31", timeZone: "America/New_York" });
    expect(rolledByDay.key.expiresAt.toISOString()).toBe("2027-08-01T03:59:59.999Z");
    expect(rolledByDay.key.expiryTimeZone).toBe("America/New_York");

    const byInstant = await f.services.keys.create(admin, { ...input, name: "by-instant" });
    const rolledByInstant = await f.services.keys.roll(admin, byInstant.key.id, { expiresAt: "2027-05-01T12:00:00Z" as never });
    expect(rolledByInstant.key.expiresAt.toISOString()).toBe("2027-05-01T12:00:00.000Z");
    expect(rolledByInstant.key.expiryTimeZone).toBeNull();

    // Created today (20 January in Paris) for the 31st: 11 days, counted again from today in Tokyo (already the 21st there).
    const byZone = await f.services.keys.create(admin, { ...input, name: "by-zone" });
    const rolledByZone = await f.services.keys.roll(admin, byZone.key.id, { timeZone: "Asia/Tokyo" });
    expect(rolledByZone.key.expiresAt.toISOString()).toBe("2027-02-01T14:59:59.999Z");
    expect(rolledByZone.key.expiryTimeZone).toBe("Asia/Tokyo");
  });

  it("refuses a past day, a past instant, one beyond the limit, a day without zone, both forms, and an expired key, writing nothing", async () => {
    const { ws, admin, key } = await setUp();
    const before = await rowsOf(ws);
    const refusals: Array<[unknown, object]> = [
      [
        { expiresOn: "2027-01-19", timeZone: "Europe/Paris" },
        { code: "expiry_in_past", details: { fields: { expiresOn: expect.any(String) } } },
      ],
      [{ expiresAt: "2027-01-20T14:00:00Z" }, { code: "expiry_in_past", details: { fields: { expiresAt: expect.any(String) } } }],
      [
        { expiresOn: "2037-01-21", timeZone: "UTC" },
        { code: "validation_failed", details: { fields: { expiresOn: expect.stringContaining("2037-01-20") } } },
      ],
      [{ expiresAt: "2040-01-01T00:00:00Z" }, { code: "validation_failed", details: { fields: { expiresAt: expect.any(String) } } }],
      [{ expiresOn: "2027-06-01" }, { code: "validation_failed", details: { fields: { timeZone: expect.any(String) } } }],
      [
        { expiresOn: "2027-06-01", timeZone: "UTC", expiresAt: "2027-06-01T00:00:00Z" },
        { code: "validation_failed", details: { fields: { expiresOn: expect.any(String) } } },
      ],
      [
        { expiresOn: "2027-02-30", timeZone: "UTC" },
        { code: "validation_failed", details: { fields: { expiresOn: expect.any(String) } } },
      ],
      [{ timeZone: "Mars/Olympus" }, { code: "validation_failed", details: { fields: { timeZone: expect.any(String) } } }],
    ];
    for (const [body, refusal] of refusals) {
      await expect(f.services.keys.roll(admin, key.id, body as never), JSON.stringify(body)).rejects.toMatchObject(refusal);
    }
    f.clock.set("2027-02-01T00:00:00Z");
    await expect(f.services.keys.roll(admin, key.id, {})).rejects.toMatchObject({ code: "expiry_in_past", message: expect.stringContaining("has expired") });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("keeps the default within the limit a policy would set (today the 10-year horizon)", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    // The longest lifetime allowed on 2026-11-27 (3652 days; ten years from then hold three leap
    // days), rolled on 2029-03-02, when ten years hold two: its lifetime again would end on
    // 2039-03-02 at midnight, past the horizon (noon that day), so it ends a day earlier.
    const { key } = await f.services.keys.create(admin, { ...input, name: "decade", expiresOn: "2036-11-26", timeZone: "UTC" });
    f.clock.set("2029-03-02T12:00:00Z");
    expect(lifetimeDays(key)).toBe(3652);
    expect(latestReplacementExpiry(f.clock.now(), "service").toISOString()).toBe("2039-03-02T12:00:00.000Z");
    expect(defaultReplacementDay(key, f.clock.now(), "UTC")).toBe("2039-03-01");
    const rolled = await f.services.keys.roll(admin, key.id, {});
    expect(rolled.key.expiresAt.toISOString()).toBe("2039-03-01T23:59:59.999Z");
  });

  it("refuses a replacement that would expire when or before the old key stops (its name would free while the old key works), writing nothing", async () => {
    const { ws, admin, key } = await setUp("outlast");
    const before = await rowsOf(ws);
    // REST: an instant a minute ahead with a 7-day grace; Slack: today, with the form's 24 hours (until 16:00 tomorrow in Paris).
    await expect(f.services.keys.roll(admin, key.id, { expiresAt: "2027-01-20T15:01:00Z" as never, graceHours: 168 })).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: { expiresAt: expect.stringContaining("2027-01-27T15:00:00.000Z") } },
    });
    await expect(f.services.keys.roll(admin, key.id, { expiresOn: "2027-01-20", timeZone: "Europe/Paris", graceHours: 24 })).rejects.toMatchObject({
      code: "validation_failed",
      details: { fields: { expiresOn: expect.stringContaining("2027-01-21 or later") } },
    });
    // Exactly when the old key stops is not later either.
    await expect(f.services.keys.roll(admin, key.id, { expiresAt: "2027-01-21T15:00:00Z" as never, graceHours: 24 })).rejects.toMatchObject({
      code: "validation_failed",
    });
    expect(await rowsOf(ws)).toEqual(before);
    const rolled = await f.services.keys.roll(admin, key.id, { expiresOn: "2027-01-21", timeZone: "Europe/Paris", graceHours: 24 });
    expect(rolled.key.expiresAt.getTime()).toBeGreaterThan(rolled.previous.expiresAt.getTime());
  });

  it("pushes the default day past the old key's end: a 0-day lifetime's today would expire with the old key", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    // Created and expiring on 27 November in UTC: a lifetime of 0 days, so its lifetime again is today.
    const { key } = await f.services.keys.create(admin, { ...input, name: "same-day", expiresOn: "2026-11-27", timeZone: "UTC" });
    expect(lifetimeDays(key)).toBe(0);
    expect(defaultReplacementDay(key, f.clock.now(), "UTC")).toBe("2026-11-27");
    expect(defaultReplacementDay(key, f.clock.now(), "UTC", new Date("2026-11-28T15:00:00Z"))).toBe("2026-11-28");
    const rolled = await f.services.keys.roll(admin, key.id, {});
    expect(rolled.previous.expiresAt.toISOString()).toBe("2026-11-27T23:59:59.999Z");
    expect(rolled.key.expiresAt.toISOString()).toBe("2026-11-28T23:59:59.999Z");
  });

  it("gives the old key back its ORIGINAL expiry when the replacement (with a new one) is never delivered; the replacement is gone", async () => {
    const { ws, admin, key, secret } = await setUp();
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 0, expiresOn: "2027-12-31", timeZone: "UTC" }, { pendingDelivery: true });
    expect(rolled.key.expiresAt.toISOString()).toBe("2027-12-31T23:59:59.999Z");
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "expired" });

    expect(await f.services.keys.discardUndelivered(admin, rolled.key, "delivery_failed")).toMatchObject({
      discarded: true,
      revertedRoll: { oldKeyId: key.id, revived: true },
    });
    const old = await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(old).toMatchObject({ replacedBy: null, deletedAt: null, expiresAtBeforeRoll: null });
    expect(old.expiresAt.toISOString()).toBe("2027-01-31T22:59:59.999Z");
    // Its reminders are planned again for that expiry: the 14-day one is due already (17 January in Paris), so at once.
    expect(old.nextReminderAt!.toISOString()).toBe("2027-01-16T23:00:00.000Z");
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: true, key: { id: key.id } });
    expect((await f.services.keys.verify(secret)).key!.expiresAt.toISOString()).toBe("2027-01-31T22:59:59.999Z");
    expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: rolled.key.id } })).toMatchObject({ deletedAt: expect.any(Date) });
    expect(await f.services.keys.verify(rolled.secret)).toMatchObject({ valid: false });
    expect((await f.services.keys.find(admin, "renewed")).id).toBe(key.id);
    const actions = (await f.db.prisma.auditEvent.findMany({ where: { workspaceId: ws }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["api_key.create", "api_key.roll", "api_key.create", "api_key.delete", "api_key.roll_reverted"]);
  });

  it("lets a pending replacement hold its name even past its expiry, so no key takes the name its undone roll gives back", async () => {
    const { admin, key, secret } = await setUp("held-while-pending");
    // Today's end in Paris is allowed (after the old key stops now); the delivery then hangs past it, before the sweep ran.
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 0, expiresOn: "2027-01-20", timeZone: "Europe/Paris" }, { pendingDelivery: true });
    f.clock.set("2027-01-20T23:05:00Z");
    await expect(f.services.keys.create(admin, { ...input, name: "held-while-pending" })).rejects.toMatchObject({ code: "conflict" });
    expect(await f.db.prisma.apiKey.count({ where: { name: "held-while-pending" } })).toBe(2);
    expect(await f.services.keys.sweepUndelivered()).toBeGreaterThanOrEqual(1);
    expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: rolled.key.id } })).toMatchObject({ deletedAt: expect.any(Date) });
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: true, key: { id: key.id, replacedBy: null } });
  });

  it("does not bring the old key back when another key holds its name by then: it stays stopped, and the result says so", async () => {
    const { ws, admin, key, secret } = await setUp("taken-meanwhile");
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 0 }, { pendingDelivery: true });
    // As an earlier version left the rows (a create let through while the replacement was pending).
    const other = await f.services.keys.create(admin, { ...input, name: "other-name" });
    await f.db.prisma.apiKey.update({ where: { id: other.key.id }, data: { name: "taken-meanwhile" } });

    const outcome = await f.services.keys.discardUndelivered(admin, rolled.key, "delivery_failed");
    expect(outcome).toEqual({ discarded: true, revertedRoll: { oldKeyId: key.id, revived: false, worksUntil: rolled.previous.expiresAt } });
    expect(await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({
      replacedBy: rolled.key.id,
      expiresAt: rolled.previous.expiresAt,
    });
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "expired" });
    expect((await f.services.keys.find(admin, "taken-meanwhile")).id).toBe(other.key.id);
    const reverted = await f.db.prisma.auditEvent.findFirstOrThrow({ where: { workspaceId: ws, action: "api_key.roll_reverted" } });
    expect(reverted.details).toMatchObject({ oldKeyRevived: false, nameTaken: true });
  });

  it("ends a grace period only for a rolled key whose replacement was delivered (endGrace), writing nothing otherwise", async () => {
    const { ws, admin, key, secret } = await setUp("end-grace");
    const notReplaced = {
      code: "conflict",
      message: expect.stringContaining("is not being replaced"),
      details: { notReplaced: true, name: "end-grace", last4: key.last4 },
    };
    let before = await rowsOf(ws);
    await expect(f.services.keys.delete(admin, key.id, { endGrace: true })).rejects.toMatchObject(notReplaced);
    expect(await rowsOf(ws)).toEqual(before);

    const pending = await f.services.keys.roll(admin, key.id, { graceHours: 24 }, { pendingDelivery: true });
    before = await rowsOf(ws);
    await expect(f.services.keys.delete(admin, key.id, { endGrace: true })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining("its replacement is still being delivered; try again in a moment"),
      details: { replacedBy: pending.key.id },
    });
    expect(await rowsOf(ws)).toEqual(before);
    // The delivery failed: the roll is undone, and a Stop old key now pressed from before must not delete the key back in service.
    await f.services.keys.discardUndelivered(admin, pending.key, "delivery_failed");
    before = await rowsOf(ws);
    await expect(f.services.keys.delete(admin, key.id, { endGrace: true })).rejects.toMatchObject(notReplaced);
    expect(await rowsOf(ws)).toEqual(before);
    expect((await f.services.keys.verify(secret)).valid).toBe(true);

    const delivered = await f.services.keys.roll(admin, key.id, { graceHours: 24 }, { pendingDelivery: true });
    await f.services.keys.activate(admin, delivered.key.id);
    await f.services.keys.delete(admin, key.id, { endGrace: true });
    expect(await f.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
    expect((await f.services.keys.verify(delivered.secret)).valid).toBe(true);
  });

  it("answers a snooze of a rolled key (no reminder left) without changing or auditing anything", async () => {
    const { ws, admin, key } = await setUp("snoozed-rolled");
    await f.services.keys.roll(admin, key.id, { graceHours: 24 });
    const before = await rowsOf(ws);
    expect(await f.services.keyReminders.snooze(admin, key.id)).toMatchObject({ snoozed: false, until: expect.any(Date), key: { id: key.id } });
    expect(await rowsOf(ws)).toEqual(before);
  });

  it("restores a key rolled before expiresAtBeforeRoll existed from its replacement's copy of the expiry", async () => {
    const { admin, key } = await setUp();
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 0 }, { pendingDelivery: true });
    // As a roll made by an earlier version left the rows: no saved expiry, the old one copied onto the replacement.
    await f.db.prisma.apiKey.update({ where: { id: key.id }, data: { expiresAtBeforeRoll: null } });
    await f.db.prisma.apiKey.update({ where: { id: rolled.key.id }, data: { expiresAt: key.expiresAt } });
    await f.services.keys.discardUndelivered(admin, { ...rolled.key, expiresAt: key.expiresAt }, "delivery_failed");
    expect((await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).expiresAt.toISOString()).toBe(key.expiresAt.toISOString());
  });

  it("frees an expired key's name for its replacement; to roll, the name then means the working key, to delete or edit it is ambiguous", async () => {
    const { admin, key } = await setUp("expired-name");
    f.clock.set("2027-02-02T00:00:00Z");
    await expect(f.services.keys.roll(admin, key.id, {})).rejects.toMatchObject({ code: "expiry_in_past" });
    const replacement = await f.services.keys.create(admin, { ...input, name: "expired-name", expiresOn: "2027-06-30" });
    expect((await f.services.keys.findForChange(admin, "expired-name", { preferWorking: true })).id).toBe(replacement.key.id);
    // `/keys delete expired-name` must not pick one silently: both are listed by last 4 and expiry.
    const ambiguous = {
      code: "ambiguous_reference",
      message: `Several keys are named "expired-name": …${key.last4} (expired 2027-01-31 22:59 UTC), …${replacement.key.last4} (expires 2027-06-30 21:59 UTC).`,
      details: { ids: [key.id, replacement.key.id] },
    };
    await expect(f.services.keys.findForChange(admin, "expired-name")).rejects.toMatchObject(ambiguous);
    await expect(f.services.keys.find(admin, "expired-name")).rejects.toMatchObject(ambiguous);
    // By id each is still found; once the expired one is deleted, the name means the other again.
    expect((await f.services.keys.find(admin, key.id)).id).toBe(key.id);
    await f.services.keys.delete(admin, key.id);
    expect((await f.services.keys.find(admin, "expired-name")).id).toBe(replacement.key.id);
    // A working key still holds its name.
    await expect(f.services.keys.create(admin, { ...input, name: "expired-name", expiresOn: "2027-06-30" })).rejects.toMatchObject({ code: "conflict" });
  });

  it("snoozes a key's next reminder by a day, for those who may roll it; an expired key has none left", async () => {
    const { ws, admin, key } = await setUp("snoozed");
    const viewer = await f.actor(ws, "viewer");
    f.clock.set("2027-01-24T08:00:00Z"); // the 7-day reminder was due at the start of the day; the next, 3 days, on the 28th
    await f.db.prisma.apiKey.update({ where: { id: key.id }, data: { nextReminderAt: new Date("2027-01-24T10:00:00Z") } });
    const before = await rowsOf(ws);
    await expect(f.services.keyReminders.snooze(viewer, key.id)).rejects.toMatchObject({ code: "permission_denied" });
    await expect(f.services.keyReminders.snooze(admin, "0190a000-0000-7000-8000-000000000001")).rejects.toMatchObject({ code: "not_found" });
    expect(await rowsOf(ws)).toEqual(before);

    const snoozed = await f.services.keyReminders.snooze(admin, key.id);
    expect(snoozed.until!.toISOString()).toBe("2027-01-25T08:00:00.000Z");
    expect(snoozed.snoozed).toBe(true);
    expect((await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).nextReminderAt!.toISOString()).toBe("2027-01-25T08:00:00.000Z");
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "api_key.snooze" } })).toBe(1);

    // Never sooner than planned: a reminder due later than a day from now stays where it is, and nothing is audited.
    await f.db.prisma.apiKey.update({ where: { id: key.id }, data: { nextReminderAt: new Date("2027-01-27T23:00:00Z") } });
    expect(await f.services.keyReminders.snooze(admin, key.id)).toMatchObject({ snoozed: false, until: new Date("2027-01-25T08:00:00Z") });
    expect((await f.db.prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).nextReminderAt!.toISOString()).toBe("2027-01-27T23:00:00.000Z");
    expect(await f.db.prisma.auditEvent.count({ where: { workspaceId: ws, action: "api_key.snooze" } })).toBe(1);

    f.clock.set("2027-02-01T00:00:00Z");
    expect((await f.services.keyReminders.snooze(admin, key.id)).until).toBeNull();
  });
});
