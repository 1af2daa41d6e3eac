// Slack's Socket Mode side, on loopback, beside the fake Web API (SLACK-NOTES §9): the fake answers
// `apps.connections.open` for the app-level token with a one-use ws:// URL; whoever connects gets
// `hello`, then envelopes (slash commands, interactivity, Events API callbacks) whose acks, with any
// response payload, are what deliver() returns. `disconnect` asks the client to reconnect, as Slack
// does when it recycles a connection. Pongs and the close handshake are the `ws` library's own.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { FakeSlack, RecordedCall, SlackBody } from "./fake-slack.ts";
import { Changes, defaultTimeoutMs, Recorder, type WaitOptions } from "./waits.ts";

type JsonObject = Record<string, unknown>;

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

export const defaultAppToken = "xapp-1-A00000001-1234567890123-0f1e2d3c4b5a69788796a5b4c3d2e1f0";

export interface FakeSocketModeOptions {
  /** The app-level token `apps.connections.open` must carry (default {@link defaultAppToken}). */
  appToken?: string;
  /** How long deliver() waits for a connection and then for the app's ack (default 10 s). */
  ackTimeoutMs?: number;
}

export interface DeliverOptions {
  /** Events API redeliveries: `retry_attempt` / `retry_reason` (default 0 / ""). */
  retryAttempt?: number;
  retryReason?: string;
}

/** One connection a client opened with a ticket the fake issued. */
export interface SocketConnection {
  readonly id: number;
  /** The `hello` went out. */
  readonly helloAt: number;
  /** Set once the socket closed: the close code the server saw. */
  closeCode?: number;
  /** The `disconnect` reasons sent on it. */
  readonly disconnects: string[];
  /** The client's pings it answered (the `ws` library pongs by itself). */
  pings: number;
}

export interface SocketAck {
  envelopeId: string;
  type: EnvelopeType;
  /** The ack's `payload` (Bolt sends `{}` for a bare ack()). */
  payload: JsonObject | undefined;
  /** The connection the ack came in on (not always the one the envelope went out on). */
  connection: number;
  elapsedMs: number;
}

export interface FakeSocketMode {
  readonly appToken: string;
  /** Every connection opened, oldest first. */
  readonly connections: readonly SocketConnection[];
  /** Every ack received, in order. */
  readonly acks: readonly SocketAck[];
  /** Resolves once `count` connections have been opened in all and one of them is open. */
  waitForConnections(count: number, options?: Omit<WaitOptions, "since">): Promise<SocketConnection>;
  /** Resolves once connection `id` has answered `count` pings in all, while open. */
  waitForPings(id: number, count: number, options?: Omit<WaitOptions, "since">): Promise<SocketConnection>;
  /** Resolves once connection `id` has closed (the client answered a disconnect, or close() ran). */
  waitForClose(id: number, options?: Omit<WaitOptions, "since">): Promise<SocketConnection>;
  /** Sends one envelope on the newest open connection (waiting for one) and resolves with its ack. */
  deliver(type: EnvelopeType, payload: JsonObject, options?: DeliverOptions): Promise<SocketAck>;
  /** Sends `{"type":"disconnect","reason":…}` on every open connection; returns their ids. */
  requestReconnect(reason?: string): number[];
  close(): Promise<void>;
}

/** Serves `apps.connections.open` on `fake` and the WebSocket URLs it hands out. */
export async function startFakeSocketMode(fake: FakeSlack, options: FakeSocketModeOptions = {}): Promise<FakeSocketMode> {
  const server = new FakeSocketModeServer(fake, options);
  await server.listen();
  fake.addMethod("apps.connections.open", (call) => server.connectionsOpen(call));
  return server;
}

interface Pending {
  envelope: JsonObject;
  type: EnvelopeType;
  sentAt: number;
  /** The connection it last went out on (undefined: waiting for one). */
  sentOn?: number;
  /** It went out on a connection that closed before the ack: the next sending is a retry. */
  lost?: boolean;
}

interface Live {
  record: SocketConnection;
  socket: WebSocket;
}

class FakeSocketModeServer implements FakeSocketMode {
  readonly appToken: string;
  readonly connections: SocketConnection[] = [];
  private readonly recordedAcks = new Recorder<SocketAck>("fake Socket Mode", (a) => `ack ${a.type} ${a.envelopeId}`);
  private readonly changes = new Changes();
  private readonly http = createServer((_req, res) => res.writeHead(404).end());
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly live = new Map<number, Live>();
  private readonly pending = new Map<string, Pending>();
  private readonly ackTimeoutMs: number;
  private base = "";

  constructor(
    private readonly fake: FakeSlack,
    options: FakeSocketModeOptions,
  ) {
    this.appToken = options.appToken ?? defaultAppToken;
    this.ackTimeoutMs = options.ackTimeoutMs ?? defaultTimeoutMs;
    this.http.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
  }

  get acks(): readonly SocketAck[] {
    return this.recordedAcks.items;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.http.listen(0, "127.0.0.1", resolve));
    this.base = `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Slack refuses a bot token here with not_allowed_token_type; any other wrong token is invalid_auth. */
  connectionsOpen(call: RecordedCall): SlackBody {
    if (!call.token) return { ok: false, error: "not_authed" };
    if (call.token !== this.appToken) return { ok: false, error: call.token.startsWith("xoxb-") ? "not_allowed_token_type" : "invalid_auth" };
    const ticket = randomBytes(16).toString("hex");
    this.tickets.add(ticket);
    return { ok: true, url: `${this.base}/link/?ticket=${ticket}&app_id=${this.fake.appId}` };
  }

  waitForConnections(count: number, options: Omit<WaitOptions, "since"> = {}): Promise<SocketConnection> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return this.changes.until(
      () => (this.connections.length >= count ? this.newestOpen()?.record : undefined),
      timeoutMs,
      () => `fake Socket Mode: ${this.connections.length} connection(s) opened, ${this.live.size} open, not ${count} within ${timeoutMs} ms`,
    );
  }

  waitForPings(id: number, count: number, options: Omit<WaitOptions, "since"> = {}): Promise<SocketConnection> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const connection = () => this.connections.find((c) => c.id === id);
    return this.changes.until(
      () => {
        const found = connection();
        // Closed first (the client gave up on its pongs, say): no sense in waiting for the deadline.
        if (found?.closeCode !== undefined)
          throw new Error(`fake Socket Mode: connection ${id} closed (code ${found.closeCode}) after ${found.pings} ping(s), not ${count}`);
        return found && found.pings >= count ? found : undefined;
      },
      timeoutMs,
      () => `fake Socket Mode: connection ${id} answered ${connection()?.pings ?? 0} ping(s), not ${count}, within ${timeoutMs} ms`,
    );
  }

  waitForClose(id: number, options: Omit<WaitOptions, "since"> = {}): Promise<SocketConnection> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    return this.changes.until(
      () => this.connections.find((c) => c.id === id && c.closeCode !== undefined),
      timeoutMs,
      () => `fake Socket Mode: connection ${id} still open after ${timeoutMs} ms`,
    );
  }

  async deliver(type: EnvelopeType, payload: JsonObject, options: DeliverOptions = {}): Promise<SocketAck> {
    const envelopeId = `${randomBytes(4).toString("hex")}-${randomBytes(2).toString("hex")}-${randomBytes(6).toString("hex")}`;
    const envelope: JsonObject = {
      envelope_id: envelopeId,
      payload,
      type,
      // Slack takes a response payload in the ack of commands and interactivity, not of events.
      accepts_response_payload: type !== "events_api",
      ...(type === "events_api" ? { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryReason ?? "" } : {}),
    };
    this.pending.set(envelopeId, { envelope, type, sentAt: performance.now() });
    this.sendPending();
    try {
      return await this.recordedAcks.first(`ack of ${type} envelope ${envelopeId}`, (a) => a.envelopeId === envelopeId, {
        timeoutMs: this.ackTimeoutMs,
      });
    } finally {
      this.pending.delete(envelopeId);
    }
  }

  requestReconnect(reason = "refresh_requested"): number[] {
    const ids = [...this.live.values()].map(({ record, socket }) => {
      record.disconnects.push(reason);
      socket.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake" } }));
      return record.id;
    });
    return ids;
  }

  async close(): Promise<void> {
    for (const { socket } of this.live.values()) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // --- plumbing ------------------------------------------------------------------------------

  /** A ticket is good for one connection, as Slack's are. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "ws://fake");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws));
  }

  private opened(socket: WebSocket): void {
    const record: SocketConnection = { id: this.connections.length + 1, helloAt: Date.now(), disconnects: [], pings: 0 };
    this.connections.push(record);
    this.live.set(record.id, { record, socket });
    socket.on("message", (data, isBinary) => this.received(record.id, data, isBinary));
    socket.on("ping", () => {
      record.pings += 1;
      this.changes.notify();
    });
    socket.on("close", (code) => {
      record.closeCode = code;
      this.live.delete(record.id);
      // What went out on it unacknowledged goes out again on the next connection, as Slack retries it.
      for (const p of this.pending.values()) {
        if (p.sentOn !== record.id) continue;
        p.sentOn = undefined;
        p.lost = true;
      }
      this.sendPending();
      this.changes.notify();
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.live.size,
        debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.fake.appId },
      }),
    );
    this.sendPending();
    this.changes.notify();
  }

  private received(connection: number, data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    const message = parseObject(String(data));
    const envelopeId = message?.envelope_id;
    if (typeof envelopeId !== "string") return;
    const pending = this.pending.get(envelopeId);
    if (!pending) return; // a late or repeated ack: Slack ignores it too
    const payload = message!.payload;
    this.recordedAcks.record({
      envelopeId,
      type: pending.type,
      payload: payload && typeof payload === "object" && !Array.isArray(payload) ? (payload as JsonObject) : undefined,
      connection,
      elapsedMs: performance.now() - pending.sentAt,
    });
  }

  /** Every envelope not yet on an open connection goes out on the newest one. */
  private sendPending(): void {
    const target = this.newestOpen();
    if (!target) return;
    for (const p of this.pending.values()) {
      if (p.sentOn !== undefined) continue;
      if (p.lost && p.type === "events_api") p.envelope = { ...p.envelope, retry_attempt: Number(p.envelope.retry_attempt) + 1, retry_reason: "timeout" };
      p.lost = false;
      p.sentOn = target.record.id;
      target.socket.send(JSON.stringify(p.envelope));
    }
  }

  private newestOpen(): Live | undefined {
    // One asked to reconnect gets nothing more: its client is closing it, so an ack could not come back on it.
    return [...this.live.values()].filter((l) => l.socket.readyState === l.socket.OPEN && l.record.disconnects.length === 0).at(-1);
  }
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
