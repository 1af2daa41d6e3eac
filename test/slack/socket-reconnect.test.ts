// The Socket Mode reconnect supervisor on a fake client and fake timers: each failure is logged and
// retried with a doubling wait up to the cap, one success resets it, and stop() ends the retrying
// (a pending timer cleared, a connection an attempt in flight opens closed again).
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { superviseReconnects } from "../../src/slack/socket-reconnect.ts";

class FakeClient extends EventEmitter {
  starts = 0;
  disconnects = 0;
  /** What each start() does, in order; past the end: connects. */
  outcomes: (() => Promise<unknown>)[] = [];
  start(): Promise<unknown> {
    const next = this.outcomes[this.starts] ?? (() => Promise.resolve({}));
    this.starts += 1;
    return next();
  }
  disconnect(): Promise<void> {
    this.disconnects += 1;
    return Promise.resolve();
  }
}

const http503 = () =>
  Promise.reject(Object.assign(new Error("An HTTP protocol error occurred: statusCode = 503"), { code: "slack_webapi_http_error", statusCode: 503 }));

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger("info", sink), lines };
}

describe("superviseReconnects", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries a failing reconnect with a doubling wait capped at maxDelayMs, logs each failure, and resets after a success", async () => {
    const client = new FakeClient();
    client.outcomes = [http503, http503, http503, http503];
    const { logger, lines } = recordingLogger();
    superviseReconnects(client, { firstDelayMs: 1000, maxDelayMs: 5000 }, logger);
    client.emit("disconnected");
    const startsAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersToNextTimerAsync();
      startsAt.push(Date.now() - t0);
    }
    // Waits 1, 2, 4, 5 (capped), 5 s: the fifth attempt connects.
    expect(startsAt).toEqual([1000, 3000, 7000, 12000, 17000]);
    expect(client.starts).toBe(5);
    await vi.runAllTimersAsync();
    expect(client.starts).toBe(5);
    const failures = lines.filter((l) => l.msg === "Socket Mode reconnect failed; retrying");
    expect(failures.map((l) => [l.attempt, l.retryInMs, l.error])).toEqual([
      [1, 2000, "slack_webapi_http_error 503"],
      [2, 4000, "slack_webapi_http_error 503"],
      [3, 5000, "slack_webapi_http_error 503"],
      [4, 5000, "slack_webapi_http_error 503"],
    ]);
    // Connected again: the next drop starts from the first wait.
    client.emit("disconnected");
    await vi.advanceTimersToNextTimerAsync();
    expect(Date.now() - t0).toBe(18000);
    expect(client.starts).toBe(6);
  });

  it("a refused app-level token is told once at error level and retried at the cap only", async () => {
    const client = new FakeClient();
    const refused = () =>
      Promise.reject(
        Object.assign(new Error("An API error occurred: invalid_auth"), { code: "slack_webapi_platform_error", data: { ok: false, error: "invalid_auth" } }),
      );
    client.outcomes = [refused, refused, refused];
    const { logger, lines } = recordingLogger();
    superviseReconnects(client, { firstDelayMs: 1000, maxDelayMs: 5000 }, logger);
    client.emit("disconnected");
    const startsAt: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersToNextTimerAsync();
      startsAt.push(Date.now() - t0);
    }
    expect(startsAt).toEqual([1000, 6000, 11000, 16000]);
    const told = lines.filter((l) => l.level === 50 || l.level === "error");
    expect(told.map((l) => l.msg)).toEqual(["Slack refused the app-level token; Socket Mode is down until keyward restarts with a valid SLACK_APP_TOKEN"]);
    expect(lines.filter((l) => l.msg === "Socket Mode reconnect failed; retrying").map((l) => l.error)).toEqual([
      "slack_webapi_platform_error invalid_auth",
      "slack_webapi_platform_error invalid_auth",
    ]);
  });

  it("stop() cancels a pending attempt: no start after it", async () => {
    const client = new FakeClient();
    client.outcomes = [http503];
    const { logger } = recordingLogger();
    const supervisor = superviseReconnects(client, { firstDelayMs: 1000, maxDelayMs: 5000 }, logger);
    client.emit("disconnected");
    await vi.advanceTimersToNextTimerAsync();
    expect(client.starts).toBe(1);
    supervisor.stop();
    await vi.runAllTimersAsync();
    expect(client.starts).toBe(1);
    // The client's own disconnect() emits disconnected too: ignored once stopped.
    client.emit("disconnected");
    await vi.runAllTimersAsync();
    expect(client.starts).toBe(1);
  });

  it("stop() while an attempt is in flight: the connection it opens is closed again", async () => {
    const client = new FakeClient();
    let connect: (value: unknown) => void = () => {};
    client.outcomes = [() => new Promise((resolve) => (connect = resolve))];
    const { logger } = recordingLogger();
    const supervisor = superviseReconnects(client, { firstDelayMs: 1000, maxDelayMs: 5000 }, logger);
    client.emit("disconnected");
    await vi.advanceTimersToNextTimerAsync();
    expect(client.starts).toBe(1);
    supervisor.stop();
    connect({});
    await vi.runAllTimersAsync();
    expect(client.disconnects).toBe(1);
    expect(client.starts).toBe(1);
  });

  it("a disconnected while an attempt is in flight (its socket failed) schedules nothing extra", async () => {
    const client = new FakeClient();
    let fail: (err: unknown) => void = () => {};
    client.outcomes = [() => new Promise((_resolve, reject) => (fail = reject))];
    const { logger } = recordingLogger();
    superviseReconnects(client, { firstDelayMs: 1000, maxDelayMs: 5000 }, logger);
    client.emit("disconnected");
    await vi.advanceTimersToNextTimerAsync();
    client.emit("disconnected");
    fail(undefined);
    await vi.runAllTimersAsync();
    expect(client.starts).toBe(2);
  });
});
