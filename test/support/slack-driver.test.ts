// The driver, checked against what Bolt itself accepts: its exported signature verifier and a
// minimal real Bolt App on HTTPReceiver that calls Slack through the fake.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { App, isValidSlackRequest, LogLevel, verifySlackRequest, type BlockAction, type ButtonAction } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeSlack, type FakeSlack } from "./fake-slack.ts";
import { createSlackDriver, FORM_CONTENT_TYPE, signSlackRequest, stateValues, type SlackDriver } from "./slack-driver.ts";

const SECRET = "test-signing-secret";

describe("request signing", () => {
  let capture: { server: Server; url: string; requests: Array<{ headers: IncomingHttpHeaders; body: string }> };
  let driver: SlackDriver;

  beforeEach(async () => {
    const requests: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        requests.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    capture = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, requests };
    driver = await createSlackDriver({ appUrl: capture.url, signingSecret: SECRET, teamId: "T00000001" });
  });

  afterEach(async () => {
    await driver.close();
    capture.server.closeAllConnections();
    await new Promise((resolve) => capture.server.close(resolve));
  });

  const verify = (request: { headers: IncomingHttpHeaders; body: string }, signingSecret = SECRET) => ({
    signingSecret,
    body: request.body,
    headers: {
      "x-slack-signature": String(request.headers["x-slack-signature"]),
      "x-slack-request-timestamp": Number(request.headers["x-slack-request-timestamp"]),
    },
  });

  it("signs commands so that Bolt verifies them, with exactly the form content type", async () => {
    await driver.command({ userId: "U1", text: "create", channelId: "C1" });
    const [request] = capture.requests;
    if (!request) throw new Error("nothing captured");
    expect(request.headers["content-type"]).toBe(FORM_CONTENT_TYPE);
    expect(() => verifySlackRequest(verify(request))).not.toThrow();
    expect(isValidSlackRequest(verify(request, "another-secret"))).toBe(false);

    const fields = Object.fromEntries(new URLSearchParams(request.body));
    expect(fields).toMatchObject({ command: "/keys", text: "create", user_id: "U1", channel_id: "C1", team_id: "T00000001" });
    for (const field of ["token", "team_domain", "channel_name", "user_name", "api_app_id", "is_enterprise_install"]) {
      expect(fields).toHaveProperty(field);
    }
    expect(fields.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(fields.response_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/commands\/T00000001\//);
  });

  it("sends events as JSON and interactivity as a form field holding JSON", async () => {
    await driver.event({ type: "app_home_opened", user: "U1", tab: "home" });
    await driver.viewClosed({ userId: "U1", view: { type: "modal", callback_id: "cb", blocks: [] } });
    const [event, interaction] = capture.requests;
    expect(event?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(event?.body ?? "")).toMatchObject({ type: "event_callback", event: { type: "app_home_opened", user: "U1" } });
    expect(interaction?.headers["content-type"]).toBe(FORM_CONTENT_TYPE);
    const payload = JSON.parse(new URLSearchParams(interaction?.body).get("payload") ?? "");
    expect(payload).toMatchObject({ type: "view_closed", is_cleared: false, view: { callback_id: "cb", state: { values: {} } } });
    for (const request of capture.requests) expect(() => verifySlackRequest(verify(request))).not.toThrow();
  });

  it("signs any body at any timestamp as Bolt expects", () => {
    const signature = signSlackRequest(SECRET, 1_700_000_000, "a=b");
    expect(signature).toMatch(/^v0=[0-9a-f]{64}$/);
    const headers = { "x-slack-signature": signature, "x-slack-request-timestamp": 1_700_000_000 };
    expect(isValidSlackRequest({ signingSecret: SECRET, body: "a=b", headers, nowMilliseconds: 1_700_000_000_000 })).toBe(true);
  });
});

describe("stateValues", () => {
  const view = {
    type: "modal",
    blocks: [
      {
        type: "input",
        block_id: "name",
        label: { type: "plain_text", text: "Name" },
        element: { type: "plain_text_input", action_id: "v", initial_value: "preset" },
      },
      {
        type: "input",
        block_id: "role",
        label: { type: "plain_text", text: "Role" },
        element: {
          type: "static_select",
          action_id: "v",
          options: [
            { text: { type: "plain_text", text: "Viewer" }, value: "viewer" },
            { text: { type: "plain_text", text: "Admin" }, value: "admin" },
          ],
        },
      },
      { type: "input", block_id: "expiry", label: { type: "plain_text", text: "Expiry" }, element: { type: "datepicker", action_id: "v" } },
      {
        type: "input",
        block_id: "flags",
        label: { type: "plain_text", text: "Flags" },
        element: { type: "checkboxes", action_id: "v", options: [{ text: { type: "plain_text", text: "Personal" }, value: "personal" }] },
      },
      { type: "input", block_id: "owner", label: { type: "plain_text", text: "Owner" }, element: { type: "users_select", action_id: "v" } },
      { type: "input", block_id: "channel", label: { type: "plain_text", text: "Channel" }, element: { type: "conversations_select", action_id: "v" } },
      { type: "actions", block_id: "buttons", elements: [{ type: "button", action_id: "b", text: { type: "plain_text", text: "Go" } }] },
    ],
  };

  it("builds the shapes Slack sends for each element type", () => {
    const values = stateValues(view, {
      role: { v: "admin" },
      expiry: { v: "2026-04-15" },
      flags: { v: ["personal"] },
      owner: { v: "U2" },
      channel: { v: "C1" },
    });
    expect(values).toEqual({
      name: { v: { type: "plain_text_input", value: "preset" } },
      role: { v: { type: "static_select", selected_option: { text: { type: "plain_text", text: "Admin", emoji: true }, value: "admin" } } },
      expiry: { v: { type: "datepicker", selected_date: "2026-04-15" } },
      flags: { v: { type: "checkboxes", selected_options: [{ text: { type: "plain_text", text: "Personal", emoji: true }, value: "personal" }] } },
      owner: { v: { type: "users_select", selected_user: "U2" } },
      channel: { v: { type: "conversations_select", selected_conversation: "C1" } },
    });
  });

  it("leaves unanswered inputs null or empty, and clears on null", () => {
    const values = stateValues(view, { name: { v: null } });
    expect(values.name?.v).toEqual({ type: "plain_text_input", value: null });
    expect(values.role?.v).toEqual({ type: "static_select", selected_option: null });
    expect(values.flags?.v).toEqual({ type: "checkboxes", selected_options: [] });
  });

  it("throws on answers Slack could never send", () => {
    expect(() => stateValues(view, { nmae: { v: "typo" } })).toThrow(/no input nmae\/v/);
    expect(() => stateValues(view, { role: { v: "owner" } })).toThrow(/no option with value "owner"/);
  });
});

describe("against a real Bolt app", () => {
  let fake: FakeSlack;
  let app: App;
  let driver: SlackDriver;
  const seen: { submissions: unknown[]; closed: string[]; actions: string[] } = { submissions: [], closed: [], actions: [] };

  const createModal = {
    type: "modal" as const,
    callback_id: "create_key",
    notify_on_close: true,
    title: { type: "plain_text" as const, text: "Create a key" },
    submit: { type: "plain_text" as const, text: "Create" },
    blocks: [{ type: "input", block_id: "name", label: { type: "plain_text", text: "Name" }, element: { type: "plain_text_input", action_id: "name" } }],
  };

  beforeEach(async () => {
    seen.submissions = [];
    seen.closed = [];
    seen.actions = [];
    fake = await startFakeSlack();
    fake.addUser({ id: "U1" });
    fake.addChannel({ id: "C1", members: ["U1"], botIsMember: true });
    app = new App({
      signingSecret: SECRET,
      token: fake.token,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
    });
    app.command("/keys", async ({ ack, body, client, respond }) => {
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: createModal });
      await respond({ text: "Opened the form", response_type: "ephemeral" });
    });
    app.view("create_key", async ({ ack, view }) => {
      const name = view.state.values.name?.name?.value;
      seen.submissions.push(view.state.values);
      await (name ? ack() : ack({ response_action: "errors", errors: { name: "Give the key a name" } }));
    });
    app.view({ type: "view_closed", callback_id: "create_key" }, async ({ ack, view }) => {
      seen.closed.push(view.id);
      await ack();
    });
    app.action<BlockAction<ButtonAction>>("delete", async ({ ack, action, respond }) => {
      await ack();
      seen.actions.push(action.value ?? "");
      await respond({ text: `Deleted ${action.value}`, replace_original: true });
    });
    app.event("app_home_opened", async ({ event, client }) => {
      await client.views.publish({ user_id: event.user, view: { type: "home", blocks: [{ type: "section", text: { type: "mrkdwn", text: "Your keys" } }] } });
    });
    const server = (await app.start(0)) as Server;
    const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    driver = await createSlackDriver({ appUrl, signingSecret: SECRET, teamId: fake.teamId, fakeSlack: fake });
  });

  afterEach(async () => {
    await app.stop();
    await driver.close();
    await fake.close();
  });

  it("delivers a command that opens a modal through the fake and answers on response_url", async () => {
    const response = await driver.command({ userId: "U1", text: "create", channelId: "C1" });
    expect(response.status).toBe(200);
    const [open] = await fake.waitForCalls("views.open");
    expect(open?.args.trigger_id).toBe(response.sent.trigger_id);
    expect(open?.response).toMatchObject({ ok: true, view: { callback_id: "create_key" } });
    expect(open?.args).toHaveProperty("team_id", fake.teamId); // Bolt adds the payload's team to listener clients
    const [answer] = await driver.waitForResponses(1);
    expect(answer).toMatchObject({ url: response.sent.response_url, status: 200, body: { text: "Opened the form" } });
  });

  it("submits a modal: inline errors when invalid, a plain ack when valid", async () => {
    await driver.command({ userId: "U1", text: "create", channelId: "C1" });
    const [open] = await fake.waitForCalls("views.open");
    const view = open?.response.view as Record<string, unknown>;

    const invalid = await driver.viewSubmission({ userId: "U1", view, answers: {} });
    expect(invalid.status).toBe(200);
    expect(invalid.json).toEqual({ response_action: "errors", errors: { name: "Give the key a name" } });

    const valid = await driver.viewSubmission({ userId: "U1", view, answers: { name: { name: "ci-deploy" } } });
    expect(valid).toMatchObject({ status: 200, body: "" });
    expect(seen.submissions.at(-1)).toEqual({ name: { name: { type: "plain_text_input", value: "ci-deploy" } } });

    const closed = await driver.viewClosed({ userId: "U1", view });
    expect(closed.status).toBe(200);
    expect(seen.closed).toEqual([view.id]);
  });

  it("delivers a button press on a message the app posted, with a working response_url", async () => {
    const blocks = [
      { type: "section", block_id: "key", text: { type: "mrkdwn", text: "ci-deploy" } },
      {
        type: "actions",
        block_id: "key_actions",
        elements: [{ type: "button", action_id: "delete", value: "key_1", text: { type: "plain_text", text: "Delete" } }],
      },
    ];
    const posted = await app.client.chat.postMessage({ token: fake.token, channel: "C1", text: "ci-deploy", blocks });
    const response = await driver.blockAction({ userId: "U1", actionId: "delete", blockId: "key_actions", channelId: "C1", messageTs: posted.ts });
    expect(response.status).toBe(200);
    expect(response.sent).toMatchObject({
      container: { type: "message", message_ts: posted.ts, channel_id: "C1", is_ephemeral: false },
      actions: [{ type: "button", action_id: "delete", block_id: "key_actions", value: "key_1" }],
    });
    expect(seen.actions).toEqual(["key_1"]);
    const [answer] = await driver.waitForResponses(1);
    expect(answer?.body).toMatchObject({ text: "Deleted key_1", replace_original: true });
  });

  it("delivers app_home_opened, after which the app publishes its Home tab", async () => {
    const response = await driver.event({ type: "app_home_opened", user: "U1", tab: "home", channel: "D1" });
    expect(response.status).toBe(200);
    const [publish] = await fake.waitForCalls("views.publish");
    expect(publish?.response).toMatchObject({ ok: true, view: { type: "home" } });
    expect(fake.getHomeView("U1")).toBeDefined();
  });

  describe("what Bolt refuses", () => {
    const body = "command=%2Fkeys&text=&user_id=U1&team_id=T00000001";

    it("answers 401 to a bad signature, a wrong secret and missing headers", async () => {
      const form = { contentType: FORM_CONTENT_TYPE };
      expect((await driver.send(body, { ...form, signature: `v0=${"0".repeat(64)}` })).status).toBe(401);
      expect((await driver.send(body, { ...form, secret: "not-the-secret" })).status).toBe(401);
      expect((await driver.send(body, { ...form, signature: null })).status).toBe(401);
      expect((await driver.send(body, { ...form, timestamp: null })).status).toBe(401);
    });

    it("answers 401 to a request 301 s old; a future timestamp passes (the check looks backwards only)", async () => {
      // url_verification is answered by the receiver itself once the signature passed: no listener side effects.
      const challenge = { type: "url_verification", challenge: "c-1", token: "t" };
      const json = { contentType: "application/json" };
      const now = Math.floor(Date.now() / 1000);
      expect((await driver.send(challenge, { ...json, timestamp: now - 301 })).status).toBe(401);
      expect((await driver.send(challenge, { ...json, timestamp: now - 290 })).json).toEqual({ challenge: "c-1" });
      expect((await driver.send(challenge, { ...json, timestamp: now + 600 })).json).toEqual({ challenge: "c-1" });
    });

    it("answers 400 when the content type carries a charset (Bolt compares it with ===)", async () => {
      const response = await driver.send(body, { contentType: `${FORM_CONTENT_TYPE}; charset=utf-8` });
      expect(response.status).toBe(400);
    });
  });
});

describe("response_url collector", () => {
  let driver: SlackDriver;

  beforeEach(async () => {
    driver = await createSlackDriver({ appUrl: "http://127.0.0.1:9/unused", signingSecret: SECRET, teamId: "T00000001" });
  });

  afterEach(() => driver.close());

  const post = (url: string, body: unknown) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.status);

  it("accepts five posts per response_url, then refuses", async () => {
    const url = driver.responseUrl();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await post(url, { text: `answer ${i}` }));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(driver.responses.map((r) => r.body)).toContainEqual({ text: "answer 0" });
  });

  it("waits for the posts to one response_url, since a mark or by a predicate", async () => {
    const first = driver.responseUrl();
    const second = driver.responseUrl();
    await post(first, { text: "early" });
    const mark = driver.mark();
    const toSecond = driver.waitForResponse(second);
    await post(first, { text: "not this one" });
    await post(second, { text: "this one" });
    expect((await toSecond).body).toEqual({ text: "this one" });
    expect(driver.responsesTo(first).map((r) => r.body)).toEqual([{ text: "early" }, { text: "not this one" }]);
    expect(driver.responsesTo(first, mark)).toHaveLength(1);
    expect((await driver.waitForResponse(() => true, { since: mark })).body).toEqual({ text: "not this one" });
    expect(await driver.waitForResponsesTo(first, 2)).toHaveLength(2);
    await expect(driver.waitForResponse(driver.responseUrl(), { timeoutMs: 20 })).rejects.toThrow(/slack driver: no post to .* within 20 ms; seen: \n/);
  });

  it("refuses invalid blocks with 400 and records why", async () => {
    const status = await post(driver.responseUrl(), { blocks: [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }] });
    expect(status).toBe(400);
    expect(driver.responses[0]?.violations).toEqual(["/0/text/text: header text is 151 characters; the limit is 150"]);
  });

  it("fails the next post when told to", async () => {
    driver.failNextResponse(500);
    const url = driver.responseUrl();
    expect(await post(url, { text: "x" })).toBe(500);
    expect(await post(url, { text: "x" })).toBe(200);
  });
});
