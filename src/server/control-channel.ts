// The local control channel: the process that owns an embedded database (it holds DATA_DIR's lock)
// serves a Unix domain socket in DATA_DIR, so that commands which would otherwise open the database
// a second time (`npm run reminders`, `npm run rekey`, `npm run keys`) ask it to do their work instead.
// Protocol: one JSON request per line, one JSON response per line.
// One secret crosses it, on purpose: the answer to `keys.create` carries the new key's secret, once,
// to the operator who asked (its one delivery; the key stays inert until that command says, with
// `keys.activate`, that it printed it). Nothing else secret does, and nothing logs it: this channel
// logs command names only and writes answers to the socket alone. Only the server's own user (and
// root) can connect: the socket is bound in a fresh 0700 directory, made 0600, and only then moved to
// DATA_DIR/keyward.sock, so no other user can reach it at any moment, whatever the umask or DATA_DIR's
// mode. That user can read DATA_DIR/secrets and the database anyway: the channel grants nothing more.
// (Rejected: the CLI making the secret and sending only its hash. The domain would then store hashes
// it did not make, of secrets it cannot know are random, and a CLI with another pepper would mint keys
// that never verify.)
// One request at a time per connection: a line that arrives before the previous request is answered
// is not run; it is answered at once with `rate_limited` (so a client cannot queue thousands of
// commands in one buffer). A client sends a request, reads its answer, then may send the next.
import { chmod, mkdtemp, rename, rm, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { z } from "zod";
import { errorCodes, isDomainError, type ErrorCode } from "../domain/errors.ts";
import type { DigestPassReport } from "../domain/digest-service.ts";
import type { PassReport } from "../domain/reminder-service.ts";
import { isOperatorName } from "../domain/directory-service.ts";
import type { KeyCommandResults } from "./key-commands.ts";

/** Who runs `npm run keys` (their OS user name), for the audit; and the workspace, when they named one. */
const osUser = z.string().refine(isOperatorName).optional();
const workspace = z.string().max(40);

/** What a control request may say (exported for the tests, which check what the CLI sends against it). */
export const controlRequestSchema = z.discriminatedUnion("command", [
  z.object({ command: z.literal("reminders.run") }),
  /** keyVersion, keyFingerprint: the caller's newest key (see keyFingerprint), which the server must seal with too. */
  z.object({ command: z.literal("rekey"), keyVersion: z.number().int().positive(), keyFingerprint: z.string().regex(/^[0-9a-f]{16}$/) }),
  // Field by field as the domain's create takes them; the domain validates them (again).
  z.object({
    command: z.literal("keys.create"),
    osUser,
    workspace: workspace.optional(),
    name: z.string().max(1000),
    description: z.string().max(2000).optional(),
    role: z.string().max(200),
    expiresOn: z.string().max(40),
    timeZone: z.string().max(100),
  }),
  z.object({ command: z.literal("keys.activate"), osUser, workspace, keyId: z.string().max(100) }),
  z.object({ command: z.literal("keys.discard"), osUser, workspace, keyId: z.string().max(100) }),
  z.object({ command: z.literal("keys.list"), osUser, workspace: workspace.optional(), cursor: z.string().max(100).optional() }),
  z.object({ command: z.literal("keys.delete"), osUser, workspace: workspace.optional(), ref: z.string().max(1000), endGrace: z.boolean().optional() }),
]);

export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlCommand = ControlRequest["command"];
export type ControlRequestOf<C extends ControlCommand> = Extract<ControlRequest, { command: C }>;

export interface ControlResults extends KeyCommandResults {
  /** The reminder pass's report, and the weekly digests' pass run after it. */
  "reminders.run": PassReport & { digests?: DigestPassReport };
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

interface ControlLogger {
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

/** A listening control channel (exported for the tests, which start and close one). */
export interface ControlChannel {
  path: string;
  /** Stops accepting, lets requests in flight finish, then drops the connections. */
  close(): Promise<void>;
}

/** Only the holder of the data directory's lock calls this, so a socket file already there is a dead holder's. */
export async function startControlChannel(dataDir: string, handlers: ControlHandlers, logger: ControlLogger): Promise<ControlChannel | null> {
  const where = controlSocketPath(dataDir);
  if (!where.usable) {
    logger.warn({ reason: where.reason }, offMessage);
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
    await listenPrivately(server, where.path);
  } catch (error) {
    // The app serves Slack and REST without it; only the CLIs lose their way in, and they say so.
    server.close();
    logger.warn({ err: error, path: where.path }, offMessage);
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
        // Closing removes the path it was bound at (the private one); the moved socket goes here.
        // Nobody else can have bound it since: the next owner binds only once we give back the lock.
        await unlink(where.path).catch(() => undefined);
      })()),
  };
}

const offMessage = "control channel off: npm run reminders, npm run rekey and npm run keys cannot reach this process";

/**
 * Binds in a fresh directory only the owner can enter, makes the socket owner-only, then moves it
 * into place: binding at the final path would leave it, until the chmod, as open as the umask lets
 * it (0775 under umask 002), and a connection accepted then would stay open after the chmod.
 */
async function listenPrivately(server: Server, socketPath: string): Promise<void> {
  // `.kwXXXXXX/s` is no longer than `keyward.sock`, so it fits whenever the final path does.
  const dir = await mkdtemp(path.join(path.dirname(socketPath), ".kw"));
  const bound = path.join(dir, "s");
  try {
    await listen(server, bound);
    await chmod(bound, 0o600);
    await rename(bound, socketPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

/**
 * A request checked against the schema, or refused with a ControlError that says which field is
 * wrong (zod's messages name the rule broken, never the value given).
 */
export function checkControlRequest(raw: unknown): ControlRequest {
  const parsed = controlRequestSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ControlError("malformed_request", `Unknown or malformed control request (${`${where}${issue?.message ?? "not a request"}`.slice(0, 200)}).`);
}

async function answer(line: string, handlers: ControlHandlers, logger: ControlLogger): Promise<ControlResponse> {
  let request: ControlRequest;
  try {
    request = checkControlRequest(parseJson(line));
  } catch (error) {
    return failure("malformed_request", (error as ControlError).message);
  }
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
