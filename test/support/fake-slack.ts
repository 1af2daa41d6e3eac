// A fake Slack Web API on loopback, for tests that run the real app (or a real WebClient) offline.
// It answers with Slack's documented success shapes and error codes (SLACK-NOTES §2, §3, §6), refuses
// what Slack would refuse (bad tokens, stale or reused trigger ids, invalid Block Kit, unknown
// channels) and can be told to fail, rate-limit or stall the next calls of a method.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { blockKitIssues, viewSurface, type BlockKitIssue, type BlockKitSurface } from "./block-kit-validator.ts";
import { basicCredentials, FakeOAuth } from "./fake-slack-oauth.ts";
import { Recorder, type Mark, type WaitOptions } from "./waits.ts";

export interface FakeSlackOptions {
  /** The bot token every call must carry (default `xoxb-fake-bot-token`). */
  token?: string;
  teamId?: string;
  /** Enterprise Grid: the org the team belongs to (auth.test `enterprise_id`; users get `enterprise_user`). */
  enterpriseId?: string;
  /** auth.test `is_enterprise_install` (an org-wide install). */
  isEnterpriseInstall?: boolean;
  teamDomain?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** Clock in epoch ms, for trigger expiry, call times and message ts (default `Date.now`). */
  now?: () => number;
  /** How long an issued trigger id stays valid (default 3000 ms, as Slack). */
  triggerTtlMs?: number;
  /** False makes `views.publish` answer `not_enabled`, as for an app without a Home tab. */
  homeTabEnabled?: boolean;
  /**
   * Slack's per-channel posting rate: a chat.postMessage to a channel sooner than this many ms
   * (the fake's clock) after the last one accepted there is answered 429 with Retry-After.
   */
  channelPostIntervalMs?: number;
  /**
   * Slack's undocumented limit on a message's blocks taken together: chat.postMessage and
   * chat.update whose blocks carry more text than this (every `text` string, summed) are answered
   * `msg_blocks_too_long` (bolt-js #2509 found it at about 13,200, #2867 below 11,341). Unset: no limit.
   */
  maxBlocksTextChars?: number;
}

export interface FakeUserInit {
  id: string;
  teamId?: string;
  name?: string;
  realName?: string;
  /** IANA zone (default `America/Los_Angeles`); tz_label and tz_offset are derived from it. */
  tz?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isPrimaryOwner?: boolean;
  isRestricted?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  /** Slack Connect: someone of another org, seen in a shared channel (users.info `is_stranger`). */
  isStranger?: boolean;
  /** Grid org of the user (users.info `enterprise_user.enterprise_id`); default: the fake's enterprise, if any. */
  enterpriseId?: string;
}

export interface FakeChannelInit {
  id: string;
  name?: string;
  members?: string[];
  botIsMember?: boolean;
  isArchived?: boolean;
}

export interface FailureSpec {
  /** Answer HTTP 200 `{ok:false, error}`, or use this error code in a non-200 body. */
  error?: string;
  /** Answer this HTTP status instead of 200 (429 → body `{ok:false,error:'ratelimited'}`). */
  status?: number;
  /** Seconds for the `Retry-After` header; implies status 429 when no status is given. */
  retryAfter?: number;
  /** How many consecutive calls this applies to (default 1). */
  times?: number;
  /** Wait this long before answering; alone (no error/status), the call then succeeds normally. */
  delayMs?: number;
}

export type SlackBody = { ok: boolean; error?: string } & Record<string, unknown>;

export interface RecordedCall {
  method: string;
  /** Form fields, with `blocks`, `view` and `attachments` JSON-decoded; the token is in `token`. */
  args: Record<string, unknown>;
  token: string | undefined;
  /** When the call arrived (the fake's clock). */
  time: number;
  status: number;
  response: SlackBody;
  /** Block Kit problems found in `blocks`/`view`, as "<pointer>: <problem>" (empty when valid). */
  violations: string[];
}

export interface FakeSlack {
  /** Base URL ending in `/api/`: what the app gets as `SLACK_API_URL` / `slackApiUrl`. */
  readonly url: string;
  readonly token: string;
  readonly teamId: string;
  readonly enterpriseId: string | undefined;
  readonly teamDomain: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** Every answered call, in the order the answers went out. */
  readonly calls: readonly RecordedCall[];
  /** Every call since the fake started, including those before a reset(): what the harness checks at close. */
  readonly history: readonly RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /**
   * Resolves once `count` calls to `method` were answered since the last reset(). Counts every caller:
   * tests that share one app wait with {@link waitForCall} instead, scoped by a mark or their own ids.
   */
  waitForCalls(method: string, count?: number, timeoutMs?: number): Promise<RecordedCall[]>;
  /** A place in the history (which reset() keeps): what is answered from now on is "since" it. */
  mark(): Mark;
  /** The calls answered since the mark (to `method`, when given). */
  callsSince(mark: Mark, method?: string): RecordedCall[];
  /**
   * The first call to `method` that `where` accepts, as soon as the fake has answered it (at once
   * when it already has): since `options.since`, or in the whole history. Fails at the deadline
   * listing the calls it saw.
   */
  waitForCall(method: string, where?: (call: RecordedCall) => boolean, options?: WaitOptions): Promise<RecordedCall>;
  /** The modal `viewId` as the fake holds it, once `settled` accepts it (asked again after each answered call). */
  waitForView(viewId: string, settled: (view: Record<string, unknown>) => boolean, options?: Omit<WaitOptions, "since">): Promise<Record<string, unknown>>;
  addUser(user: FakeUserInit): void;
  addChannel(channel: FakeChannelInit): void;
  /** A fresh trigger id, valid once within the TTL; `viewId` ties it to an open modal (for views.push). */
  issueTrigger(options?: { viewId?: string }): string;
  failNext(method: string, spec?: FailureSpec): void;
  /**
   * Serves a method the fake's own table lacks, recorded like the others and subject to failNext;
   * `handler` checks the token itself (apps.connections.open takes the app-level token, not the bot's).
   */
  addMethod(method: string, handler: (call: RecordedCall) => SlackBody): void;
  getView(viewId: string): Record<string, unknown> | undefined;
  getHomeView(userId: string): Record<string, unknown> | undefined;
  getMessage(channel: string, ts: string): Record<string, unknown> | undefined;
  /** OAuth installs: the app's credentials, codes for the workspaces that approve it, and each installation's own bot token. */
  readonly oauth: FakeOAuth;
  /** Forgets calls, pending failures, triggers, views and messages; keeps users, channels and DMs. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const fake = new FakeSlackServer(options);
  await fake.listen();
  return fake;
}

// ---------------------------------------------------------------------------------------------

type Args = Record<string, unknown>;
type JsonObject = Record<string, unknown>;
type Handler = (args: Args, call: RecordedCall) => SlackBody;

interface Answer {
  status: number;
  body: SlackBody;
  headers?: Record<string, string>;
}

interface PendingFailure extends FailureSpec {
  remaining: number;
}

interface Trigger {
  issuedAt: number;
  used: boolean;
  viewId?: string;
}

interface ChannelState {
  id: string;
  name: string;
  members: Set<string>;
  botIsMember: boolean;
  isArchived: boolean;
}

const JSON_FIELDS = ["blocks", "view", "attachments"] as const;
const MAX_TEXT = 40_000;
const MAX_VIEW_BYTES = 250 * 1024;
const MAX_VIEW_STACK = 3;
const TRIGGER_FORMAT = /^\d+\.\d+\.[0-9a-f]+$/;

class FakeSlackServer implements FakeSlack {
  readonly token: string;
  readonly teamId: string;
  readonly enterpriseId: string | undefined;
  readonly isEnterpriseInstall: boolean;
  readonly teamDomain: string;
  readonly teamName: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly calls: RecordedCall[] = [];
  private readonly recorded = new Recorder<RecordedCall>("fake Slack", describeCall);

  private readonly now: () => number;
  private readonly triggerTtlMs: number;
  private readonly homeTabEnabled: boolean;
  private readonly channelPostIntervalMs: number | undefined;
  private readonly maxBlocksTextChars: number | undefined;
  private readonly lastPostAt = new Map<string, number>();
  private readonly server: Server = createServer((req, res) => void this.serve(req, res));
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly users = new Map<string, Required<Omit<FakeUserInit, "enterpriseId">> & { enterpriseId?: string }>();
  private readonly channels = new Map<string, ChannelState>();
  private readonly dmByUser = new Map<string, string>();
  private failures = new Map<string, PendingFailure[]>();
  private triggers = new Map<string, Trigger>();
  private views = new Map<string, JsonObject>();
  private viewStacks = new Map<string, string[]>();
  private homeViews = new Map<string, JsonObject>();
  private messages = new Map<string, JsonObject>();
  private readonly added = new Map<string, (call: RecordedCall) => SlackBody>();
  private counter = 0;
  private lastTsMicros = 0;
  private baseUrl = "";
  readonly oauth: FakeOAuth;

  private readonly handlers: Record<string, Handler> = {
    "auth.test": () => this.authTest(),
    "users.info": (args) => this.usersInfo(args),
    "conversations.open": (args) => this.conversationsOpen(args),
    "chat.postEphemeral": (args, call) => this.postEphemeral(args, call),
    "chat.postMessage": (args, call) => this.postMessage(args, call),
    "chat.update": (args, call) => this.chatUpdate(args, call),
    "conversations.history": (args) => this.conversationsHistory(args),
    "chat.getPermalink": (args) => this.getPermalink(args),
    "views.open": (args, call) => this.viewsOpen(args, call, false),
    "views.push": (args, call) => this.viewsOpen(args, call, true),
    "views.update": (args, call) => this.viewsUpdate(args, call),
    "views.publish": (args, call) => this.viewsPublish(args, call),
  };

  constructor(options: FakeSlackOptions) {
    this.token = options.token ?? "xoxb-fake-bot-token";
    this.teamId = options.teamId ?? "T00000001";
    this.enterpriseId = options.enterpriseId;
    this.isEnterpriseInstall = options.isEnterpriseInstall ?? false;
    this.teamDomain = options.teamDomain ?? "keyward-test";
    this.teamName = options.teamName ?? "Keyward Test";
    this.appId = options.appId ?? "A00000001";
    this.botUserId = options.botUserId ?? "U0BOT0001";
    this.botId = options.botId ?? "B00000001";
    this.now = options.now ?? Date.now;
    this.triggerTtlMs = options.triggerTtlMs ?? 3000;
    this.homeTabEnabled = options.homeTabEnabled ?? true;
    this.channelPostIntervalMs = options.channelPostIntervalMs;
    this.oauth = new FakeOAuth(this.appId);
    this.maxBlocksTextChars = options.maxBlocksTextChars;
  }

  get url(): string {
    return this.baseUrl;
  }

  get history(): readonly RecordedCall[] {
    return this.recorded.items;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/api/`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.calls.length = 0;
    this.failures = new Map();
    this.triggers = new Map();
    this.views = new Map();
    this.viewStacks = new Map();
    this.homeViews = new Map();
    this.messages = new Map();
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  waitForCalls(method: string, count = 1, timeoutMs = 10_000): Promise<RecordedCall[]> {
    const probe = () => {
      const found = this.callsTo(method);
      return found.length >= count ? found : undefined;
    };
    return this.recorded.until(`${count} call(s) to ${method} since the last reset`, probe, { timeoutMs });
  }

  mark(): Mark {
    return this.recorded.mark();
  }

  callsSince(mark: Mark, method?: string): RecordedCall[] {
    const since = this.recorded.since(mark);
    return method === undefined ? since : since.filter((c) => c.method === method);
  }

  waitForCall(method: string, where: (call: RecordedCall) => boolean = () => true, options: WaitOptions = {}): Promise<RecordedCall> {
    return this.recorded.first(`matching call to ${method}`, (c) => c.method === method && where(c), options);
  }

  waitForView(viewId: string, settled: (view: JsonObject) => boolean, options: Omit<WaitOptions, "since"> = {}): Promise<JsonObject> {
    const probe = () => {
      const view = this.views.get(viewId);
      return view && settled(view) ? view : undefined;
    };
    return this.recorded.until(`settled view ${viewId}`, probe, options);
  }

  addUser(user: FakeUserInit): void {
    this.users.set(user.id, {
      teamId: this.teamId,
      name: user.id.toLowerCase(),
      realName: user.name ?? user.id,
      tz: "America/Los_Angeles",
      isAdmin: false,
      isOwner: false,
      isPrimaryOwner: false,
      isRestricted: false,
      isBot: false,
      deleted: false,
      isStranger: false,
      ...(this.enterpriseId ? { enterpriseId: this.enterpriseId } : {}),
      ...withoutUndefined(user),
    });
  }

  addChannel(channel: FakeChannelInit): void {
    this.channels.set(channel.id, {
      id: channel.id,
      name: channel.name ?? channel.id.toLowerCase(),
      members: new Set(channel.members ?? []),
      botIsMember: channel.botIsMember ?? false,
      isArchived: channel.isArchived ?? false,
    });
  }

  issueTrigger(options: { viewId?: string } = {}): string {
    // Slack's shape, e.g. 12345.98765.abcd2358fdef3a3b4c7f (views.open reference)
    const id = `${Math.floor(this.now() / 1000)}${++this.counter}.${randomDigits(10)}.${randomBytes(16).toString("hex")}`;
    this.triggers.set(id, { issuedAt: this.now(), used: false, viewId: options.viewId });
    return id;
  }

  failNext(method: string, spec: FailureSpec = {}): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ ...spec, remaining: spec.times ?? 1 });
    this.failures.set(method, queue);
  }

  addMethod(method: string, handler: (call: RecordedCall) => SlackBody): void {
    this.added.set(method, handler);
  }

  getView(viewId: string): JsonObject | undefined {
    return this.views.get(viewId);
  }

  getHomeView(userId: string): JsonObject | undefined {
    return this.homeViews.get(userId);
  }

  getMessage(channel: string, ts: string): JsonObject | undefined {
    return this.messages.get(`${channel}/${ts}`);
  }

  // --- HTTP ----------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    if (!url.pathname.startsWith("/api/")) {
      res.writeHead(404).end();
      return;
    }
    const raw = await readBody(req);
    const args = parseArgs(String(req.headers["content-type"] ?? ""), raw, url.searchParams);
    const token = bearerToken(req.headers.authorization) ?? stringOrUndefined(args.token);
    delete args.token;
    // oauth.v2.access authenticates the app (client id and secret), not a token.
    const basic = basicCredentials(req.headers.authorization);
    const call: RecordedCall = {
      method: url.pathname.slice("/api/".length),
      args,
      token,
      time: this.now(),
      status: 200,
      response: { ok: false },
      violations: [],
    };
    const answer = await this.answer(call, basic).catch(
      (error: unknown): Answer => ({
        status: 500, // a bug in the fake itself: say so instead of leaving the client hanging
        body: fail("fake_slack_internal_error", { detail: String(error) }),
      }),
    );
    call.status = answer.status;
    call.response = answer.body;
    this.calls.push(call);
    this.recorded.record(call);
    if (res.destroyed) return; // the client gave up (timeout test) or close() ran
    res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", ...answer.headers });
    res.end(JSON.stringify(answer.body));
  }

  private async answer(call: RecordedCall, basic?: { clientId: string; clientSecret: string }): Promise<Answer> {
    const handler = this.handlers[call.method];
    const added = this.added.get(call.method);
    const isOAuth = call.method === "oauth.v2.access";
    if (!handler && !added && !isOAuth) return ok200(fail("unknown_method"));
    const failure = this.takeFailure(call.method);
    if (failure?.delayMs) await this.sleep(failure.delayMs);
    const injected = failure && injectedAnswer(failure);
    if (injected) return injected;
    if (added) return ok200(added(call));
    if (isOAuth) return ok200(this.oauth.access(call.args, basic));
    if (!call.token) return ok200(fail("not_authed"));
    // An OAuth installation's token: valid until revoked; auth.test answers for its own workspace.
    const installed = this.oauth.installationOf(call.token);
    if (installed?.revoked) return ok200(fail("token_revoked"));
    if (installed && call.method === "auth.test") return ok200(this.oauth.authTest(installed));
    if (call.token !== this.token && !installed) return ok200(fail("invalid_auth"));
    const paced = this.channelPace(call);
    if (paced) return paced;
    return ok200(handler!(call.args, call)); // defined: the methods without one were answered above
  }

  /** A post to a channel sooner than `channelPostIntervalMs` after the last accepted one: 429, Retry-After. */
  private channelPace(call: RecordedCall): Answer | undefined {
    if (this.channelPostIntervalMs === undefined || call.method !== "chat.postMessage") return undefined;
    const channel = String(call.args.channel ?? "");
    const last = this.lastPostAt.get(channel);
    if (last !== undefined && call.time - last < this.channelPostIntervalMs) {
      const retryAfter = Math.max(1, Math.ceil((last + this.channelPostIntervalMs - call.time) / 1000));
      return { status: 429, body: fail("ratelimited"), headers: { "retry-after": String(retryAfter) } };
    }
    this.lastPostAt.set(channel, call.time);
    return undefined;
  }

  private takeFailure(method: string): PendingFailure | undefined {
    const queue = this.failures.get(method);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) queue.shift();
    return head;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  // --- methods -------------------------------------------------------------------------------

  private authTest(): SlackBody {
    return {
      ok: true,
      url: `https://${this.teamDomain}.slack.com/`,
      team: this.teamName,
      user: "keyward",
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      ...(this.enterpriseId ? { enterprise_id: this.enterpriseId } : {}),
      is_enterprise_install: this.isEnterpriseInstall,
    };
  }

  private usersInfo(args: Args): SlackBody {
    const user = this.users.get(String(args.user ?? ""));
    if (!user) return fail("user_not_found");
    const at = new Date(this.now());
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: user.teamId,
        name: user.name,
        deleted: user.deleted,
        real_name: user.realName,
        tz: user.tz,
        tz_label: zoneLabel(user.tz, at),
        tz_offset: zoneOffsetSeconds(user.tz, at),
        is_admin: user.isAdmin,
        is_owner: user.isOwner,
        is_primary_owner: user.isPrimaryOwner,
        is_restricted: user.isRestricted,
        is_ultra_restricted: false,
        is_bot: user.isBot,
        is_app_user: false,
        ...(user.isStranger ? { is_stranger: true } : {}),
        ...(user.enterpriseId
          ? {
              enterprise_user: {
                id: user.id,
                enterprise_id: user.enterpriseId,
                enterprise_name: "Fake Grid",
                is_admin: false,
                is_owner: false,
                teams: [user.teamId],
              },
            }
          : {}),
        profile: { real_name: user.realName, display_name: user.name, team: user.teamId },
      },
    };
  }

  private conversationsOpen(args: Args): SlackBody {
    if (typeof args.channel === "string") {
      return this.channels.has(args.channel) ? { ok: true, channel: { id: args.channel } } : fail("channel_not_found");
    }
    const ids = String(args.users ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length === 0) return fail("users_list_not_supplied");
    if (ids.length > 8) return fail("too_many_users");
    for (const id of ids) {
      const user = this.users.get(id);
      if (!user) return fail("user_not_found");
      if (user.deleted) return fail("user_disabled");
    }
    const [only] = ids;
    if (ids.length === 1 && only) {
      const alreadyOpen = this.dmByUser.has(only);
      return { ok: true, ...(alreadyOpen ? { no_op: true, already_open: true } : {}), channel: { id: this.openDm(only) } };
    }
    const id = `G${this.nextId()}`;
    this.addChannel({ id, members: ids, botIsMember: true });
    return { ok: true, channel: { id } };
  }

  private postEphemeral(args: Args, call: RecordedCall): SlackBody {
    const missing = missingArgs(args, ["channel", "user"]);
    if (missing) return missing;
    const contentError = this.checkMessageContent(args, call);
    if (contentError) return contentError;
    const channel = this.postableChannel(String(args.channel));
    if (typeof channel === "string") return fail(channel);
    if (!channel.members.has(String(args.user))) return fail("user_not_in_channel");
    // Ephemeral messages are not stored by Slack, so the fake does not store them either.
    return { ok: true, message_ts: this.nextTs() };
  }

  private postMessage(args: Args, call: RecordedCall): SlackBody {
    const missing = missingArgs(args, ["channel"]);
    if (missing) return missing;
    const contentError = this.checkMessageContent(args, call);
    if (contentError) return contentError;
    let channelId = String(args.channel);
    // A user id as channel posts to the app's DM with that user (the Home tab's Messages).
    if (channelId.startsWith("U") && this.users.has(channelId)) channelId = this.openDm(channelId);
    const channel = this.postableChannel(channelId);
    if (typeof channel === "string") return fail(channel);
    const ts = this.nextTs();
    const message = this.storeMessage(channel.id, ts, args);
    return { ok: true, channel: channel.id, ts, message };
  }

  /** Slack's link to a message: any conversation the fake knows, as `https://<domain>.slack.com/archives/<channel>/p<ts digits>`. */
  private getPermalink(args: Args): SlackBody {
    const missing = missingArgs(args, ["channel", "message_ts"]);
    if (missing) return missing;
    const channel = String(args.channel);
    if (!this.channels.has(channel)) return fail("channel_not_found");
    return { ok: true, channel, permalink: `https://${this.teamDomain}.slack.com/archives/${channel}/p${String(args.message_ts).replace(".", "")}` };
  }

  /** Newest first; `metadata` only with include_all_metadata, as Slack does; `latest` (with `inclusive`) bounds it above. */
  private conversationsHistory(args: Args): SlackBody {
    const missing = missingArgs(args, ["channel"]);
    if (missing) return missing;
    const channel = this.postableChannel(String(args.channel));
    if (typeof channel === "string") return fail(channel);
    const withMetadata = String(args.include_all_metadata) === "true";
    const oldest = Number(args.oldest ?? 0);
    const limit = Math.min(Number(args.limit ?? 100), 999);
    // Compared exactly ("seconds.micros" as an integer): as doubles, two posts a microsecond apart can compare equal.
    const micros = (ts: unknown) => BigInt(String(ts).replace(".", ""));
    const latest = args.latest === undefined ? undefined : micros(args.latest);
    const inclusive = String(args.inclusive) === "true" || String(args.inclusive) === "1";
    const messages = [...this.messages.entries()]
      .filter(([key]) => key.startsWith(`${channel.id}/`))
      .map(([, m]) => m)
      .filter((m) => Number(m.ts) >= oldest && (latest === undefined || (inclusive ? micros(m.ts) <= latest : micros(m.ts) < latest)))
      .sort((a, b) => Number(b.ts) - Number(a.ts))
      .slice(0, limit)
      .map((m) => (withMetadata ? m : Object.fromEntries(Object.entries(m).filter(([k]) => k !== "metadata"))));
    return { ok: true, messages, has_more: false };
  }

  private chatUpdate(args: Args, call: RecordedCall): SlackBody {
    const missing = missingArgs(args, ["channel", "ts"]);
    if (missing) return missing;
    const contentError = this.checkMessageContent(args, call);
    if (contentError) return contentError;
    const channel = String(args.channel);
    const ts = String(args.ts);
    if (!this.messages.has(`${channel}/${ts}`)) return fail("message_not_found");
    const message = this.storeMessage(channel, ts, args);
    return { ok: true, channel, ts, text: message.text, message };
  }

  private viewsOpen(args: Args, call: RecordedCall, push: boolean): SlackBody {
    const missing = missingArgs(args, ["trigger_id", "view"]);
    if (missing) return missing;
    const viewError = this.checkView(args.view, "modal", call);
    if (viewError) return viewError;
    const trigger = this.exchangeTrigger(String(args.trigger_id));
    if (typeof trigger === "string") return fail(trigger);
    const view = args.view as JsonObject;
    const duplicate = this.duplicateExternalId(view);
    if (duplicate) return duplicate;
    // views.push stacks on the modal whose interaction issued the trigger. Slack's error for a trigger
    // from elsewhere is not documented; invalid_trigger_id is the fake's guess.
    const parentId = push ? trigger.viewId : undefined;
    const parent = parentId ? this.views.get(parentId) : undefined;
    if (push && parent?.type !== "modal") return fail("invalid_trigger_id");
    const rootId = parent ? String(parent.root_view_id) : undefined;
    const stack = rootId ? (this.viewStacks.get(rootId) ?? []) : [];
    if (stack.length >= MAX_VIEW_STACK) return fail("push_limit_reached");
    const stored = this.storeView(view, { rootId, previousId: parentId ?? null });
    stack.push(String(stored.id));
    this.viewStacks.set(String(stored.root_view_id), stack);
    return { ok: true, view: stored };
  }

  private viewsUpdate(args: Args, call: RecordedCall): SlackBody {
    const missing = missingArgs(args, ["view"]);
    if (missing) return missing;
    if (typeof args.view_id !== "string" && typeof args.external_id !== "string") {
      return invalidArguments(["[ERROR] either view_id or external_id is required"]);
    }
    const existing = this.findView(args);
    const viewError = this.checkView(args.view, existing ? viewSurface(existing) : viewSurface(args.view), call);
    if (viewError) return viewError;
    if (!existing) return fail("not_found");
    if (typeof args.hash === "string" && args.hash !== existing.hash) return fail("hash_conflict");
    const view = args.view as JsonObject;
    // external_id names the view across updates, so an update that omits it keeps it.
    const stored = this.storeView(
      { ...view, external_id: view.external_id ?? existing.external_id },
      {
        id: String(existing.id),
        rootId: String(existing.root_view_id),
        previousId: (existing.previous_view_id as string | null) ?? null,
      },
    );
    return { ok: true, view: stored };
  }

  private viewsPublish(args: Args, call: RecordedCall): SlackBody {
    const missing = missingArgs(args, ["user_id", "view"]);
    if (missing) return missing;
    const viewError = this.checkView(args.view, "home", call);
    if (viewError) return viewError;
    if (!this.homeTabEnabled) return fail("not_enabled");
    const userId = String(args.user_id);
    const current = this.homeViews.get(userId);
    if (typeof args.hash === "string" && current && args.hash !== current.hash) return fail("hash_conflict");
    const id = current ? String(current.id) : undefined;
    const stored = this.storeView(args.view as JsonObject, { id, rootId: id, previousId: null });
    this.homeViews.set(userId, stored);
    return { ok: true, view: stored };
  }

  // --- helpers -------------------------------------------------------------------------------

  private checkMessageContent(args: Args, call: RecordedCall): SlackBody | undefined {
    if (typeof args.text === "string" && args.text.length > MAX_TEXT) return fail("msg_too_long");
    const blocks = args.blocks;
    if (blocks !== undefined && !Array.isArray(blocks)) return fail("invalid_blocks_format");
    // An empty array means "no blocks" to Slack; the schema's minItems would wrongly refuse it.
    if (Array.isArray(blocks) && blocks.length > 0) {
      const issues = blockKitIssues("message", blocks);
      if (issues.length > 0) return this.refuse(call, issues, "invalid_blocks", "/blocks");
      if (this.maxBlocksTextChars !== undefined && textLengthOf(blocks) > this.maxBlocksTextChars) return fail("msg_blocks_too_long");
    }
    const hasContent = nonEmpty(args.text) || nonEmptyArray(blocks) || nonEmptyArray(args.attachments);
    return hasContent ? undefined : fail("no_text");
  }

  private checkView(view: unknown, surface: BlockKitSurface, call: RecordedCall): SlackBody | undefined {
    if (typeof view !== "object" || view === null) return invalidArguments(["[ERROR] failed to parse view [json-pointer:/view]"]);
    if (Buffer.byteLength(JSON.stringify(view)) > MAX_VIEW_BYTES) return fail("view_too_large");
    const issues = blockKitIssues(surface, view);
    return issues.length > 0 ? this.refuse(call, issues, "invalid_arguments", "/view") : undefined;
  }

  /** Slack's refusal of a payload: the error code plus one "[ERROR] … [json-pointer:…]" line per problem. */
  private refuse(call: RecordedCall, issues: BlockKitIssue[], error: string, root: string): SlackBody {
    call.violations = issues.map((i) => `${i.path || "/"}: ${i.message}`);
    return fail(error, {
      response_metadata: { messages: issues.map((i) => `[ERROR] ${i.message} [json-pointer:${root}${i.path}]`) },
    });
  }

  /** The channel a bot may post in, or the error Slack gives for it. */
  private postableChannel(id: string): ChannelState | string {
    const channel = this.channels.get(id);
    if (!channel) return "channel_not_found";
    if (channel.isArchived) return "is_archived";
    if (!channel.botIsMember) return "not_in_channel";
    return channel;
  }

  private exchangeTrigger(id: string): Trigger | string {
    const trigger = TRIGGER_FORMAT.test(id) ? this.triggers.get(id) : undefined;
    if (!trigger) return "invalid_trigger_id";
    if (trigger.used) return "exchanged_trigger_id";
    if (this.now() - trigger.issuedAt > this.triggerTtlMs) return "expired_trigger_id";
    trigger.used = true;
    return trigger;
  }

  private findView(args: Args): JsonObject | undefined {
    if (typeof args.view_id === "string") return this.views.get(args.view_id);
    return [...this.views.values()].find((v) => v.external_id && v.external_id === args.external_id);
  }

  private duplicateExternalId(view: JsonObject): SlackBody | undefined {
    const externalId = view.external_id;
    if (typeof externalId !== "string" || externalId === "") return undefined;
    return this.findView({ external_id: externalId }) ? fail("duplicate_external_id") : undefined;
  }

  /** Stores a view the way Slack echoes it back (ViewOutput): ids, hash, defaults, empty state. */
  private storeView(view: JsonObject, place: { id?: string; rootId?: string; previousId: string | null }): JsonObject {
    const id = place.id ?? `V${this.nextId()}`;
    const type = view.type === "home" ? "home" : "modal";
    const stored: JsonObject = {
      id,
      team_id: this.teamId,
      type,
      blocks: this.withGeneratedIds(view.blocks),
      private_metadata: view.private_metadata ?? "",
      callback_id: view.callback_id ?? "",
      state: { values: {} },
      hash: `${Math.floor(this.now() / 1000)}.${randomBytes(6).toString("base64url")}`,
      ...(type === "modal"
        ? {
            title: view.title,
            close: view.close ?? null,
            submit: view.submit ?? null,
            clear_on_close: view.clear_on_close ?? false,
            notify_on_close: view.notify_on_close ?? false,
          }
        : {}),
      previous_view_id: place.previousId,
      root_view_id: place.rootId ?? id,
      app_id: this.appId,
      external_id: view.external_id ?? "",
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
    };
    this.views.set(id, stored);
    return stored;
  }

  private storeMessage(channel: string, ts: string, args: Args): JsonObject {
    const message: JsonObject = {
      type: "message",
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      team: this.teamId,
      ts,
      text: typeof args.text === "string" ? args.text : "",
      ...(Array.isArray(args.blocks) && args.blocks.length > 0 ? { blocks: this.withGeneratedIds(args.blocks) } : {}),
      ...(Array.isArray(args.attachments) ? { attachments: args.attachments } : {}),
      ...(args.metadata !== undefined ? { metadata: typeof args.metadata === "string" ? JSON.parse(args.metadata) : args.metadata } : {}),
    };
    this.messages.set(`${channel}/${ts}`, message);
    return message;
  }

  /** Slack assigns a block_id/action_id where the app gave none; state.values is keyed by them. */
  private withGeneratedIds(blocks: unknown): unknown[] {
    const copy = structuredClone(Array.isArray(blocks) ? blocks : []) as JsonObject[];
    for (const block of copy) {
      block.block_id ??= `b${this.nextId()}`;
      const elements = [block.accessory, block.element, ...(block.type === "actions" ? asArray(block.elements) : [])];
      for (const element of elements) {
        if (isRecord(element) && element.type !== "image") element.action_id ??= `a${this.nextId()}`;
      }
    }
    return copy;
  }

  private openDm(userId: string): string {
    const existing = this.dmByUser.get(userId);
    if (existing) return existing;
    const id = `D${this.nextId()}`;
    this.dmByUser.set(userId, id);
    this.addChannel({ id, name: userId, members: [userId], botIsMember: true });
    return id;
  }

  private nextId(): string {
    return String(++this.counter).padStart(8, "0");
  }

  /** Message timestamps: Slack's "seconds.micros" strings, strictly increasing even within one ms. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(this.lastTsMicros + 1, this.now() * 1000);
    const seconds = Math.floor(this.lastTsMicros / 1e6);
    return `${seconds}.${String(this.lastTsMicros % 1e6).padStart(6, "0")}`;
  }
}

// ---------------------------------------------------------------------------------------------

/** One call in a wait's failure message: method, outcome and the ids that tell calls apart. */
function describeCall(call: RecordedCall): string {
  const ids = ["user", "user_id", "channel", "view_id", "ts", "thread_ts"].filter((name) => typeof call.args[name] === "string");
  const outcome = call.response.ok ? "ok" : (call.response.error ?? String(call.status));
  return [call.method, outcome, ...ids.map((name) => `${name}=${String(call.args[name])}`)].join(" ");
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function ok200(body: SlackBody): Answer {
  return { status: 200, body };
}

function fail(error: string, extra: JsonObject = {}): SlackBody {
  return { ok: false, error, ...extra };
}

function invalidArguments(messages: string[]): SlackBody {
  return fail("invalid_arguments", { response_metadata: { messages } });
}

function missingArgs(args: Args, names: string[]): SlackBody | undefined {
  const missing = names.filter((n) => args[n] === undefined || args[n] === "");
  return missing.length > 0 ? invalidArguments(missing.map((n) => `[ERROR] missing required field: ${n}`)) : undefined;
}

/** The answer a scripted failure produces, or undefined when it only delays. */
function injectedAnswer(failure: FailureSpec): Answer | undefined {
  const status = failure.status ?? (failure.retryAfter !== undefined ? 429 : 200);
  if (status === 200 && failure.error === undefined) return undefined;
  const error = failure.error ?? (status === 429 ? "ratelimited" : "fatal_error");
  const headers: Record<string, string> = failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {};
  return { status, body: fail(error), headers };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseArgs(contentType: string, raw: string, query: URLSearchParams): Args {
  const args: Args = Object.fromEntries(query);
  if (contentType.startsWith("application/json")) {
    Object.assign(args, tryJson(raw || "{}"));
  } else {
    for (const [key, value] of new URLSearchParams(raw)) args[key] = value;
  }
  for (const key of JSON_FIELDS) {
    if (typeof args[key] === "string") args[key] = tryJson(args[key]);
  }
  return args;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // left as a string, so the method answers invalid_blocks_format / invalid_arguments
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value.trim() !== "";
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function randomDigits(count: number): string {
  return Array.from(randomBytes(count), (b) => String(b % 10)).join("");
}

/** users.info's tz_offset: seconds east of UTC at the given instant (so it follows DST). */
function zoneOffsetSeconds(timeZone: string, at: Date): number {
  const name = zonePart(timeZone, at, "longOffset"); // "GMT-07:00", or "GMT" at UTC
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === "-" ? -seconds : seconds;
}

function zoneLabel(timeZone: string, at: Date): string {
  return zonePart(timeZone, at, "long");
}

function zonePart(timeZone: string, at: Date, timeZoneName: "long" | "longOffset"): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName }).formatToParts(at);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "";
}

/** Every `text` string in a message's blocks, summed: what the fake's msg_blocks_too_long is measured on. */
function textLengthOf(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + textLengthOf(item), 0);
  if (!node || typeof node !== "object") return 0;
  return Object.entries(node).reduce((sum, [key, value]) => sum + (key === "text" && typeof value === "string" ? value.length : textLengthOf(value)), 0);
}
