import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { parsePrometheusText, sampleValue } from "../support/prometheus-text.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

/**
 * Issue 11 item 4's Done-when on PostgreSQL: the database goes away behind the TCP proxy and
 * /readyz turns 503 naming it, then 200 again once it is back; /healthz (the process is up) stays
 * 200 throughout, and keyward_database_up follows. Skipped, with a warning, without TEST_DATABASE_URL.
 */
describe.runIf(databaseKinds().includes("postgres"))("readiness when PostgreSQL goes away and comes back", () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let app: TestApp;
  const password = "sekrit-password";

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const target = new URL(db.url!);
    proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    const url = new URL(db.url!);
    url.port = String(proxy.port);
    url.password = password;
    app = await startTestApp({ databaseUrl: url.toString(), metrics: true });
  });
  afterAll(async () => {
    proxy?.resume();
    await app?.close();
    await proxy?.close();
    await db?.close();
  });

  /** Polls /readyz (and /healthz each time) until it answers `status`; returns its body. */
  async function readyzUntil(status: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      expect((await fetch(`${app.keyward.url}/healthz`)).status).toBe(200);
      const response = await fetch(`${app.keyward.url}/readyz`);
      const body = (await response.json()) as Record<string, unknown>;
      if (response.status === status) return body;
      if (Date.now() > deadline) throw new Error(`/readyz never answered ${status}; last: ${response.status} ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const databaseUp = async () => sampleValue(parsePrometheusText(await (await fetch(`${app.keyward.metricsUrl}/metrics`)).text()), "keyward_database_up");

  it("turns 503 naming the database while it is away, and 200 once it is back; /healthz stays 200", async () => {
    expect(await readyzUntil(200)).toEqual({ status: "ready", failed: [], checks: { database: "ok", migrations: "ok", shutdown: "ok" } });
    expect(await databaseUp()).toBe(1);

    proxy.cut();
    const away = await readyzUntil(503);
    expect(away).toMatchObject({ status: "not_ready", failed: ["database"], checks: { migrations: "ok", shutdown: "ok" } });
    expect(["unreachable", "timeout"]).toContain((away.checks as { database: string }).database);
    // Codes only: neither the password nor where the database is.
    expect(JSON.stringify(away)).not.toMatch(new RegExp(`${password}|${proxy.port}|127\\.0\\.0\\.1|ECONN`));
    expect(await databaseUp()).toBe(0);

    proxy.resume();
    expect(await readyzUntil(200)).toMatchObject({ status: "ready", failed: [] });
    expect(await databaseUp()).toBe(1);
  });
});
