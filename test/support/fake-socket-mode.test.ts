// The fake Socket Mode server against a plain `ws` client, so each rule is seen on the wire:
// which token opens a connection, one connection per ticket, hello first, envelopes and acks,
// disconnect, and an envelope lost with its connection sent again on the next.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startFakeSlack, type FakeSlack } from "./fake-slack.ts";
import { startFakeSocketMode, type FakeSocketMode } from "./fake-socket-mode.ts";

type Json = Record<string, unknown>;

/** A client that keeps every message it got, and can wait for the next one matching. */
class Client {
  readonly messages: Json[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Json);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  next(match: (m: Json) => boolean): Promise<Json> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.messages.find(match);
        if (found) resolve(found);
        else this.waiters.push(check);
      };
      check();
    });
  }
}

describe("fake Socket Mode", () => {
  let fake: FakeSlack;
  let socket: FakeSocketMode;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    fake = await startFakeSlack({ token: "xoxb-bot" });
    socket = await startFakeSocketMode(fake);
  });
  afterEach(async () => {
    for (const ws of clients.splice(0)) ws.terminate();
    await socket.close();
    await fake.close();
  });

  const open = async (token: string): Promise<Json> => {
    const response = await fetch(`${fake.url}apps.connections.open`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    return (await response.json()) as Json;
  };
  const connect = async (url: string): Promise<Client> => {
    const ws = new WebSocket(url);
    clients.push(ws);
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return client;
  };

  it("opens a connection for the app-level token only, and each URL once; hello comes first", async () => {
    expect(await open("xoxb-bot")).toEqual({ ok: false, error: "not_allowed_token_type" });
    expect(await open("xapp-1-other")).toEqual({ ok: false, error: "invalid_auth" });
    const answer = await open(socket.appToken);
    expect(answer).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+/) });
    const client = await connect(String(answer.url));
    expect(await client.next(() => true)).toMatchObject({ type: "hello", num_connections: 1, connection_info: { app_id: fake.appId } });
    // The ticket is spent: the same URL again is refused at the upgrade.
    await expect(connect(String(answer.url))).rejects.toThrow(/401/);
    expect(fake.callsTo("apps.connections.open").map((c) => c.response.ok)).toEqual([false, false, true]);
  });

  it("delivers an envelope and resolves with the ack's payload; a bare ack is an empty payload", async () => {
    const client = await connect(String((await open(socket.appToken)).url));
    const delivered = socket.deliver("slash_commands", { command: "/keys", text: "help" });
    const envelope = await client.next((m) => m.type === "slash_commands");
    expect(envelope).toMatchObject({ payload: { command: "/keys" }, accepts_response_payload: true, envelope_id: expect.any(String) });
    client.ws.send(JSON.stringify({ envelope_id: envelope.envelope_id, payload: { text: "hi" } }));
    expect(await delivered).toMatchObject({ type: "slash_commands", payload: { text: "hi" }, connection: 1 });
    const event = socket.deliver("events_api", { type: "event_callback", event: { type: "app_home_opened" } });
    const sent = await client.next((m) => m.type === "events_api");
    expect(sent).toMatchObject({ accepts_response_payload: false, retry_attempt: 0, retry_reason: "" });
    client.ws.send(JSON.stringify({ envelope_id: sent.envelope_id, payload: {} }));
    expect((await event).payload).toEqual({});
  });

  it("after a disconnect request, sends nothing more on that connection; an envelope lost with a connection goes out again on the next", async () => {
    const first = await connect(String((await open(socket.appToken)).url));
    const lost = socket.deliver("events_api", { type: "event_callback", event: { type: "app_home_opened" } });
    await first.next((m) => m.type === "events_api");
    expect(socket.requestReconnect()).toEqual([1]);
    expect(await first.next((m) => m.type === "disconnect")).toMatchObject({ reason: "refresh_requested" });
    const held = socket.deliver("interactive", { type: "block_actions" });
    first.ws.close(1000);
    expect((await socket.waitForClose(1)).closeCode).toBe(1000);
    const second = await connect(String((await open(socket.appToken)).url));
    const again = await second.next((m) => m.type === "events_api");
    expect(again).toMatchObject({ retry_attempt: 1, retry_reason: "timeout" });
    const interactive = await second.next((m) => m.type === "interactive");
    for (const m of [again, interactive]) second.ws.send(JSON.stringify({ envelope_id: m.envelope_id }));
    expect((await lost).connection).toBe(2);
    expect((await held).connection).toBe(2);
    expect(first.messages.filter((m) => m.type === "interactive")).toEqual([]);
  });
});
