import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/domain/key-format.ts";
import { KeyService } from "../../src/domain/key-service.ts";
import { LastUsedTracker } from "../../src/domain/last-used-tracker.ts";
import type { StoredKey } from "../../src/domain/types.ts";
import { VerifyCache } from "../../src/domain/verify-cache.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { ManualClock, seededRandom } from "../support/fixed-runtime.ts";
import { instrumentedStore } from "../support/instrumented-store.ts";
import { databaseKinds } from "../support/test-database.ts";

const storedKey = (id: string) => ({ id }) as StoredKey;

describe("VerifyCache", () => {
  it("remembers unknown hashes in their own bounded map: a flood of them evicts no real entry", () => {
    const clock = new ManualClock(new Date("2026-12-01T00:00:00Z"));
    const cache = new VerifyCache(clock, 2000, 10, 60_000, 100);
    cache.set("real", storedKey("K1"), cache.ticket());
    for (let i = 0; i < 1000; i++) cache.set(`forged-${i}`, null, cache.ticket());
    expect(cache.unknownSize).toBe(100);
    expect(cache.get("real")).toEqual(expect.objectContaining({ key: storedKey("K1") }));
    expect(cache.get("forged-999")).toEqual({ key: null });
    expect(cache.get("forged-0")).toBeUndefined(); // the oldest went first
    clock.advance(60_000);
    expect(cache.get("forged-999")).toBeUndefined();
  });

  it("forgets every unknown hash on any key change, and ignores what was read before it", () => {
    const cache = new VerifyCache(new ManualClock(new Date("2026-12-01T00:00:00Z")));
    cache.set("forged", null, cache.ticket());
    const ticket = cache.ticket();
    cache.evictKey("K-new");
    expect(cache.get("forged")).toBeUndefined();
    cache.set("late", storedKey("K2"), ticket);
    cache.set("late-unknown", null, ticket);
    expect(cache.get("late")).toBeUndefined();
    expect(cache.get("late-unknown")).toBeUndefined();
    cache.set("fresh", storedKey("K2"), cache.ticket());
    expect(cache.get("fresh")).toBeDefined();
  });
});

describe.each(databaseKinds())("verify cache in KeyService on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });
  const input = { name: "cached", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };

  function serviceWith(options: { seed?: string } = {}) {
    const inst = instrumentedStore(f.ctx.store);
    const ctx = { ...f.ctx, store: inst.store, ...(options.seed ? { random: seededRandom(options.seed) } : {}) };
    return { service: new KeyService(ctx, new LastUsedTracker(inst.store.apiKeys)), ...inst };
  }

  it("answers a repeated forged well-formed key from memory after one database read", async () => {
    const { service, hooks } = serviceWith();
    const forged = generateKey(seededRandom(`forged-${kind}`));
    for (let i = 0; i < 50; i++) expect(await service.verify(forged)).toEqual({ valid: false, reason: "unknown" });
    expect(hooks.lookups).toBe(1);
  });

  it("never refuses a key created with a hash it had remembered as unknown", async () => {
    const seed = `predicted-${kind}-${Date.now()}`;
    const { service, hooks } = serviceWith({ seed });
    const admin = await f.actor(f.workspace(), "admin");
    const predicted = generateKey(seededRandom(seed)); // what the service's next create will issue
    expect(await service.verify(predicted)).toEqual({ valid: false, reason: "unknown" });
    expect(await service.verify(predicted)).toEqual({ valid: false, reason: "unknown" });
    expect(hooks.lookups).toBe(1);
    const { secret } = await service.create(admin, input);
    expect(secret).toBe(predicted);
    expect((await service.verify(secret)).valid).toBe(true);
  });

  it("a verify that read the row before a delete returned cannot cache it afterwards (rule 7)", async () => {
    const { service, holdNextRead } = serviceWith();
    const admin = await f.actor(f.workspace(), "admin");
    const { key, secret } = await service.create(admin, { ...input, name: "deleted-mid-flight" });
    const held = holdNextRead();
    const inFlight = service.verify(secret);
    await held.read; // it has the live row in hand
    await service.delete(admin, key.id);
    held.release();
    expect((await inFlight).valid).toBe(true); // it started before the delete: that is its answer
    expect(await service.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
  });

  it("a verify that read the row before a roll returned cannot cache it afterwards", async () => {
    const { service, holdNextRead } = serviceWith();
    const admin = await f.actor(f.workspace(), "admin");
    const { key, secret } = await service.create(admin, { ...input, name: "rolled-mid-flight" });
    const held = holdNextRead();
    const inFlight = service.verify(secret);
    await held.read;
    const rolled = await service.roll(admin, key.id, { graceHours: 0 });
    held.release();
    await inFlight;
    expect(await service.verify(secret)).toMatchObject({ valid: false, reason: "expired" });
    expect((await service.verify(rolled.secret)).valid).toBe(true);
  });
});
