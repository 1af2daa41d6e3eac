import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyUsageRepository } from "../../src/domain/repositories.ts";
import { utcDay } from "../../src/domain/usage-counter.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";

describe.each(databaseKinds())("key usage reads on %s", (kind) => {
  let f: DomainFixture;
  let reads: number;

  beforeAll(async () => {
    f = await createDomainFixture(kind);
    // Services read ctx.store.keyUsage at each call: counting here counts every read they make.
    const inner = f.ctx.store.keyUsage;
    const counting: KeyUsageRepository = {
      add: (c) => inner.add(c),
      prune: (d) => inner.prune(d),
      daily: (...args) => {
        reads++;
        return inner.daily(...args);
      },
    };
    f.ctx.store.keyUsage = counting;
  });
  afterAll(async () => {
    await f?.close();
  });

  const makeKeys = async (actor: Awaited<ReturnType<DomainFixture["actor"]>>, n: number, prefix: string) => {
    const keys = [];
    for (let i = 0; i < n; i++)
      keys.push((await f.services.keys.create(actor, { name: `${prefix}-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).key);
    return keys;
  };

  it("reads a whole page's 14 days in one query, each key's own counts in place, zeros elsewhere", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const keys = await makeKeys(admin, 15, "page");
    f.clock.set("2026-12-02T09:00:00Z");
    const today = utcDay(f.clock.now());
    keys.forEach((k, i) => {
      f.services.usageCounter.count(ws, k.id, f.clock.now(), i + 1); // today
      f.services.usageCounter.count(ws, k.id, new Date("2026-11-19T12:00:00Z"), 100); // 13 days back: the first bar
      f.services.usageCounter.count(ws, k.id, new Date("2026-11-18T23:59:59Z"), 1000); // 14 days back: outside
    });
    await f.services.usageCounter.flush();
    reads = 0;
    const recent = await f.services.usage.recent(admin, keys);
    expect(reads).toBe(1);
    expect(recent.size).toBe(15);
    keys.forEach((k, i) => {
      const days = recent.get(k.id)!.days;
      expect(days).toHaveLength(14);
      expect(days[0]).toBe(100);
      expect(days[13]).toBe(i + 1);
      expect(days.slice(1, 13).every((n) => n === 0)).toBe(true);
      expect(recent.get(k.id)!.last7).toBe(i + 1);
    });
    expect(utcDay(new Date("2026-11-19T00:00:00Z"))).toBe(today - 13);
  });

  it("never shows another workspace's counts, even for its key ids", async () => {
    const mine = f.workspace();
    const theirs = f.workspace();
    const me = await f.actor(mine, "admin");
    const them = await f.actor(theirs, "admin");
    const [theirKey] = await makeKeys(them, 1, "theirs");
    f.services.usageCounter.count(theirs, theirKey!.id, f.clock.now(), 9);
    await f.services.usageCounter.flush();
    expect((await f.services.usage.recent(me, [theirKey!])).get(theirKey!.id)!.days.every((n) => n === 0)).toBe(true);
    expect((await f.services.usage.recent(them, [theirKey!])).get(theirKey!.id)!.days.at(-1)).toBe(9);
    await expect(f.services.usage.daily(me, theirKey!.id)).rejects.toMatchObject({ code: "not_found" });
    // A row filed under the wrong workspace, or for no key at all, is dropped by the write's join, and the rest of the batch is written.
    const day = utcDay(f.clock.now());
    await f.ctx.store.keyUsage.add([
      { workspaceId: mine, keyId: theirKey!.id, day, count: 5 },
      { workspaceId: theirs, keyId: "0190a000-0000-7000-8000-000000000000", day, count: 5 },
      { workspaceId: theirs, keyId: theirKey!.id, day, count: 1 },
    ]);
    expect((await f.services.usage.recent(them, [theirKey!])).get(theirKey!.id)!.days.at(-1)).toBe(10);
    expect((await f.services.usage.recent(me, [theirKey!])).get(theirKey!.id)!.days.every((n) => n === 0)).toBe(true);
  });

  it("refuses an actor without api_keys.view", async () => {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const nobody = await f.actor(ws, null);
    const keys = await makeKeys(admin, 1, "hidden");
    await expect(f.services.usage.recent(nobody, keys)).rejects.toMatchObject({ code: "permission_denied" });
  });
});
