import { createHmac, randomBytes } from "node:crypto";
import { createDomainFixture } from "../test/support/domain-fixture.ts";
import { round, summarize, timeEach } from "./stats.ts";

/**
 * In-process cost of creating and verifying a key (domain + repository + embedded PGlite),
 * beside a bare HMAC-SHA-256 of the same key computed in the same run.
 */
export async function benchKeyCore(options: { creates?: number; verifies?: number } = {}) {
  const creates = options.creates ?? 300;
  const verifies = options.verifies ?? 3000;
  const f = await createDomainFixture("pglite");
  try {
    const ws = f.workspace();
    const admin = await f.actor(ws, "admin");
    const secrets: string[] = [];
    // Warm-up: the first queries compile Prisma's query plans and PGlite's caches.
    for (let i = 0; i < 20; i++)
      secrets.push((await f.services.keys.create(admin, { name: `warm-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).secret);
    const create = await timeEach(creates, async (i) => {
      secrets.push((await f.services.keys.create(admin, { name: `bench-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).secret);
    });
    const verify = await timeEach(verifies, async (i) => {
      const result = await f.services.keys.verify(secrets[i % secrets.length]!);
      if (!result.valid) throw new Error("benchmark key did not verify");
    });
    // Past the verify cache: the clock moves 3 s before each call, so every verify reads the database.
    const verifyUncached = await timeEach(Math.min(verifies, 1000), async (i) => {
      f.clock.advance(3000);
      const result = await f.services.keys.verify(secrets[i % secrets.length]!);
      if (!result.valid) throw new Error("benchmark key did not verify");
    });
    const pepper = randomBytes(32);
    const hmac = await timeEach(verifies, (i) =>
      createHmac("sha256", pepper)
        .update(secrets[i % secrets.length]!)
        .digest("hex"),
    );
    const malformed = await timeEach(verifies, (i) => f.services.keys.verify(`${secrets[i % secrets.length]!.slice(0, -1)}!`));
    const c = summarize(create);
    const v = summarize(verify);
    const h = summarize(hmac);
    const m = summarize(malformed);
    const u = summarize(verifyUncached);
    return {
      database: "pglite (in memory)",
      create: c,
      verifyCached: v,
      verifyUncached: u,
      verifyMalformed: m,
      bareHmac: h,
      ratios: {
        createOverHmac: round(c.meanMs / h.meanMs, 1),
        verifyCachedOverHmac: round(v.meanMs / h.meanMs, 1),
        verifyUncachedOverHmac: round(u.meanMs / h.meanMs, 1),
      },
    };
  } finally {
    await f.close();
  }
}
