// Plays Slack's side of the HTTP conversation with a running app: signed slash commands,
// interactivity payloads and Events API callbacks posted to the app's Bolt endpoint, shaped as in
// SLACK-NOTES §1–§3, plus a loopback `response_url` that records what the app answers there. With
// a fake Socket Mode (fake-socket-mode.ts) the same payloads go as envelopes over its WebSocket.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { blockKitViolations } from "./block-kit-validator.ts";
import type { FakeSlack } from "./fake-slack.ts";
import type { EnvelopeType, FakeSocketMode } from "./fake-socket-mode.ts";
import { Recorder, type Mark, type WaitOptions } from "./waits.ts";

export const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
export const JSON_CONTENT_TYPE = "application/json";

export interface SlackDriverOptions {
  /** The app's Bolt endpoint, e.g. http://127.0.0.1:PORT/slack/events */
  appUrl: string;
  signingSecret: string;
  /** Defaults to the fake's team. */
  teamId?: string;
  teamDomain?: string;
  /** Defaults to the fake's app id. */
  apiAppId?: string;
  /** Enterprise Grid: the org the team belongs to (payloads' enterprise / enterprise_id). */
  enterpriseId?: string;
  /** An org-wide install: payloads say is_enterprise_install true. */
  isEnterpriseInstall?: boolean;
  /** The bot user in events' authorizations (default the fake's). */
  botUserId?: string;
  /** When given, trigger ids come from it (so views.open accepts them) and messages are looked up in it. */
  fakeSlack?: FakeSlack;
  /**
   * When given, commands, interactions and events go to the app as Socket Mode envelopes on this
   * fake's connection, and a request's answer is its ack (status 200, the ack's payload as body);
   * send() still posts raw HTTP to `appUrl`.
   */
  socketMode?: FakeSocketMode;
}

export interface DriverResponse {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
  headers: Record<string, string>;
  elapsedMs: number;
  /** What was sent: the command's fields, the interactivity payload or the event envelope. */
  sent: Record<string, unknown>;
}

export interface SendOptions {
  contentType: string;
  /** Unix seconds for X-Slack-Request-Timestamp (default now); null leaves the header out. */
  timestamp?: number | null;
  /** A literal X-Slack-Signature (default: computed); null leaves the header out. */
  signature?: string | null;
  /** Sign with this secret instead of the app's. */
  secret?: string;
  headers?: Record<string, string>;
}

export interface CollectedResponse {
  /** The response_url that was called. */
  url: string;
  status: number;
  body: unknown;
  /** Block Kit problems in the body's blocks (the message was refused with 400 when any). */
  violations: string[];
  receivedAt: number;
}

export interface CommandInput {
  userId: string;
  text?: string;
  channelId?: string;
  command?: string;
}

/** {blockId: {actionId: answer}}; answers as in {@link stateValues}. */
export type Answers = Record<string, Record<string, unknown>>;
export type StateValues = Record<string, Record<string, Record<string, unknown>>>;
type JsonObject = Record<string, unknown>;

export interface BlockActionInput {
  userId: string;
  actionId: string;
  blockId: string;
  /** A button's value, or the selection for other elements (see {@link stateValues}). */
  value?: unknown;
  /** The modal or Home view the element is in. */
  view?: JsonObject;
  /** state.values for `view`; defaults to its initial values. */
  values?: StateValues;
  channelId?: string;
  messageTs?: string;
  /** The message the element is in, when the fake does not hold it (ephemeral messages). */
  message?: JsonObject;
  /** Default: true for a message the fake does not hold (Slack does not keep ephemeral ones). */
  ephemeral?: boolean;
  container?: JsonObject;
}

export interface ViewSubmissionInput {
  userId: string;
  /** The view as the app opened it (or as views.open returned it). */
  view: JsonObject;
  values?: StateValues;
  /** Shorthand for `values: stateValues(view, answers)`. */
  answers?: Answers;
}

export interface ViewClosedInput {
  userId: string;
  view: JsonObject;
  values?: StateValues;
  isCleared?: boolean;
}

export interface EventOptions {
  retryNum?: number;
  retryReason?: string;
  /** The envelope's event_time, in seconds (default: now); a replayed old event keeps its own. */
  eventTime?: number;
}

/** Which response_url posts: those to a request's own response_url (the request's ack, or the URL), or those a predicate accepts. */
export type ResponseTarget = DriverResponse | string | ((response: CollectedResponse) => boolean);

export interface SlackDriver {
  /** What the app POSTed to response_urls, in arrival order. */
  readonly responses: readonly CollectedResponse[];
  /** The body of every HTTP answer the app gave the driver (acks: view answers, ack texts), in order. */
  readonly acks: readonly string[];
  /**
   * Resolves once `count` posts reached any response_url. Counts every request's: tests that share
   * one app wait with {@link waitForResponse} instead, for the response_url of their own request.
   */
  waitForResponses(count?: number, timeoutMs?: number): Promise<CollectedResponse[]>;
  /** A place in `responses`: what is posted from now on is "since" it. */
  mark(): Mark;
  /** The posts `target` names (since the mark, when given), in arrival order. */
  responsesTo(target: ResponseTarget, since?: Mark): CollectedResponse[];
  /** The first post `target` names, as soon as it arrived (at once when it already has); fails at the deadline listing what came. */
  waitForResponse(target: ResponseTarget, options?: WaitOptions): Promise<CollectedResponse>;
  /** The posts `target` names, as soon as there are at least `count`. */
  waitForResponsesTo(target: ResponseTarget, count: number, options?: WaitOptions): Promise<CollectedResponse[]>;
  /** The next POST to a response_url is answered with this status (Slack refusing it). */
  failNextResponse(status?: number): void;
  /** A fresh response_url on the collector (commands and message actions get one each). */
  responseUrl(): string;
  command(input: CommandInput): Promise<DriverResponse>;
  blockAction(input: BlockActionInput): Promise<DriverResponse>;
  viewSubmission(input: ViewSubmissionInput): Promise<DriverResponse>;
  viewClosed(input: ViewClosedInput): Promise<DriverResponse>;
  event(event: { type: string } & JsonObject, options?: EventOptions): Promise<DriverResponse>;
  send(body: string | JsonObject, options: SendOptions): Promise<DriverResponse>;
  /** The same driver (response_url collector included) sending as another team, org or installation. */
  asTeam(team: { teamId: string; teamDomain?: string; enterpriseId?: string; isEnterpriseInstall?: boolean; botUserId?: string }): SlackDriver;
  close(): Promise<void>;
}

/** Slack's request signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")). */
export function signSlackRequest(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export async function createSlackDriver(options: SlackDriverOptions): Promise<SlackDriver> {
  const collector = new ResponseCollector();
  await collector.listen();
  return new Driver(options, collector);
}

// ---------------------------------------------------------------------------------------------
// state.values

interface StateField {
  /** The state.values field Slack fills for this element type. */
  field: string;
  /** The element property holding its initial value. */
  initial: string;
  kind: "scalar" | "list" | "option" | "options";
}

// SLACK-NOTES §3 (bolt-js ViewStateValue)
const STATE_FIELDS: Record<string, StateField> = {
  plain_text_input: { field: "value", initial: "initial_value", kind: "scalar" },
  email_text_input: { field: "value", initial: "initial_value", kind: "scalar" },
  url_text_input: { field: "value", initial: "initial_value", kind: "scalar" },
  number_input: { field: "value", initial: "initial_value", kind: "scalar" },
  datepicker: { field: "selected_date", initial: "initial_date", kind: "scalar" },
  timepicker: { field: "selected_time", initial: "initial_time", kind: "scalar" },
  datetimepicker: { field: "selected_date_time", initial: "initial_date_time", kind: "scalar" },
  users_select: { field: "selected_user", initial: "initial_user", kind: "scalar" },
  conversations_select: { field: "selected_conversation", initial: "initial_conversation", kind: "scalar" },
  channels_select: { field: "selected_channel", initial: "initial_channel", kind: "scalar" },
  multi_users_select: { field: "selected_users", initial: "initial_users", kind: "list" },
  multi_conversations_select: { field: "selected_conversations", initial: "initial_conversations", kind: "list" },
  multi_channels_select: { field: "selected_channels", initial: "initial_channels", kind: "list" },
  static_select: { field: "selected_option", initial: "initial_option", kind: "option" },
  external_select: { field: "selected_option", initial: "initial_option", kind: "option" },
  radio_buttons: { field: "selected_option", initial: "initial_option", kind: "option" },
  multi_static_select: { field: "selected_options", initial: "initial_options", kind: "options" },
  multi_external_select: { field: "selected_options", initial: "initial_options", kind: "options" },
  checkboxes: { field: "selected_options", initial: "initial_options", kind: "options" },
};

/**
 * The `state.values` Slack would send for `view` after the user gave `answers`.
 * Answers per element: a string for text inputs (numbers are stringified for number_input), dates
 * (YYYY-MM-DD), times and user/conversation/channel ids; the option *value* for single selects and
 * radio buttons; an array of values for checkboxes and multi-selects; null to clear a field.
 * Input blocks always appear (unanswered ones with their initial value or null); elements in other
 * blocks only when answered or preset. Unknown block/action ids and option values throw, since
 * Slack could never send them.
 */
export function stateValues(view: JsonObject, answers: Answers = {}): StateValues {
  const values: StateValues = {};
  const used = new Set<string>();
  for (const { blockId, element, inInput } of statefulElements(view.blocks)) {
    const actionId = String(element.action_id);
    const blockAnswers = answers[blockId] ?? {};
    const answered = Object.hasOwn(blockAnswers, actionId);
    const spec = STATE_FIELDS[String(element.type)];
    if (!spec || (!answered && !inInput && element[spec.initial] === undefined)) continue;
    if (answered) used.add(`${blockId}/${actionId}`);
    values[blockId] ??= {};
    values[blockId][actionId] = elementState(element, answered ? blockAnswers[actionId] : undefined);
  }
  for (const [blockId, actions] of Object.entries(answers)) {
    for (const actionId of Object.keys(actions)) {
      if (!used.has(`${blockId}/${actionId}`)) throw new Error(`stateValues: the view has no input ${blockId}/${actionId}`);
    }
  }
  return values;
}

/** One element's state.values entry; `answer` undefined means "left as the view preset it". */
function elementState(element: JsonObject, answer: unknown): JsonObject {
  const type = String(element.type);
  const spec = STATE_FIELDS[type];
  if (!spec) throw new Error(`stateValues: ${type} elements carry no state`);
  const preset = element[spec.initial];
  const value = answer === undefined ? preset : answer;
  switch (spec.kind) {
    case "scalar": {
      const scalar = value ?? null;
      // number_input values travel as strings (SLACK-NOTES §3)
      return { type, [spec.field]: type === "number_input" && scalar !== null ? String(scalar) : scalar };
    }
    case "list":
      return { type, [spec.field]: value ?? [] };
    case "option":
      return { type, [spec.field]: answer === undefined || answer === null ? (value ?? null) : findOption(element, answer) };
    case "options":
      return { type, [spec.field]: answer === undefined || answer === null ? (value ?? []) : asArray(answer).map((v) => findOption(element, v)) };
  }
}

function findOption(element: JsonObject, value: unknown): JsonObject {
  const options = [...asArray(element.options), ...asArray(element.option_groups).flatMap((g) => asArray(isRecord(g) ? g.options : []))];
  if (options.length === 0) {
    // external selects have no options in the view; Slack echoes the one the options endpoint gave.
    return { text: { type: "plain_text", text: String(value), emoji: true }, value: String(value) };
  }
  const option = options.find((o) => isRecord(o) && o.value === value);
  if (!isRecord(option)) throw new Error(`stateValues: ${String(element.action_id)} has no option with value ${JSON.stringify(value)}`);
  const copy = structuredClone(option);
  if (isRecord(copy.text) && copy.text.type === "plain_text") copy.text.emoji ??= true;
  return copy;
}

interface LocatedElement {
  blockId: string;
  element: JsonObject;
  inInput: boolean;
}

function statefulElements(blocks: unknown): LocatedElement[] {
  const found: LocatedElement[] = [];
  for (const block of asArray(blocks)) {
    if (!isRecord(block) || typeof block.block_id !== "string") continue;
    const elements = [block.accessory, block.element, ...(block.type === "actions" ? asArray(block.elements) : [])];
    for (const element of elements) {
      if (isRecord(element) && typeof element.action_id === "string") {
        found.push({ blockId: block.block_id, element, inInput: block.type === "input" });
      }
    }
  }
  return found;
}

function findElement(blocks: unknown, blockId: string, actionId: string): JsonObject | undefined {
  for (const block of asArray(blocks)) {
    if (!isRecord(block) || block.block_id !== blockId) continue;
    const elements = [block.accessory, block.element, ...asArray(block.elements)];
    const match = elements.find((e) => isRecord(e) && e.action_id === actionId);
    if (isRecord(match)) return match;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// response_url collector

// Slack allows 5 responses per response_url (SLACK-NOTES §2); its exact refusal is unverified.
const MAX_RESPONSES_PER_URL = 5;

class ResponseCollector {
  readonly recorded = new Recorder<CollectedResponse>("slack driver", (r) => `${r.status} to ${r.url}: ${JSON.stringify(r.body).slice(0, 120)}`);
  private readonly server = createServer((req, res) => void this.serve(req, res));
  private readonly failures: number[] = [];
  private base = "";
  private counter = 0;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A fresh response_url, shaped like Slack's hooks.slack.com/commands/T…/… ones. */
  newUrl(teamId: string): string {
    return `${this.base}/commands/${teamId}/${++this.counter}/${randomBytes(12).toString("hex")}`;
  }

  failNext(status: number): void {
    this.failures.push(status);
  }

  get responses(): readonly CollectedResponse[] {
    return this.recorded.items;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = `${this.base}${req.url ?? "/"}`;
    const raw = await readBody(req);
    const body = parseJson(raw) ?? raw;
    const blocks = isRecord(body) ? body.blocks : undefined;
    const violations = Array.isArray(blocks) && blocks.length > 0 ? blockKitViolations("message", blocks) : [];
    const earlier = this.responses.filter((r) => r.url === url).length;
    const status = this.failures.shift() ?? (earlier >= MAX_RESPONSES_PER_URL ? 404 : violations.length > 0 ? 400 : 200);
    this.recorded.record({ url, status, body, violations, receivedAt: Date.now() });
    const text = status === 200 ? "ok" : status === 404 ? "used_url" : violations.length > 0 ? "invalid_blocks" : "error";
    res.writeHead(status, { "content-type": "text/plain" }).end(text);
  }
}

// ---------------------------------------------------------------------------------------------

class Driver implements SlackDriver {
  private readonly teamId: string;
  private readonly teamDomain: string;
  private readonly apiAppId: string;
  private readonly enterpriseId: string | undefined;
  private readonly isEnterpriseInstall: boolean;
  private readonly verificationToken = "fake-verification-token";
  constructor(
    private readonly options: SlackDriverOptions,
    private readonly collector: ResponseCollector,
    /** Shared with the drivers asTeam makes, so the harness's wire checks see their acks too. */
    readonly acks: string[] = [],
  ) {
    this.teamId = options.teamId ?? options.fakeSlack?.teamId ?? "T00000001";
    this.teamDomain = options.teamDomain ?? options.fakeSlack?.teamDomain ?? "keyward-test";
    this.apiAppId = options.apiAppId ?? options.fakeSlack?.appId ?? "A00000001";
    this.enterpriseId = options.enterpriseId;
    this.isEnterpriseInstall = options.isEnterpriseInstall ?? false;
  }

  asTeam(team: { teamId: string; teamDomain?: string; enterpriseId?: string; isEnterpriseInstall?: boolean; botUserId?: string }): SlackDriver {
    const { teamDomain, ...rest } = team;
    return new Driver({ ...this.options, teamDomain: teamDomain ?? team.teamId.toLowerCase(), ...rest }, this.collector, this.acks);
  }

  /** What payloads say of the org: nothing but nulls off Grid. */
  private enterprise(): JsonObject {
    return { enterprise: this.enterpriseId ? { id: this.enterpriseId, name: "Fake Grid" } : null, is_enterprise_install: this.isEnterpriseInstall };
  }

  get responses(): readonly CollectedResponse[] {
    return this.collector.responses;
  }

  waitForResponses(count = 1, timeoutMs = 10_000): Promise<CollectedResponse[]> {
    const probe = () => (this.responses.length >= count ? [...this.responses] : undefined);
    return this.collector.recorded.until(`${count} response_url post(s) in all`, probe, { timeoutMs });
  }

  mark(): Mark {
    return this.collector.recorded.mark();
  }

  responsesTo(target: ResponseTarget, since: Mark = 0): CollectedResponse[] {
    return this.collector.recorded.since(since).filter(responseMatcher(target));
  }

  waitForResponse(target: ResponseTarget, options: WaitOptions = {}): Promise<CollectedResponse> {
    return this.collector.recorded.first(responseWanted(target), responseMatcher(target), options);
  }

  waitForResponsesTo(target: ResponseTarget, count: number, options: WaitOptions = {}): Promise<CollectedResponse[]> {
    return this.collector.recorded.count(responseWanted(target), responseMatcher(target), count, options);
  }

  failNextResponse(status = 500): void {
    this.collector.failNext(status);
  }

  responseUrl(): string {
    return this.collector.newUrl(this.teamId);
  }

  close(): Promise<void> {
    return this.collector.close();
  }

  command(input: CommandInput): Promise<DriverResponse> {
    const channelId = input.channelId ?? "C00000001";
    const fields: JsonObject = {
      token: this.verificationToken,
      team_id: this.teamId,
      team_domain: this.teamDomain,
      channel_id: channelId,
      channel_name: channelId.startsWith("D") ? "directmessage" : channelId.toLowerCase(),
      user_id: input.userId,
      user_name: input.userId.toLowerCase(),
      command: input.command ?? "/keys",
      text: input.text ?? "",
      api_app_id: this.apiAppId,
      is_enterprise_install: String(this.isEnterpriseInstall), // a string in real payloads
      ...(this.enterpriseId ? { enterprise_id: this.enterpriseId, enterprise_name: "Fake Grid" } : {}),
      response_url: this.responseUrl(),
      trigger_id: this.trigger(),
    };
    return this.post("slash_commands", fields, FORM_CONTENT_TYPE, fields);
  }

  blockAction(input: BlockActionInput): Promise<DriverResponse> {
    const stored = this.storedMessage(input.channelId, input.messageTs);
    const ephemeral = input.ephemeral ?? (input.messageTs !== undefined && stored === undefined);
    const message = input.message ?? stored;
    const element = findElement(input.view?.blocks ?? message?.blocks, input.blockId, input.actionId) ?? { type: "button" };
    const values = input.values ?? (input.view ? stateValues(input.view) : {});
    const view = input.view ? this.viewOutput(input.view, values) : undefined;
    const viewId = view ? String(view.id) : undefined;
    const payload: JsonObject = {
      type: "block_actions",
      user: this.user(input.userId),
      api_app_id: this.apiAppId,
      token: this.verificationToken,
      container: input.container ?? this.container(input, viewId, ephemeral),
      trigger_id: this.trigger(viewId),
      team: this.team(),
      ...this.enterprise(),
      ...(view ? { view } : {}),
      ...(input.channelId ? { channel: { id: input.channelId, name: input.channelId.toLowerCase() } } : {}),
      // Ephemeral messages come back only as their container, without `message` (as users report; unverified).
      ...(message && !ephemeral ? { message } : {}),
      // Message interactions get a response_url; view interactions do not.
      ...(input.messageTs ? { response_url: this.responseUrl() } : {}),
      state: { values },
      actions: [this.action(element, input)],
    };
    return this.postInteraction(payload);
  }

  viewSubmission(input: ViewSubmissionInput): Promise<DriverResponse> {
    const values = input.values ?? stateValues(input.view, input.answers);
    return this.postInteraction({
      type: "view_submission",
      team: this.team(),
      user: this.user(input.userId),
      api_app_id: this.apiAppId,
      token: this.verificationToken,
      trigger_id: this.trigger(typeof input.view.id === "string" ? input.view.id : undefined),
      view: this.viewOutput(input.view, values),
      response_urls: [],
      ...this.enterprise(),
    });
  }

  viewClosed(input: ViewClosedInput): Promise<DriverResponse> {
    return this.postInteraction({
      type: "view_closed",
      team: this.team(),
      user: this.user(input.userId),
      api_app_id: this.apiAppId,
      token: this.verificationToken,
      view: this.viewOutput(input.view, input.values ?? stateValues(input.view)),
      is_cleared: input.isCleared ?? false,
      ...this.enterprise(),
    });
  }

  event(event: { type: string } & JsonObject, options: EventOptions = {}): Promise<DriverResponse> {
    const nowSec = options.eventTime ?? Math.floor(Date.now() / 1000);
    const user = typeof event.user === "string" ? event.user : undefined;
    const homeView = event.type === "app_home_opened" && user ? this.options.fakeSlack?.getHomeView(user) : undefined;
    const envelope: JsonObject = {
      token: this.verificationToken,
      team_id: this.teamId,
      ...(this.enterpriseId ? { enterprise_id: this.enterpriseId } : {}),
      api_app_id: this.apiAppId,
      event: { ...(homeView ? { view: homeView } : {}), event_ts: `${nowSec}.000100`, ...event },
      type: "event_callback",
      event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
      event_time: nowSec,
      authorizations: [
        {
          enterprise_id: this.enterpriseId ?? null,
          // An org-wide install's authorisation names the org, not a team.
          team_id: this.isEnterpriseInstall ? null : this.teamId,
          user_id: this.options.botUserId ?? this.options.fakeSlack?.botUserId ?? "U0BOT0001",
          is_bot: true,
          is_enterprise_install: this.isEnterpriseInstall,
        },
      ],
      is_ext_shared_channel: false,
    };
    const headers: Record<string, string> = {};
    if (options.retryNum !== undefined) headers["x-slack-retry-num"] = String(options.retryNum);
    if (options.retryReason !== undefined) headers["x-slack-retry-reason"] = options.retryReason;
    return this.post("events_api", envelope, JSON_CONTENT_TYPE, envelope, headers, options);
  }

  send(body: string | JsonObject, options: SendOptions): Promise<DriverResponse> {
    return this.deliver(typeof body === "string" ? body : encodeBody(body, options.contentType), options, isRecord(body) ? body : {});
  }

  // --- plumbing ------------------------------------------------------------------------------

  private postInteraction(payload: JsonObject): Promise<DriverResponse> {
    return this.post("interactive", { payload }, FORM_CONTENT_TYPE, payload);
  }

  /** Over HTTP: `body` encoded and signed. Over Socket Mode: `sent` is the envelope's payload, as Slack sends it there. */
  private post(
    type: EnvelopeType,
    body: JsonObject,
    contentType: string,
    sent: JsonObject,
    headers: Record<string, string> = {},
    retry: EventOptions = {},
  ): Promise<DriverResponse> {
    if (this.options.socketMode) return this.overSocket(this.options.socketMode, type, sent, retry);
    return this.deliver(encodeBody(body, contentType), { contentType, headers }, sent);
  }

  /** The ack is the answer: an empty payload (a bare ack()) reads as HTTP's empty 200 body. */
  private async overSocket(socket: FakeSocketMode, type: EnvelopeType, sent: JsonObject, retry: EventOptions): Promise<DriverResponse> {
    const started = performance.now();
    const ack = await socket.deliver(type, sent, { retryAttempt: retry.retryNum, retryReason: retry.retryReason });
    const elapsedMs = performance.now() - started;
    const answered = ack.payload !== undefined && Object.keys(ack.payload).length > 0;
    const body = answered ? JSON.stringify(ack.payload) : "";
    this.acks.push(body);
    return { status: 200, body, ...(answered ? { json: ack.payload } : {}), headers: {}, elapsedMs, sent };
  }

  private async deliver(raw: string, options: SendOptions, sent: JsonObject): Promise<DriverResponse> {
    const timestamp = options.timestamp === undefined ? Math.floor(Date.now() / 1000) : options.timestamp;
    const headers: Record<string, string> = { "content-type": options.contentType, ...options.headers };
    if (timestamp !== null) headers["x-slack-request-timestamp"] = String(timestamp);
    const signature =
      options.signature === undefined && timestamp !== null
        ? signSlackRequest(options.secret ?? this.options.signingSecret, timestamp, raw)
        : options.signature;
    if (signature) headers["x-slack-signature"] = signature;
    const started = performance.now();
    const response = await fetch(this.options.appUrl, { method: "POST", headers, body: raw });
    const body = await response.text();
    const elapsedMs = performance.now() - started;
    this.acks.push(body);
    const json = parseJson(body);
    return {
      status: response.status,
      body,
      ...(json === undefined ? {} : { json }),
      headers: Object.fromEntries(response.headers),
      elapsedMs,
      sent,
    };
  }

  private trigger(viewId?: string): string {
    const fake = this.options.fakeSlack;
    if (fake) return fake.issueTrigger({ viewId });
    return `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString("hex")}`;
  }

  private storedMessage(channelId?: string, ts?: string): JsonObject | undefined {
    return channelId && ts ? this.options.fakeSlack?.getMessage(channelId, ts) : undefined;
  }

  private team(): JsonObject {
    return { id: this.teamId, domain: this.teamDomain };
  }

  private user(userId: string): JsonObject {
    const name = userId.toLowerCase();
    return { id: userId, username: name, name, team_id: this.teamId };
  }

  private container(input: BlockActionInput, viewId: string | undefined, ephemeral: boolean): JsonObject {
    if (viewId) return { type: "view", view_id: viewId };
    return { type: "message", message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: ephemeral };
  }

  private action(element: JsonObject, input: BlockActionInput): JsonObject {
    const base = { block_id: input.blockId, action_id: input.actionId, action_ts: `${(Date.now() / 1000).toFixed(6)}` };
    if (element.type === "button") {
      return {
        type: "button",
        text: element.text ?? { type: "plain_text", text: "Button", emoji: true },
        value: input.value ?? element.value,
        ...(element.style ? { style: element.style } : {}),
        ...base,
      };
    }
    if (element.type === "overflow") return { type: "overflow", selected_option: findOption(element, input.value), ...base };
    return { ...elementState(element, input.value), ...base };
  }

  /** The view as Slack sends it back in payloads (ViewOutput), filling what the app's view lacks. */
  private viewOutput(view: JsonObject, values: StateValues): JsonObject {
    const id = typeof view.id === "string" ? view.id : `V${randomBytes(5).toString("hex").toUpperCase()}`;
    return {
      team_id: this.teamId,
      private_metadata: "",
      callback_id: "",
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString("hex")}`,
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: this.apiAppId,
      external_id: "",
      app_installed_team_id: this.teamId,
      bot_id: this.options.fakeSlack?.botId ?? "B00000001",
      ...view,
      id,
      state: { values },
    };
  }
}

// ---------------------------------------------------------------------------------------------

function responseMatcher(target: ResponseTarget): (response: CollectedResponse) => boolean {
  if (typeof target === "function") return target;
  const url = typeof target === "string" ? target : target.sent.response_url;
  if (typeof url !== "string") throw new Error("slack driver: that request had no response_url (view submissions and Home tab actions have none)");
  return (response) => response.url === url;
}

function responseWanted(target: ResponseTarget): string {
  return typeof target === "function" ? "matching response_url post" : `post to ${typeof target === "string" ? target : String(target.sent.response_url)}`;
}

function encodeBody(body: JsonObject, contentType: string): string {
  if (contentType !== FORM_CONTENT_TYPE) return JSON.stringify(body);
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) form.set(key, typeof value === "string" ? value : JSON.stringify(value));
  return form.toString();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
