import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

describe.runIf(databaseKinds().includes("postgres"))("the database going away", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  const logs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    proxy = await startTcpProxy(Number(new URL(db.url!).port || 5432), new URL(db.url!).hostname, { refusing: true });
  });
  afterAll(async () => {
    await proxy?.close();
    await db?.close();
  });

  async function start(retry: { attempts: number; baseDelayMs: number }): Promise<Keyward> {
    const url = new URL(db.url!);
    url.port = String(proxy.port);
    url.password = "sekrit-password";
    const config = loadConfig({
      DATABASE_URL: url.toString(),
      KEYWARD_PEPPER: "c".repeat(64),
      KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 9).toString("base64")}`,
      PORT: "0",
      DATA_DIR: await mkdtemp(join(tmpdir(), "keyward-fault-")),
    });
    const sink = new Writable({
      write: (chunk, _e, done) => {
        logs.push(String(chunk));
        done();
      },
    });
    return startKeyward({ config, logger: createLogger("info", sink), databaseRetry: retry, reminderScheduler: false });
  }

  it("stops start-up with one clear line when the server never comes", async () => {
    const error = await start({ attempts: 3, baseDelayMs: 50 }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^the database at 127\.0\.0\.1:\d+\/keyward_test_\w+ is not reachable after 3 attempts/);
    expect((error as Error).message).not.toContain("sekrit-password");
    expect(logs.filter((l) => l.includes("database not reachable yet"))).toHaveLength(2);
  });

  it("waits with backoff for a server that is still starting, then serves", async () => {
    setTimeout(() => proxy.resume(), 700);
    const app = await start({ attempts: 8, baseDelayMs: 100 });
    try {
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it("fails a request cleanly while the database is away, writes nothing half, and recovers", async () => {
    proxy.resume();
    const app = await start({ attempts: 3, baseDelayMs: 50 });
    try {
      const admin = await app.services.access.actorForUser("TFAULT", "UFAULT", { isWorkspaceAdmin: true }, "slack");
      const { secret } = await app.services.keys.create(admin, { name: "before", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
      const create = (name: string) =>
        fetch(`${app.url}/api/v1/api-keys`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify({ name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" }),
        });
      expect((await create("while-up")).status).toBe(201);
      const rowsBefore = await db.prisma.apiKey.count();
      const auditBefore = await db.prisma.auditEvent.count();
      proxy.cut();
      const during = await create("while-down");
      expect(during.status).toBe(503);
      expect(await during.json()).toMatchObject({ error: { code: "unavailable" } });
      expect(await db.prisma.apiKey.count()).toBe(rowsBefore);
      expect(await db.prisma.auditEvent.count()).toBe(auditBefore);
      proxy.resume();
      let after = await create("after");
      for (let i = 0; i < 20 && after.status !== 201; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await create("after");
      }
      expect(after.status).toBe(201);
    } finally {
      proxy.resume();
      await app.close();
    }
  });

  it("keeps the key usage counts of a flush the database refused, and writes them once it is back", async () => {
    proxy.resume();
    const app = await start({ attempts: 3, baseDelayMs: 50 });
    try {
      const admin = await app.services.access.actorForUser("TFAULTUSE", "UFAULTUSE", { isWorkspaceAdmin: true }, "slack");
      const { key, secret } = await app.services.keys.create(admin, { name: "counted", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      const verify = async () =>
        (await (
          await fetch(`${app.url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: secret }) })
        ).json()) as {
          valid: boolean;
        };
      for (let i = 0; i < 3; i++) expect((await verify()).valid).toBe(true);
      let valid = 3;
      proxy.cut();
      // While the database is away a verify the cache (2 s) answers is counted; one it cannot answer
      // (the cache entry expired, or was evicted by the create's own change notice arriving late) counts nothing.
      for (let i = 0; i < 4; i++) if ((await verify()).valid) valid++;
      await expect(app.services.usageCounter.flush()).rejects.toThrow();
      expect(app.services.usageCounter.size).toBe(1);
      proxy.resume();
      let flushed = false;
      for (let i = 0; i < 50 && !flushed; i++) {
        flushed = await app.services.usageCounter.flush().then(
          () => true,
          () => new Promise<boolean>((r) => setTimeout(() => r(false), 100)),
        );
      }
      expect(flushed).toBe(true);
      const rows = await db.prisma.keyUsageDay.findMany({ where: { keyId: key.id } });
      // Every use that was answered valid is counted, whichever flush (this test's or the timer's) wrote it, those the cache answered while the database was away included.
      expect(rows.reduce((sum, r) => sum + Number(r.count), 0)).toBe(valid);
    } finally {
      proxy.resume();
      await app.close();
    }
  });
});
