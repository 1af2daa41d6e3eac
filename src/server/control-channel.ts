// The local control channel: the process that owns an embedded database (it holds DATA_DIR's lock)
// serves a Unix domain socket in DATA_DIR, so that commands which would otherwise open the database
// a second time (`npm run reminders`, `npm run rekey`) ask it to do their work instead.
// Protocol: one JSON request per line, one JSON response per line. Nothing secret crosses it.
// One request at a time per connection: a line that arrives before the previous request is answered
// is not run; it is answered at once with `rate_limited` (so a client cannot queue thousands of
// commands in one buffer). A client sends a request, reads its answer, then may send the next.
import { chmod, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { z } from "zod";
import { errorCodes, isDomainError, type ErrorCode } from "../domain/errors.ts";
import type { PassReport } from "../domain/reminder-service.ts";

export const controlRequestSchema = z.discriminatedUnion("command", [
  z.object({ command: z.literal("reminders.run") }),
  /** keyVersion, keyFingerprint: the caller's newest key (see keyFingerprint), which the server must seal with too. */
  z.object({ command: z.literal("rekey"), keyVersion: z.number().int().positive(), keyFingerprint: z.string().regex(/^[0-9a-f]{16}$/) }),
]);

export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlCommand = ControlRequest["command"];
export type ControlRequestOf<C extends ControlCommand> = Extract<ControlRequest, { command: C }>;

export interface ControlResults {
  "reminders.run": PassReport;
  rekey: { reencrypted: number; skipped: number; keyVersion: number };
}

export type ControlHandlers = { [C in ControlCommand]: (request: ControlRequestOf<C>) => Promise<ControlResults[C]> };

const responseSchema = z.union([
  z.object({ ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.enum(errorCodes), message: z.string() }) }),
]);
type ControlResponse = z.infer<typeof responseSchema>;

/** The server answered with an error; `message` is meant for the operator. */
export class ControlError extends Error {
  override name = "ControlError";
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** sun_path is 108 bytes on Linux (104 on macOS and the BSDs), NUL included; Node silently truncates a longer path. */
const maxSocketPathBytes = process.platform === "linux" ? 107 : 103;
const maxLineBytes = 64 * 1024;

export function controlSocketPath(dataDir: string): { path: string; usable: boolean; reason?: string } {
  const socket = path.join(path.resolve(dataDir), "keyward.sock");
  const bytes = Buffer.byteLength(socket);
  if (bytes <= maxSocketPathBytes) return { path: socket, usable: true };
  return {
    path: socket,
    usable: false,
    reason: `its path ${socket} is ${bytes} bytes, over the ${maxSocketPathBytes}-byte limit of Unix sockets; use a shorter DATA_DIR`,
  };
}

export interface ControlChannel {
  path: string;
  /** Stops accepting, lets requests in flight finish, then drops the connections. */
  close(): Promise<void>;
}

/** Only the holder of the data directory's lock calls this, so a socket file already there is a dead holder's. */
export async function startControlChannel(dataDir: string, handlers: ControlHandlers, logger: ControlLogger): Promise<ControlChannel | null> {
  const where = controlSocketPath(dataDir);
  if (!where.usable) {
    logger.warn({ reason: where.reason }, "control channel off: npm run reminders and npm run rekey cannot reach this process");
    return null;
  }
  await unlink(where.path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
  const inFlight = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    serveConnection(socket, handlers, logger, inFlight);
  });
  try {
    await listen(server, where.path);
    // DATA_DIR is the owner's; the socket is too, whatever the umask.
    await chmod(where.path, 0o600);
  } catch (error) {
    // The app serves Slack and REST without it; only the CLIs lose their way in, and they say so.
    server.close();
    logger.warn({ err: error, path: where.path }, "control channel off: npm run reminders and npm run rekey cannot reach this process");
    return null;
  }
  logger.info({ path: where.path }, "control channel listening");
  let closed: Promise<void> | undefined;
  return {
    path: where.path,
    close: () =>
      (closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all(inFlight);
        for (const socket of sockets) socket.destroy();
        await stopped;
      })()),
  };
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function serveConnection(socket: Socket, handlers: ControlHandlers, logger: ControlLogger, inFlight: Set<Promise<void>>): void {
  let buffered = "";
  let busy = false;
  socket.setEncoding("utf8");
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    if (Buffer.byteLength(buffered) > maxLineBytes) {
      socket.end(`${JSON.stringify(failure("malformed_request", "A request is one line of JSON, at most 64 KiB."))}\n`);
      return socket.destroy();
    }
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (busy) {
        socket.write(`${JSON.stringify(failure("rate_limited", "One request at a time on a connection: wait for the answer before sending the next."))}\n`);
        // A client that keeps sending without reading its answers is dropped, not buffered for.
        if (socket.writableLength > maxLineBytes) return socket.destroy();
        continue;
      }
      busy = true;
      const answered = (async () => {
        const response = await answer(line, handlers, logger);
        if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
      })().finally(() => (busy = false));
      inFlight.add(answered);
      void answered.finally(() => inFlight.delete(answered));
    }
  });
}

async function answer(line: string, handlers: ControlHandlers, logger: ControlLogger): Promise<ControlResponse> {
  const parsed = controlRequestSchema.safeParse(parseJson(line));
  if (!parsed.success) return failure("malformed_request", "Unknown or malformed control request.");
  const request = parsed.data;
  logger.info({ command: request.command }, "control request");
  try {
    const handler = handlers[request.command] as (r: ControlRequest) => Promise<ControlResults[ControlCommand]>;
    return { ok: true, result: { ...(await handler(request)) } };
  } catch (error) {
    if (isDomainError(error)) return failure(error.code, error.message);
    // The cause stays in this process's log: a message from deep down is no operator's answer.
    logger.error({ err: error, command: request.command }, "control request failed");
    return failure("unavailable", `${request.command} failed in the running keyward; its log has the cause.`);
  }
}

function failure(code: ErrorCode, message: string): ControlResponse {
  return { ok: false, error: { code, message } };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Sends one request and waits for its answer. Rejects with ControlError when the server refused
 * it, or with the socket's own error (ENOENT, ECONNREFUSED: nobody serves that path).
 */
export async function sendControlRequest<C extends ControlCommand>(
  socketPath: string,
  request: ControlRequestOf<C>,
  timeoutMs = 15 * 60_000,
): Promise<ControlResults[C]> {
  const line = await new Promise<string>((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffered = "";
    socket.setEncoding("utf8");
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${socketPath} within ${Math.round(timeoutMs / 1000)} s`)));
    socket.once("connect", () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline >= 0) {
        resolve(buffered.slice(0, newline));
        socket.end();
      }
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error(`${socketPath} closed the connection without answering`)));
  });
  const response = responseSchema.safeParse(parseJson(line));
  if (!response.success) throw new Error(`${socketPath} answered something that is not a control response`);
  if (!response.data.ok) throw new ControlError(response.data.error.code, response.data.error.message);
  return response.data.result as unknown as ControlResults[C];
}

export const notServing = (error: unknown): boolean => ["ENOENT", "ECONNREFUSED"].includes((error as NodeJS.ErrnoException).code ?? "");
