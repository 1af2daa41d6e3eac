import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

/** Rule 7 across instances: a key deleted on one is refused by the other within milliseconds, not at cache expiry. */
describe.runIf(databaseKinds().includes("postgres"))("two instances sharing PostgreSQL", () => {
  let db: TestDatabase;
  let a: Keyward;
  let b: Keyward;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const start = async (clock?: ManualClock) =>
      startKeyward({
        clock,
        config: loadConfig({
          DATABASE_URL: db.url!,
          KEYWARD_PEPPER: "e".repeat(64),
          KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 4).toString("base64")}`,
          PORT: "0",
          DATA_DIR: await mkdtemp(join(tmpdir(), "kw-two-")),
        }),
        logger: createLogger("silent"),
        reminderScheduler: false,
      });
    a = await start();
    // B's clock stands still, so its cache entries never expire: a refusal on B can only come from
    // A's change notification, whatever the machine's load (no timing bound needed).
    b = await start(new ManualClock(new Date()));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  const verifyOn = async (app: Keyward, key: string) =>
    (await (
      await fetch(`${app.url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) })
    ).json()) as { valid: boolean; reason?: string };

  it("refuses on B a key just deleted on A, while B's cache entry still had seconds to live", async () => {
    const admin = await a.services.access.actorForUser("TTWO", "UTWOADMIN", { isWorkspaceAdmin: true }, "slack");
    const { key, secret } = await a.services.keys.create(admin, { name: "shared", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    expect((await verifyOn(b, secret)).valid).toBe(true); // B caches it for 2 s
    expect((await verifyOn(b, secret)).valid).toBe(true);
    expect((await verifyOn(b, secret)).valid).toBe(true); // and answers from that cache
    await a.services.keys.delete(admin, key.id);
    const deadline = Date.now() + 10_000;
    let verdict = await verifyOn(b, secret);
    while (verdict.valid && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      verdict = await verifyOn(b, secret);
    }
    expect(verdict).toMatchObject({ valid: false, reason: "deleted" });
  });
});
