// Socket Mode end to end, offline: the app (SLACK_APP_TOKEN set, no signing secret) opens its
// connection through the fake's apps.connections.open and serves the key lifecycle suite over it
// (the same tests lifecycle-http.e2e.test.ts runs over HTTP); then what only Socket Mode has: the
// acks carrying response payloads, pings answered, a disconnect and the reconnect, no
// /slack/events, and a shutdown that waits for the socket to close.
import { readdir } from "node:fs/promises";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { lockFileName } from "../../src/db/data-dir-lock.ts";
import { openDatabase } from "../../src/db/database.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward } from "../../src/server/keyward.ts";
import { botToken, channelId } from "../support/app-harness.ts";
import { startFakeSlack } from "../support/fake-slack.ts";
import { startFakeSocketMode } from "../support/fake-socket-mode.ts";
import { FORM_CONTENT_TYPE } from "../support/slack-driver.ts";
import { useTempDirs } from "../support/temp-dirs.ts";
import { keyLifecycleSuite } from "./lifecycle-suite.ts";
import { textOf } from "./slack-flow-helpers.ts";

/** Bolt's receiver and its Socket Mode client, as the App holds them (no telemetry wrapper here: METRICS_PORT is off). */
interface SocketReceiver {
  httpServer?: unknown;
  client: { once(event: string, listener: () => void): void };
}

describe("Socket Mode", () => {
  const { app } = keyLifecycleSuite("socket-mode");
  const userId = "ULIFEADM01"; // the suite's admin
  const socket = () => app.socket!;
  const receiver = () => (app.keyward.slack!.app as unknown as { receiver: SocketReceiver }).receiver;

  it("connected with the app-level token, logs socket-mode, and opened no port of its own", async () => {
    const opens = app.fake.history.filter((c) => c.method === "apps.connections.open");
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens.every((c) => c.token === socket().appToken && c.response.ok)).toBe(true);
    // The bot token's calls never went to apps.connections.open, and the app token went nowhere else.
    expect(app.fake.history.filter((c) => c.token === socket().appToken).map((c) => c.method)).toEqual(opens.map(() => "apps.connections.open"));
    const started = (await app.waitForLogs("keyward is listening")).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(started[0]).toMatchObject({ slack: "socket-mode" });
    // No installer and no custom routes: Bolt made no HTTP server (it would listen on 3000).
    expect(receiver().httpServer).toBeUndefined();
  });

  it("every request of the suite went over the socket, and its answers came back in the acks' payloads", () => {
    const acks = socket().acks;
    expect(new Set(acks.map((a) => a.type))).toEqual(new Set(["slash_commands", "interactive", "events_api"]));
    expect(acks).toHaveLength(app.driver.acks.length + 1); // + the foreign driver's one command
    const payloads = acks.map((a) => a.payload);
    // A view_submission's errors and its clear, and an ephemeral answer in a slash command's ack.
    expect(payloads).toContainEqual(expect.objectContaining({ response_action: "errors", errors: { name: expect.any(String) } }));
    expect(payloads).toContainEqual({ response_action: "clear" });
    expect(acks.filter((a) => a.type === "slash_commands").map((a) => a.payload)).toContainEqual({
      response_type: "ephemeral",
      text: "keyward is not installed for this workspace.",
    });
    // A bare ack() is an empty payload.
    expect(acks.filter((a) => a.type === "events_api").map((a) => a.payload)).toEqual(acks.filter((a) => a.type === "events_api").map(() => ({})));
  });

  it("answers the client's pings, so the connection outlives the client's pong timeout (2 s here)", async () => {
    const [current] = socket().connections.filter((c) => c.closeCode === undefined);
    // Four pings are more than 2 s at one per 667 ms; without pongs the client drops the connection after the fourth.
    const pinged = await socket().waitForPings(current!.id, 5);
    expect(pinged.closeCode).toBeUndefined();
  });

  it("a disconnect from Slack: the client closes that connection, asks apps.connections.open again, and the next command is served", async () => {
    const before = socket().connections.length;
    const since = app.fake.mark();
    const [old] = socket().requestReconnect("refresh_requested");
    // Sent at once: Slack holds it until the app is connected again.
    const ack = await app.driver.command({ userId, text: "help", channelId });
    expect(ack.status).toBe(200);
    expect(textOf((await app.driver.waitForResponse(ack)).body)).toContain("/keys create");
    expect((await socket().waitForClose(old!)).closeCode).toBe(1000);
    const current = await socket().waitForConnections(before + 1);
    expect(socket().acks.at(-1)!.connection).toBe(current.id);
    const reopened = app.fake.callsSince(since, "apps.connections.open");
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.token).toBe(socket().appToken);
  });

  it("a second start() does nothing: no second connection, so no second reconnect supervisor", async () => {
    const before = socket().connections.length;
    const since = app.fake.mark();
    await app.keyward.slack!.start();
    expect(app.fake.callsSince(since, "apps.connections.open")).toEqual([]);
    expect(socket().connections).toHaveLength(before);
    const ack = await app.driver.command({ userId, text: "help", channelId });
    expect(textOf((await app.driver.waitForResponse(ack)).body)).toContain("/keys create");
  });

  // The SDK's own reconnect rethrows an HTTP error from apps.connections.open into a promise no one
  // awaits: an unhandled rejection, which ends a Node 20 process (vitest reports it as an error).
  it("a reconnect meeting Slack's 503s: the process stays up, keeps retrying (logged), and the next command is served once Slack answers", async () => {
    const before = socket().connections.length;
    const since = app.fake.mark();
    const logMark = app.logMark();
    // Four 503s: the first attempt's three calls (two retries) and the first of the next attempt.
    app.fake.failNext("apps.connections.open", { status: 503, times: 4 });
    socket().requestReconnect("refresh_requested");
    const ack = await app.driver.command({ userId, text: "help", channelId });
    expect(ack.status).toBe(200);
    expect(textOf((await app.driver.waitForResponse(ack, { timeoutMs: 30_000 })).body)).toContain("/keys create");
    await socket().waitForConnections(before + 1);
    expect(app.fake.callsSince(since, "apps.connections.open").map((c) => c.status)).toEqual([503, 503, 503, 503, 200]);
    const warned = app.logs.slice(logMark).filter((line) => line.includes("Socket Mode reconnect failed"));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(warned[0]!)).toMatchObject({ level: 40, attempt: 1, retryInMs: expect.any(Number) });
  }, 40_000);

  it("does not serve POST /slack/events: Slack's traffic comes over the socket", async () => {
    const signed = await app.driver.send({ command: "/keys", text: "help", user_id: userId, team_id: app.fake.teamId }, { contentType: FORM_CONTENT_TYPE });
    expect(signed.status).toBe(404);
    const plain = await fetch(`${app.keyward.url}/slack/events`, { method: "POST", body: "{}" });
    expect(plain.status).toBe(404);
    await plain.body?.cancel();
    expect((await fetch(`${app.keyward.url}/healthz`)).status).toBe(200);
  });

  it("logged neither token", () => {
    const logs = app.logs.join("\n");
    expect(logs).not.toContain(socket().appToken);
    expect(logs).not.toContain(socket().appToken.slice(5, 30));
    expect(logs).not.toContain(botToken);
  });

  // Last: the app's own close() runs after it and finds the client already stopped.
  it("stopping waits for the socket's close handshake: the client has disconnected when stop() resolves", async () => {
    const order: string[] = [];
    receiver().client.once("disconnected", () => order.push("disconnected"));
    const [open] = socket().connections.filter((c) => c.closeCode === undefined);
    await app.keyward.slack!.stop();
    order.push("stopped");
    expect(order).toEqual(["disconnected", "stopped"]);
    expect((await socket().waitForClose(open!.id)).closeCode).toBe(1000);
  });
});

describe("Socket Mode with an app-level token Slack refuses", () => {
  const tempDir = useTempDirs("keyward-socket-");

  it("stops start-up at once (no retrying), logs no token, and gives the data directory back", async () => {
    const fake = await startFakeSlack({ token: botToken });
    const socket = await startFakeSocketMode(fake);
    const dir = await tempDir();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const revoked = "xapp-1-A00000001-0000000000000-revokedrevokedrevokedrevokedrevoked";
    try {
      const config = loadConfig({ SLACK_APP_TOKEN: revoked, SLACK_BOT_TOKEN: botToken, SLACK_API_URL: fake.url, PORT: "0", DATA_DIR: dir, LOG_LEVEL: "trace" });
      const failed = await startKeyward({ config, logger: createLogger("trace", sink), reminderScheduler: false }).catch((e: unknown) => e);
      expect(String(failed)).toContain("invalid_auth");
      // invalid_auth is final for the SDK: one call, not a retry loop.
      expect(fake.callsTo("apps.connections.open").map((c) => [c.token === revoked, c.response.error])).toEqual([[true, "invalid_auth"]]);
      expect(socket.connections).toEqual([]);
      expect(lines.join("")).not.toContain(revoked.slice(5, 40));
      expect(await readdir(dir)).not.toContain(lockFileName);
      const again = await openDatabase({ dataDir: dir });
      await again.close();
    } finally {
      await socket.close();
      await fake.close();
    }
  });
});
