// The fake Slack and the Block Kit validator, exercised through the real @slack/web-api client so
// the app's tests can trust the errors and shapes it gets back.
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  LogLevel,
  WebClient,
  type Logger,
  type WebClientOptions,
} from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertValidBlockKit, blockKitViolations, BlockKitValidationError } from "./block-kit-validator.ts";
import { startFakeSlack, type FakeSlack } from "./fake-slack.ts";

const TOKEN = "xoxb-test-token";

let fake: FakeSlack;
let clock: number;

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 15, 12, 0, 0);
  fake = await startFakeSlack({ token: TOKEN, now: () => clock });
  fake.addUser({ id: "U1", tz: "America/New_York", isAdmin: true, name: "alice" });
  fake.addUser({ id: "U2" });
  fake.addChannel({ id: "C1", members: ["U1"], botIsMember: true });
  fake.addChannel({ id: "C2", members: ["U1"], botIsMember: false });
});

afterEach(async () => {
  await fake.close();
});

// WebClient logs response_metadata messages and failed requests itself; the tests assert on them instead.
const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

function client(options: WebClientOptions = {}, token: string | null = TOKEN): WebClient {
  const defaults: WebClientOptions = { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: quiet };
  return new WebClient(token ?? undefined, { ...defaults, ...options });
}

/** The platform error code a call fails with, or 'ok'. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    if (error instanceof WebAPIPlatformError) return error.data.error;
    throw error;
  }
}

const modal = (extra: Record<string, unknown> = {}) => ({
  type: "modal" as const,
  callback_id: "create_key",
  title: { type: "plain_text" as const, text: "Create a key" },
  submit: { type: "plain_text" as const, text: "Create" },
  blocks: [
    {
      type: "input",
      block_id: "name",
      label: { type: "plain_text", text: "Name" },
      element: { type: "plain_text_input", action_id: "name" },
    },
  ],
  ...extra,
});

describe("auth", () => {
  it("answers auth.test like Slack for the expected bot token", async () => {
    const result = await client().auth.test();
    expect(result).toMatchObject({ ok: true, user_id: fake.botUserId, bot_id: fake.botId, team_id: fake.teamId });
    expect(result.url).toMatch(/^https:\/\/.+\.slack\.com\/$/);
  });

  it("refuses a wrong token with invalid_auth and a missing one with not_authed", async () => {
    expect(await outcome(client({}, "xoxb-wrong").auth.test())).toBe("invalid_auth");
    expect(await outcome(client({}, null).auth.test())).toBe("not_authed");
  });

  it("accepts the token in the body and tolerates the team_id WebClient adds", async () => {
    await client({ teamId: "T00000001" }, null).chat.postMessage({ token: TOKEN, channel: "C1", text: "hi" });
    const [call] = fake.callsTo("chat.postMessage");
    expect(call?.token).toBe(TOKEN);
    expect(call?.args).toMatchObject({ team_id: "T00000001", channel: "C1", text: "hi" });
    expect(call?.args).not.toHaveProperty("token");
  });

  it("answers unknown_method for methods it does not implement", async () => {
    expect(await outcome(client().apiCall("usergroups.users.list", { usergroup: "S1" }))).toBe("unknown_method");
  });
});

describe("users and conversations", () => {
  it("returns registered users with tz, tz_label and a DST-aware tz_offset", async () => {
    const { user } = await client().users.info({ user: "U1" });
    expect(user).toMatchObject({ id: "U1", tz: "America/New_York", tz_label: "Eastern Standard Time", tz_offset: -18000 });
    expect(user).toMatchObject({ is_admin: true, is_owner: false, deleted: false, name: "alice" });
    clock = Date.UTC(2026, 6, 15);
    expect((await client().users.info({ user: "U1" })).user?.tz_offset).toBe(-14400);
    expect(await outcome(client().users.info({ user: "U404" }))).toBe("user_not_found");
  });

  it("opens one stable DM per user", async () => {
    const first = await client().conversations.open({ users: "U2" });
    const again = await client().conversations.open({ users: "U2" });
    expect(first.channel?.id).toMatch(/^D/);
    expect(again.channel?.id).toBe(first.channel?.id);
    expect(await outcome(client().conversations.open({ users: "U404" }))).toBe("user_not_found");
  });
});

describe("chat", () => {
  it("posts ephemerals only where the bot and the user are members, and always in an opened DM", async () => {
    const post = (channel: string, user: string) => outcome(client().chat.postEphemeral({ channel, user, text: "secret" }));
    expect(await post("C404", "U1")).toBe("channel_not_found");
    expect(await post("C2", "U1")).toBe("not_in_channel");
    expect(await post("C1", "U2")).toBe("user_not_in_channel");
    expect(await post("C1", "U1")).toBe("ok");
    const dm = (await client().conversations.open({ users: "U2" })).channel?.id ?? "";
    expect(await post(dm, "U2")).toBe("ok");
    expect(fake.callsTo("chat.postEphemeral").at(-1)?.response).toMatchObject({ ok: true, message_ts: expect.any(String) });
  });

  it("posts messages with strictly increasing ts and lets the app update them", async () => {
    const first = await client().chat.postMessage({ channel: "C1", text: "one" });
    const second = await client().chat.postMessage({ channel: "C1", text: "two" });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(first).toMatchObject({ channel: "C1", message: { text: "one", bot_id: fake.botId } });
    const updated = await client().chat.update({ channel: "C1", ts: first.ts ?? "", text: "one, edited" });
    expect(updated.ts).toBe(first.ts);
    expect(fake.getMessage("C1", first.ts ?? "")?.text).toBe("one, edited");
    expect(await outcome(client().chat.update({ channel: "C1", ts: "1.000001", text: "x" }))).toBe("message_not_found");
    expect(await outcome(client().chat.postMessage({ channel: "C2", text: "x" }))).toBe("not_in_channel");
  });

  it("refuses invalid blocks, over-long text and empty messages", async () => {
    const tooLongButton = [{ type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: "x".repeat(76) } }] }];
    expect(await outcome(client().chat.postMessage({ channel: "C1", text: "x", blocks: tooLongButton }))).toBe("invalid_blocks");
    const call = fake.callsTo("chat.postMessage").at(-1);
    expect(call?.args.blocks).toEqual(tooLongButton); // JSON-decoded for assertions
    expect(call?.violations).toEqual(["/0/elements/0/text/text: button text is 76 characters; the limit is 75"]);
    expect(call?.response.response_metadata).toEqual({
      messages: ["[ERROR] button text is 76 characters; the limit is 75 [json-pointer:/blocks/0/elements/0/text/text]"],
    });
    expect(await outcome(client().chat.postMessage({ channel: "C1", text: "x".repeat(40_001) }))).toBe("msg_too_long");
    expect(await outcome(client().chat.postMessage({ channel: "C1", text: "" }))).toBe("no_text");
  });
});

describe("trigger ids and views", () => {
  it("issues trigger ids in Slack format, usable once within 3 s", async () => {
    const trigger = fake.issueTrigger();
    expect(trigger).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    const opened = await client().views.open({ trigger_id: trigger, view: modal() });
    expect(opened.view).toMatchObject({ id: expect.stringMatching(/^V/), type: "modal", callback_id: "create_key", hash: expect.any(String) });
    expect(opened.view?.root_view_id).toBe(opened.view?.id);
    expect(await outcome(client().views.open({ trigger_id: trigger, view: modal() }))).toBe("exchanged_trigger_id");

    const late = fake.issueTrigger();
    clock += 3001;
    expect(await outcome(client().views.open({ trigger_id: late, view: modal() }))).toBe("expired_trigger_id");
    const justInTime = fake.issueTrigger();
    clock += 3000;
    expect(await outcome(client().views.open({ trigger_id: justInTime, view: modal() }))).toBe("ok");

    expect(await outcome(client().views.open({ trigger_id: "123.456.abc", view: modal() }))).toBe("invalid_trigger_id");
    expect(await outcome(client().views.open({ trigger_id: "not-a-trigger", view: modal() }))).toBe("invalid_trigger_id");
  });

  it("refuses a schema-invalid view with invalid_arguments and records why", async () => {
    const view = modal({ title: { type: "plain_text", text: "A title that is far too long" }, submit: undefined });
    expect(await outcome(client().views.open({ trigger_id: fake.issueTrigger(), view }))).toBe("invalid_arguments");
    const call = fake.callsTo("views.open")[0];
    expect(call?.violations).toEqual(["/title/text: title text is 28 characters; the limit is 24", "/submit: is required when the modal has an input block"]);
    expect(call?.response.response_metadata).toMatchObject({ messages: [expect.stringContaining("[json-pointer:/view/title/text]"), expect.any(String)] });
  });

  it("refuses a view over 250 KB with view_too_large", async () => {
    const section = (i: number) => ({ type: "section", block_id: `b${i}`, text: { type: "mrkdwn", text: "x".repeat(2900) } });
    const view = modal({ blocks: Array.from({ length: 90 }, (_, i) => section(i)) });
    expect(await outcome(client().views.open({ trigger_id: fake.issueTrigger(), view }))).toBe("view_too_large");
  });

  it("updates by view_id or external_id and detects hash conflicts", async () => {
    const { view } = await client().views.open({ trigger_id: fake.issueTrigger(), view: modal({ external_id: "ext-1" }) });
    const id = view?.id ?? "";
    const updated = await client().views.update({ view_id: id, hash: view?.hash, view: modal({ callback_id: "v2" }) });
    expect(updated.view).toMatchObject({ id, callback_id: "v2" });
    expect(updated.view?.hash).not.toBe(view?.hash);
    expect(await outcome(client().views.update({ view_id: id, hash: view?.hash, view: modal() }))).toBe("hash_conflict");
    expect(await outcome(client().views.update({ external_id: "ext-1", view: modal() }))).toBe("ok");
    expect(await outcome(client().views.update({ view_id: "V404", view: modal() }))).toBe("not_found");
  });

  it("pushes onto the modal the trigger came from, at most 3 views deep", async () => {
    const root = (await client().views.open({ trigger_id: fake.issueTrigger(), view: modal() })).view;
    const second = (await client().views.push({ trigger_id: fake.issueTrigger({ viewId: root?.id }), view: modal() })).view;
    expect(second).toMatchObject({ root_view_id: root?.id, previous_view_id: root?.id });
    await client().views.push({ trigger_id: fake.issueTrigger({ viewId: second?.id }), view: modal() });
    const fourth = client().views.push({ trigger_id: fake.issueTrigger({ viewId: second?.id }), view: modal() });
    expect(await outcome(fourth)).toBe("push_limit_reached");
  });

  it("publishes Home tabs and refuses a modal there", async () => {
    const home = { type: "home" as const, blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Keys*" } }] };
    const first = await client().views.publish({ user_id: "U1", view: home });
    expect(first.view).toMatchObject({ type: "home", id: expect.stringMatching(/^V/) });
    const second = await client().views.publish({ user_id: "U1", view: home });
    expect(second.view?.id).toBe(first.view?.id);
    expect(fake.getHomeView("U1")?.hash).toBe(second.view?.hash);
    expect(await outcome(client().views.publish({ user_id: "U1", view: modal() }))).toBe("invalid_arguments");
  });

  it("fills in block_id and action_id where the app gave none, as Slack does", async () => {
    const view = modal({ blocks: [{ type: "input", label: { type: "plain_text", text: "Name" }, element: { type: "plain_text_input" } }] });
    const opened = (await client().views.open({ trigger_id: fake.issueTrigger(), view })).view;
    const block = opened?.blocks?.[0] as { block_id?: string; element?: { action_id?: string } } | undefined;
    expect(block?.block_id).toEqual(expect.any(String));
    expect(block?.element?.action_id).toEqual(expect.any(String));
  });
});

describe("fault injection", () => {
  it("answers a platform error once, then normally", async () => {
    fake.failNext("chat.postMessage", { error: "restricted_action" });
    const error = await client()
      .chat.postMessage({ channel: "C1", text: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIPlatformError);
    expect((error as WebAPIPlatformError).data.error).toBe("restricted_action");
    expect(await outcome(client().chat.postMessage({ channel: "C1", text: "x" }))).toBe("ok");
  });

  it("answers 429 with Retry-After, which WebClient turns into WebAPIRateLimitedError", async () => {
    fake.failNext("chat.postMessage", { status: 429, retryAfter: 7 });
    const error = await client()
      .chat.postMessage({ channel: "C1", text: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIRateLimitedError);
    expect((error as WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(fake.callsTo("chat.postMessage")[0]?.response).toEqual({ ok: false, error: "ratelimited" });
  });

  it("answers HTTP 500 as many times as asked", async () => {
    fake.failNext("views.publish", { status: 500, times: 2 });
    const home = { type: "home" as const, blocks: [{ type: "divider" }] };
    for (let i = 0; i < 2; i++) {
      const error = await client()
        .views.publish({ user_id: "U1", view: home })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebAPIHTTPError);
      expect((error as WebAPIHTTPError).statusCode).toBe(500);
    }
    expect(await outcome(client().views.publish({ user_id: "U1", view: home }))).toBe("ok");
  });

  it("delays answers, so client timeouts can be tested", async () => {
    fake.failNext("auth.test", { delayMs: 300 });
    const error = await client({ timeout: 50 })
      .auth.test()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIRequestError);
    fake.failNext("auth.test", { delayMs: 50 });
    const started = performance.now();
    await client().auth.test();
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("reset() forgets calls and pending failures but keeps users and channels", async () => {
    fake.failNext("auth.test", { error: "fatal_error" });
    await client().chat.postMessage({ channel: "C1", text: "x" });
    fake.reset();
    expect(fake.calls).toHaveLength(0);
    expect(await outcome(client().auth.test())).toBe("ok");
    expect(await outcome(client().chat.postEphemeral({ channel: "C1", user: "U1", text: "x" }))).toBe("ok");
  });
});

describe("waiting for calls", () => {
  it("resolves when the call is answered, not before, and ignores calls before the mark", async () => {
    await client().chat.postMessage({ channel: "C1", text: "before" });
    const mark = fake.mark();
    let seen: string | undefined;
    const waiting = fake.waitForCall("chat.postMessage", () => true, { since: mark }).then((c) => (seen = String(c.args.text)));
    await client().auth.test();
    expect(seen).toBeUndefined();
    await client().chat.postMessage({ channel: "C1", text: "after" });
    await waiting;
    expect(seen).toBe("after");
    expect(fake.callsSince(mark).map((c) => c.method)).toEqual(["auth.test", "chat.postMessage"]);
    expect(fake.callsSince(mark, "chat.postMessage")).toHaveLength(1);
  });

  it("without a mark, finds a call answered before the wait; a predicate picks among calls", async () => {
    await client().chat.postMessage({ channel: "C1", text: "one" });
    await client().chat.postMessage({ channel: "C1", text: "two" });
    expect((await fake.waitForCall("chat.postMessage", (c) => c.args.text === "two")).args.text).toBe("two");
  });

  it("fails at its deadline naming what it waited for and the calls it saw", async () => {
    const mark = fake.mark();
    expect(await outcome(client().chat.postEphemeral({ channel: "C1", user: "U2", text: "x" }))).toBe("user_not_in_channel");
    const error = await fake.waitForCall("views.open", () => true, { since: mark, timeoutMs: 30 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/no matching call to views\.open within 30 ms/);
    expect((error as Error).message).toContain("chat.postEphemeral user_not_in_channel user=U2 channel=C1");
  });

  it("marks and the history outlive reset(); waitForCalls counts since the last reset", async () => {
    await client().auth.test();
    const mark = fake.mark();
    fake.reset();
    await client().auth.test();
    expect(fake.history).toHaveLength(2);
    expect(fake.callsSince(mark)).toHaveLength(1);
    expect(await fake.waitForCalls("auth.test", 1)).toHaveLength(1);
  });

  it("waits for a view to reach a state, re-checked on each call answered", async () => {
    const { view } = await client().views.open({ trigger_id: fake.issueTrigger(), view: modal() });
    const id = view?.id ?? "";
    const settled = fake.waitForView(id, (v) => v.callback_id === "v2");
    await client().views.update({ view_id: id, view: modal({ callback_id: "v1" }) });
    await client().views.update({ view_id: id, view: modal({ callback_id: "v2" }) });
    expect((await settled).callback_id).toBe("v2");
    await expect(fake.waitForView(id, (v) => v.callback_id === "v3", { timeoutMs: 20 })).rejects.toThrow(`no settled view ${id} within 20 ms`);
  });
});

describe("block-kit validator", () => {
  const section = (text: string, blockId?: string) => ({ type: "section", ...(blockId ? { block_id: blockId } : {}), text: { type: "mrkdwn", text } });
  const button = (extra: Record<string, unknown> = {}) => ({ type: "button", action_id: "go", text: { type: "plain_text", text: "Go" }, ...extra });
  const option = (value: string, text = value) => ({ text: { type: "plain_text", text }, value });

  it("accepts a valid modal, Home view and message", () => {
    expect(blockKitViolations("modal", modal())).toEqual([]);
    expect(blockKitViolations("home", { type: "home", blocks: [section("hi")] })).toEqual([]);
    expect(blockKitViolations("message", [section("hi"), { type: "actions", elements: [button()] }])).toEqual([]);
  });

  it("reports schema problems only for the block type actually used", () => {
    const violations = blockKitViolations("message", [{ type: "section", text: { type: "mrkdwn", text: "x" }, bogus: 1 }]);
    expect(violations).toEqual(['/0: unexpected property "bogus"']);
    expect(blockKitViolations("message", [{ type: "nonsense" }])).toEqual([expect.stringMatching(/^\/0\/type: must be one of/)]);
  });

  it.each([
    ["51 blocks in a message", "message", Array.from({ length: 51 }, () => section("x")), "/: 51 blocks in a message; the limit is 50"],
    [
      "101 blocks in a Home tab",
      "home",
      { type: "home", blocks: Array.from({ length: 101 }, () => section("x")) },
      "/blocks: 101 blocks in a home; the limit is 100",
    ],
    ["duplicate block_id", "message", [section("a", "same"), section("b", "same")], '/1/block_id: duplicate block_id "same" (also block 0)'],
    ["block_id over 255", "message", [section("a", "b".repeat(256))], "/0/block_id: block_id is 256 characters; the limit is 255"],
    ["section text over 3000", "message", [section("x".repeat(3001))], "/0/text/text: section text is 3001 characters; the limit is 3000"],
    [
      "11 fields",
      "message",
      [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) }],
      "/0/fields: 11 section fields; the limit is 10",
    ],
    [
      "field over 2000",
      "message",
      [{ type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] }],
      "/0/fields/0/text: field text is 2001 characters; the limit is 2000",
    ],
    [
      "header over 150",
      "message",
      [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }],
      "/0/text/text: header text is 151 characters; the limit is 150",
    ],
    [
      "button value over 2000",
      "message",
      [{ type: "actions", elements: [button({ value: "v".repeat(2001) })] }],
      "/0/elements/0/value: button value is 2001 characters; the limit is 2000",
    ],
    [
      "action_id over 255",
      "message",
      [{ type: "actions", elements: [button({ action_id: "a".repeat(256) })] }],
      "/0/elements/0/action_id: action_id is 256 characters; the limit is 255",
    ],
    [
      "26 actions elements",
      "message",
      [{ type: "actions", elements: Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })) }],
      "/0/elements: 26 elements in an actions block; the limit is 25",
    ],
    [
      "11 context elements",
      "message",
      [{ type: "context", elements: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "c" })) }],
      "/0/elements: 11 elements in a context block; the limit is 10",
    ],
    [
      "option value over 75",
      "message",
      [{ type: "actions", elements: [{ type: "static_select", action_id: "s", options: [option("v".repeat(76))] }] }],
      "/0/elements/0/options/0/value: option value is 76 characters; the limit is 75",
    ],
    [
      "option text over 75",
      "message",
      [{ type: "actions", elements: [{ type: "static_select", action_id: "s", options: [option("v", "t".repeat(76))] }] }],
      "/0/elements/0/options/0/text/text: option text is 76 characters; the limit is 75",
    ],
    [
      "101 select options",
      "message",
      [{ type: "actions", elements: [{ type: "static_select", action_id: "s", options: Array.from({ length: 101 }, (_, i) => option(`o${i}`)) }] }],
      "/0/elements/0/options: 101 options; the limit is 100",
    ],
    [
      "private_metadata over 3000",
      "modal",
      modal({ private_metadata: "m".repeat(3001) }),
      "/private_metadata: private_metadata is 3001 characters; the limit is 3000",
    ],
    ["callback_id over 255", "modal", modal({ callback_id: "c".repeat(256) }), "/callback_id: callback_id is 256 characters; the limit is 255"],
    ["close over 24", "modal", modal({ close: { type: "plain_text", text: "c".repeat(25) } }), "/close/text: close text is 25 characters; the limit is 24"],
    ["input without submit", "modal", modal({ submit: undefined }), "/submit: is required when the modal has an input block"],
  ] as const)("refuses %s", (_name, surface, payload, expected) => {
    expect(blockKitViolations(surface, payload)).toContain(expected);
  });

  it("throws with every violation listed", () => {
    expect(() => assertValidBlockKit("message", [section("x".repeat(3001))])).toThrow(BlockKitValidationError);
    expect(() => assertValidBlockKit("message", [section("x".repeat(3001))])).toThrow(/section text is 3001 characters/);
    expect(() => assertValidBlockKit("modal", modal())).not.toThrow();
  });
});
