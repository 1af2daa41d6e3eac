import { readdirSync, statSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createConnection, Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DomainError } from "../../src/domain/errors.ts";
import type { PassReport } from "../../src/domain/reminder-service.ts";
import {
  ControlError,
  controlSocketPath,
  sendControlRequest,
  startControlChannel,
  type ControlChannel,
  type ControlHandlers,
} from "../../src/server/control-channel.ts";
import type { KeyCommand } from "../../src/server/key-commands.ts";

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "keyward-ctl-"));
  tempDirs.push(dir);
  return dir;
}

/** The key commands, for tests about the channel itself: none of them is meant to be called. */
const unused = async (): Promise<never> => {
  throw new Error("not part of this test");
};
const keyStubs: Pick<ControlHandlers, KeyCommand> = {
  "keys.create": unused,
  "keys.activate": unused,
  "keys.discard": unused,
  "keys.list": unused,
  "keys.delete": unused,
};

const report: PassReport = { claimed: 1, takenOver: 0, sent: 1, retryLater: 0, undeliverable: 0, obsolete: 0, ms: 3 };

function recordingLogger() {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

/** A raw client, what another client (a later `npm run keys`) would see: write lines, wait for the next n answer lines. */
function lineClient(socketPath: string) {
  const socket = createConnection(socketPath);
  socket.setEncoding("utf8");
  let buffered = "";
  const lines: string[] = [];
  let wake: () => void = () => undefined;
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  return {
    write: (text: string) => socket.write(text),
    end: () => socket.end(),
    async next(n: number): Promise<string[]> {
      while (lines.length < n) await new Promise<void>((resolve) => (wake = resolve));
      return lines.splice(0, n);
    },
  };
}

describe("the control channel", () => {
  it("answers typed requests one line each, in order, on a socket only its owner can open", async () => {
    const dir = await tempDir();
    const calls: string[] = [];
    const handlers: ControlHandlers = {
      ...keyStubs,
      "reminders.run": async () => {
        calls.push("reminders");
        return report;
      },
      rekey: async ({ keyVersion }) => {
        calls.push(`rekey ${keyVersion}`);
        if (keyVersion !== 2) throw new DomainError("conflict", "The running keyward seals with key version 2.");
        return { reencrypted: 4, skipped: 0, keyVersion };
      },
    };
    const channel = (await startControlChannel(dir, handlers, recordingLogger()))!;
    try {
      expect(statSync(channel.path).mode & 0o777).toBe(0o600);
      expect(await sendControlRequest(channel.path, { command: "reminders.run" })).toEqual(report);
      expect(await sendControlRequest(channel.path, { command: "rekey", keyVersion: 2, keyFingerprint: "0123456789abcdef" })).toEqual({
        reencrypted: 4,
        skipped: 0,
        keyVersion: 2,
      });
      const refusal = await sendControlRequest(channel.path, { command: "rekey", keyVersion: 3, keyFingerprint: "0123456789abcdef" }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(ControlError);
      expect(refusal).toMatchObject({ code: "conflict", message: "The running keyward seals with key version 2." });
      // Two requests on one connection, each after the previous answer, and two the protocol does not know: no handler runs for the bad ones.
      calls.length = 0;
      const client = lineClient(channel.path);
      const lines: string[] = [];
      for (const request of [
        '{"command":"rekey","keyVersion":2,"keyFingerprint":"0123456789abcdef"}',
        "not json",
        '{"command":"keys.delete"}',
        '{"command":"reminders.run"}',
      ]) {
        client.write(`${request}\n`);
        lines.push(...(await client.next(1)));
      }
      client.end();
      expect(lines.map((l) => JSON.parse(l) as { ok: boolean; error?: { code: string } })).toMatchObject([
        { ok: true },
        { ok: false, error: { code: "malformed_request" } },
        { ok: false, error: { code: "malformed_request" } },
        { ok: true },
      ]);
      expect(calls).toEqual(["rekey 2", "reminders"]);
    } finally {
      await channel.close();
    }
    await expect(sendControlRequest(channel.path, { command: "reminders.run" })).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("runs one request at a time per connection: a line sent before the answer is refused at once, not queued", async () => {
    const dir = await tempDir();
    let calls = 0;
    let finish!: () => void;
    const handlers: ControlHandlers = {
      ...keyStubs,
      "reminders.run": () => {
        calls++;
        return new Promise<PassReport>((resolve) => (finish = () => resolve(report)));
      },
      rekey: async () => ({ reencrypted: 0, skipped: 0, keyVersion: 1 }),
    };
    const channel = (await startControlChannel(dir, handlers, recordingLogger()))!;
    const client = lineClient(channel.path);
    try {
      // Three hundred requests in one write, while the first one runs.
      client.write('{"command":"reminders.run"}\n'.repeat(300));
      const refusals = await client.next(299);
      expect(new Set(refusals)).toEqual(
        new Set([
          JSON.stringify({
            ok: false,
            error: { code: "rate_limited", message: "One request at a time on a connection: wait for the answer before sending the next." },
          }),
        ]),
      );
      expect(calls).toBe(1);
      finish();
      expect(JSON.parse((await client.next(1))[0]!)).toEqual({ ok: true, result: report });
      // Answered: the connection takes the next request.
      client.write(`{"command":"rekey","keyVersion":1,"keyFingerprint":"0123456789abcdef"}\n`);
      expect(JSON.parse((await client.next(1))[0]!)).toEqual({ ok: true, result: { reencrypted: 0, skipped: 0, keyVersion: 1 } });
      expect(calls).toBe(1);
    } finally {
      client.end();
      await channel.close();
    }
  });

  it("hides an unexpected failure's message from the caller and logs it", async () => {
    const dir = await tempDir();
    const logger = recordingLogger();
    const handlers: ControlHandlers = {
      ...keyStubs,
      "reminders.run": async () => {
        throw new Error("connection to /internal/path lost");
      },
      rekey: async () => ({ reencrypted: 0, skipped: 0, keyVersion: 1 }),
    };
    const channel = (await startControlChannel(dir, handlers, logger))!;
    try {
      const failure = await sendControlRequest(channel.path, { command: "reminders.run" }).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "unavailable", message: "reminders.run failed in the running keyward; its log has the cause." });
      expect(logger.lines.some((l) => l.level === "error" && l.msg === "control request failed")).toBe(true);
    } finally {
      await channel.close();
    }
  });

  it("lets a request in flight finish before close() returns", async () => {
    const dir = await tempDir();
    let finish!: () => void;
    const handlers: ControlHandlers = {
      ...keyStubs,
      "reminders.run": () => new Promise<PassReport>((resolve) => (finish = () => resolve(report))),
      rekey: async () => ({ reencrypted: 0, skipped: 0, keyVersion: 1 }),
    };
    const channel = (await startControlChannel(dir, handlers, recordingLogger()))!;
    const answered = sendControlRequest(channel.path, { command: "reminders.run" });
    await expect.poll(() => typeof finish).toBe("function");
    let closed = false;
    const closing = channel.close().then(() => (closed = true));
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    finish();
    expect(await answered).toEqual(report);
    await closing;
  });

  it("binds the socket where only its owner can reach it and only then moves it into DATA_DIR, however open DATA_DIR is", async () => {
    const dir = await tempDir();
    // A DATA_DIR the operator made by hand, anyone may enter: the socket's own mode is all that guards it.
    await chmod(dir, 0o777);
    const original = Server.prototype.listen;
    const seen: Array<{ at: string; dirMode: number }> = [];
    const spy = vi.spyOn(Server.prototype, "listen").mockImplementation(function (this: Server, ...args: unknown[]) {
      if (typeof args[0] === "string") seen.push({ at: args[0], dirMode: statSync(path.dirname(args[0])).mode & 0o777 });
      return (original as (...a: unknown[]) => Server).apply(this, args);
    });
    let channel: ControlChannel;
    try {
      channel = (await startControlChannel(dir, { ...keyStubs, "reminders.run": async () => report, rekey: unused }, recordingLogger()))!;
    } finally {
      spy.mockRestore();
    }
    try {
      // Bound in a directory no one else may enter, so no connection can come before the socket is 0600.
      expect(seen).toHaveLength(1);
      expect(path.dirname(seen[0]!.at)).not.toBe(dir);
      expect(seen[0]!.dirMode).toBe(0o700);
      expect(channel.path).toBe(path.join(dir, "keyward.sock"));
      expect(statSync(channel.path).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual(["keyward.sock"]);
      expect(await sendControlRequest(channel.path, { command: "reminders.run" })).toEqual(report);
    } finally {
      await channel.close();
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("stays off, saying why, when DATA_DIR is too long for a Unix socket path", async () => {
    const dir = path.join(await tempDir(), "d".repeat(120));
    const where = controlSocketPath(dir);
    expect(where.usable).toBe(false);
    expect(where.reason).toMatch(/^its path .+keyward\.sock is \d+ bytes, over the 10[37]-byte limit of Unix sockets; use a shorter DATA_DIR$/);
    const logger = recordingLogger();
    const handlers: ControlHandlers = { ...keyStubs, "reminders.run": async () => report, rekey: async () => ({ reencrypted: 0, skipped: 0, keyVersion: 1 }) };
    expect(await startControlChannel(dir, handlers, logger)).toBeNull();
    expect(logger.lines).toEqual([
      { level: "warn", obj: { reason: where.reason }, msg: "control channel off: npm run reminders, npm run rekey and npm run keys cannot reach this process" },
    ]);
  });
});
