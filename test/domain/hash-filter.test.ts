import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HashFilter } from "../../src/domain/hash-filter.ts";
import { generateKey } from "../../src/domain/key-format.ts";
import { KeyService } from "../../src/domain/key-service.ts";
import { LastUsedTracker } from "../../src/domain/last-used-tracker.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { seededRandom } from "../support/fixed-runtime.ts";
import { instrumentedStore } from "../support/instrumented-store.ts";
import { databaseKinds } from "../support/test-database.ts";

const hashA = "a".repeat(64);
const hashB = "b".repeat(64);

/** A loader the test answers by hand. */
function manualLoader() {
  const calls: Array<(prefixes: string[]) => void> = [];
  return { load: () => new Promise<string[]>((r) => calls.push(r)), calls };
}

describe("HashFilter", () => {
  it("answers nothing from memory until a load succeeded", async () => {
    const filter = new HashFilter(async () => [hashA.slice(0, 16)]);
    expect(filter.mayExist(hashB)).toBe(true);
    await filter.reload();
    expect(filter.mayExist(hashA)).toBe(true);
    expect(filter.mayExist(hashB)).toBe(false);
  });

  it("distrusts itself while notifications are not heard, and after they resume until a load begun since then succeeds", async () => {
    const loader = manualLoader();
    const filter = new HashFilter(loader.load);
    const first = filter.reload();
    loader.calls[0]!([]);
    await first;
    expect(filter.trusted).toBe(true);
    filter.setListening(false);
    expect(filter.mayExist(hashB)).toBe(true);
    // A load that began in the gap is not enough: the key may have been created after its snapshot.
    const inGap = filter.reload();
    loader.calls[1]!([]);
    await inGap;
    expect(filter.trusted).toBe(false);
    filter.setListening(true);
    expect(filter.trusted).toBe(false);
    const after = filter.reload();
    filter.add(hashB); // a creation during the load is kept
    loader.calls[2]!([hashA.slice(0, 16)]);
    await after;
    expect(filter.trusted).toBe(true);
    expect(filter.mayExist(hashA)).toBe(true);
    expect(filter.mayExist(hashB)).toBe(true);
  });

  it("sends misses to the database while a notice is looked up, and after a failed look-up until a reload", async () => {
    const filter = new HashFilter(async () => []);
    await filter.reload();
    let answer!: (prefix: string | null) => void;
    const lookUp = filter.lookUp(() => new Promise((r) => (answer = r)));
    expect(filter.mayExist(hashA)).toBe(true);
    answer(hashA.slice(0, 16));
    await lookUp;
    expect(filter.mayExist(hashA)).toBe(true);
    expect(filter.mayExist(hashB)).toBe(false);
    await expect(filter.lookUp(async () => Promise.reject(new Error("database gone")))).rejects.toThrow("database gone");
    expect(filter.mayExist(hashB)).toBe(true);
    await filter.reload();
    expect(filter.mayExist(hashB)).toBe(false);
  });
});

describe.each(databaseKinds())("verify's hash filter in KeyService on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });
  const input = { role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" };

  async function loadedService() {
    const inst = instrumentedStore(f.ctx.store);
    const service = new KeyService({ ...f.ctx, store: inst.store }, new LastUsedTracker(inst.store.apiKeys));
    await service.loadHashFilter();
    return { service, ...inst };
  }

  it("a flood of 1,000 never-repeated forged well-formed keys reads nothing, while a real key still verifies", async () => {
    const { service, hooks } = await loadedService();
    const admin = await f.actor(f.workspace(), "admin");
    const { secret } = await service.create(admin, { ...input, name: "real-amid-flood" });
    const forger = seededRandom(`flood-${kind}-${Date.now()}`);
    const before = hooks.lookups;
    for (let i = 0; i < 1000; i++) expect(await service.verify(generateKey(forger))).toEqual({ valid: false, reason: "unknown" });
    expect(hooks.lookups - before).toBe(0);
    expect((await service.verify(secret)).valid).toBe(true);
  });

  it("a deleted key still answers deleted, an expired one expired, a pending one unknown, after a fresh load", async () => {
    const admin = await f.actor(f.workspace(), "admin");
    const keys = f.services.keys; // another service made them: only the load tells this one
    const deleted = await keys.create(admin, { ...input, name: "tombstone" });
    await keys.delete(admin, deleted.key.id);
    const expiring = await keys.create(admin, { name: "expiring", role: "Viewer", expiresAt: new Date(f.clock.now().getTime() + 3600_000).toISOString() });
    const pending = await keys.create(admin, { ...input, name: "pending" }, { pendingDelivery: true });
    f.clock.advance(2 * 3600_000);
    const { service } = await loadedService();
    expect(await service.verify(deleted.secret)).toMatchObject({ valid: false, reason: "deleted" });
    expect(await service.verify(expiring.secret)).toMatchObject({ valid: false, reason: "expired" });
    expect(await service.verify(pending.secret)).toEqual({ valid: false, reason: "unknown" });
    await keys.activate(admin, pending.key.id);
    await service.forget(pending.key.id);
    expect((await service.verify(pending.secret)).valid).toBe(true);
  });

  it("a key made by another service sharing the database verifies once its notice was handled; a roll's replacement too", async () => {
    const { service } = await loadedService();
    const admin = await f.actor(f.workspace(), "admin");
    const { key, secret } = await f.services.keys.create(admin, { ...input, name: "made-elsewhere" });
    // The documented window: before the notice arrives, this instance does not know the key.
    expect(await service.verify(secret)).toEqual({ valid: false, reason: "unknown" });
    await service.forget(key.id);
    expect((await service.verify(secret)).valid).toBe(true);
    const rolled = await f.services.keys.roll(admin, key.id, { graceHours: 1 });
    await service.forget(key.id);
    await service.forget(rolled.key.id);
    expect((await service.verify(rolled.secret)).valid).toBe(true);
  });

  it("without a load (or after notifications were missed) every miss still asks the database", async () => {
    const inst = instrumentedStore(f.ctx.store);
    const service = new KeyService({ ...f.ctx, store: inst.store }, new LastUsedTracker(inst.store.apiKeys));
    const forger = seededRandom(`unloaded-${kind}-${Date.now()}`);
    await service.verify(generateKey(forger));
    expect(inst.hooks.lookups).toBe(1);
    await service.loadHashFilter();
    await service.notificationsHeard(false);
    await service.verify(generateKey(forger));
    expect(inst.hooks.lookups).toBe(2);
    await service.notificationsHeard(true);
    await service.verify(generateKey(forger));
    expect(inst.hooks.lookups).toBe(2);
  });
});
