import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";

/** Issue 11 item 4 on the embedded database: /readyz asks PGlite, checks the migration history, and turns 503 when close() begins. */
describe("/readyz and /healthz on the embedded database", () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("is ready once PGlite answers and every shipped migration is applied", async () => {
    app = await startTestApp();
    const ready = await fetch(`${app.keyward.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    expect(await ready.json()).toEqual({ status: "ready", failed: [], checks: { database: "ok", migrations: "ok", shutdown: "ok" } });
    expect((await fetch(`${app.keyward.url}/readyz`, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${app.keyward.url}/healthz`)).status).toBe(200);
  });

  it("is not ready while a shipped migration is missing from the history, and ready with one it does not ship", async () => {
    app = await startTestApp();
    const sql = app.keyward.db.sql;
    const [last] = await sql.query<{ migration_name: string }>("SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1");
    // As if the last one had been rolled back behind this instance's back (prisma migrate resolve --rolled-back).
    await sql.query("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1", [last!.migration_name]);
    const missing = await fetch(`${app.keyward.url}/readyz`);
    expect(missing.status).toBe(503);
    expect(await missing.json()).toMatchObject({ status: "not_ready", failed: ["migrations"], checks: { database: "ok", migrations: "pending" } });
    // Put back, plus one a newer release applied (a rolling deploy): ready, once the cached answer ages out.
    await sql.query("UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name = $1", [last!.migration_name]);
    await sql.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000001', $1, '20991231000000_from_a_newer_release', now(), now(), 1)`,
      ["0".repeat(64)],
    );
    expect((await pollReadyz(app, 200)).status).toBe(200);
  });

  it("answers 503 (shutdown) from the moment close() begins, to requests still arriving on open connections", async () => {
    app = await startTestApp();
    const { port } = new URL(app.keyward.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += String(chunk);
      // Both answered: hang up, as a client would.
      if ((received.match(/HTTP\/1\.1 /g) ?? []).length === 2 && received.endsWith("}")) socket.end();
    });
    const ended = new Promise((resolve) => socket.on("close", resolve));
    const arrived = new Promise((resolve) => app!.keyward.server.once("request", resolve));
    // A request in flight (half its body sent) keeps this connection open through close()'s drain.
    const body = JSON.stringify({ key: "kw_not-a-key" });
    socket.write(
      `POST /api/v1/verify HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await arrived;
    const closing = app.keyward.close();
    socket.write(`${body.slice(5)}GET /readyz HTTP/1.1\r\nHost: keyward\r\n\r\nGET /healthz HTTP/1.1\r\nHost: keyward\r\n\r\n`);
    await closing;
    await ended;
    const responses = received.split(/(?=HTTP\/1\.1 )/);
    // The answer given while stopping ends the connection (Connection: close): a client sends what
    // it pipelined behind it again, on a new connection, to another instance.
    expect(responses.map((r) => r.slice(0, 12))).toEqual(["HTTP/1.1 200", "HTTP/1.1 503"]);
    expect(responses[1]).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(responses[1]!.split("\r\n\r\n")[1]!)).toEqual({
      status: "not_ready",
      failed: ["shutdown"],
      checks: { database: "unchecked", migrations: "unchecked", shutdown: "stopping" },
    });
  });
});

describe("shutdown with a keep-alive client that never hangs up", () => {
  it("answers what arrives on an open connection with Connection: close and closes it itself, so close() does not wait for the client", async () => {
    const app = await startTestApp();
    const { port } = new URL(app.keyward.url);
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += String(chunk);
    });
    // The client keeps its side open (no socket.end()): only the server can close this connection.
    const closedByServer = new Promise<void>((resolve) => socket.once("end", () => resolve()));
    const arrived = new Promise((resolve) => app.keyward.server.once("request", resolve));
    const body = JSON.stringify({ key: "kw_not-a-key" });
    socket.write(
      `POST /api/v1/verify HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await arrived;
    const closing = app.close();
    // The in-flight request completes, and the client sends one more on the same connection.
    socket.write(`${body.slice(5)}GET /api/v1/openapi.json HTTP/1.1\r\nHost: keyward\r\n\r\n`);
    await closedByServer;
    await closing;
    expect(received.startsWith("HTTP/1.1 200")).toBe(true);
    expect(received).toMatch(/\r\nconnection: close\r\n/i);
    socket.destroy();
  });
});

async function pollReadyz(app: TestApp, want: number): Promise<Response> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`${app.keyward.url}/readyz`);
    if (response.status === want || Date.now() > deadline) return response;
    await new Promise((r) => setTimeout(r, 50));
  }
}
