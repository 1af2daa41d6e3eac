import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import type { Actor } from "../../src/domain/types.ts";
import { actionIds } from "../../src/slack/ids.ts";
import { encodeReplacementValue } from "../../src/slack/wire/leak-values.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { answerTo, findBlock, modalFor, textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/**
 * Issue 15 items 1 and 2 through the real receiver and the real HTTP server: keys pasted into Slack
 * and keys GitLab's secret detection reports. A live key of this workspace is revoked at once (or
 * only reported, in "alert only"), the thread, the creator and the security channel are told, and
 * neither the key nor the message's text reaches a log line, a database row, an audit event or
 * any call to Slack. Anything else posted the same way changes nothing and posts nothing.
 */
describe("leaked keys through the real receiver", () => {
  const admin = "ULEAKADM";
  const creator = "ULEAKMGR";
  const poster = "ULEAKPST";
  const security = "C0SECURE1";
  const gitlabToken = "gitlab-pre-shared-token-0123456789";
  let app: TestApp;
  let adminActor: Actor;
  let creatorActor: Actor;
  let tsCounter = 0;
  /** Every message text and secret a test posted: none may show up anywhere the app writes. */
  const forbidden: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ env: { GITLAB_REVOCATION_TOKEN: gitlabToken } });
    app.addUser({ id: admin, isOwner: true });
    app.addUser({ id: creator });
    app.addUser({ id: poster });
    app.fake.addChannel({ id: security, name: "security", members: [admin], botIsMember: true });
    adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(adminActor, creator, "Manager");
    creatorActor = await app.keyward.services.access.actorForUser(app.fake.teamId, creator, { isWorkspaceAdmin: false }, "slack");
    for (const id of [admin, creator, poster]) await answerTo(app, app.driver.command({ userId: id, text: "help", channelId }));
    await answerTo(app, app.driver.command({ userId: admin, text: `security <#${security}|security>`, channelId }));
    expect((await app.keyward.services.leaks.settings(adminActor)).securityChannel).toBe(security);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter).padStart(6, "0")}`;

  async function createKey(name: string) {
    return app.keyward.services.keys.create(creatorActor, {
      name,
      description: `what ${name} is for`,
      role: "Viewer",
      expiresOn: "2030-01-01",
      timeZone: "UTC",
    });
  }

  /** A message with `secret` in it, as Slack sends it to the app; its text is remembered as forbidden. */
  async function post(secret: string, extra: Json = {}) {
    const text = `leak-marker-${randomBytes(6).toString("hex")} here is the deploy key ${secret} thanks`;
    forbidden.push(secret, text, text.slice(0, 24));
    const ts = nextTs();
    const response = await app.driver.event({ type: "message", channel: channelId, channel_type: "channel", user: poster, text, ts, ...extra });
    expect(response.status).toBe(200);
    await app.idle();
    return { ts, text };
  }

  const posts = (since: ReturnType<TestApp["fake"]["mark"]>) => app.fake.callsSince(since, "chat.postMessage");
  const latestAudit = async () => (await app.keyward.services.audit.latest(adminActor, 1))[0]!;

  it("revokes a live key pasted in a channel before the next verify, and tells the thread, the creator and the security channel", async () => {
    const { key, secret } = await createKey("pasted-in-slack");
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true); // cached now
    const mark = app.fake.mark();
    const { ts } = await post(secret);
    expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });

    const sent = posts(mark);
    const thread = sent.find((c) => c.args.channel === channelId);
    expect(thread?.args.thread_ts).toBe(ts);
    expect(textOf(thread?.args.text)).toMatch(/pasted-in-slack.*revoked.*delete this message/s);
    const dm = sent.find((c) => String(c.args.channel).startsWith("D"));
    expect(app.fake.callsSince(mark, "conversations.open").map((c) => c.args.users)).toEqual([creator]);
    expect(textOf(dm?.args.text)).toContain("revoked");
    expect(textOf(dm?.args.text)).toContain(`<#${channelId}>`);
    expect(JSON.stringify(dm?.args.blocks)).toContain(encodeReplacementValue(key.id));
    const securityPost = sent.find((c) => c.args.channel === security);
    expect(textOf(securityPost?.args.text)).toMatch(/Leaked API key \*pasted-in-slack\*/);
    expect(sent).toHaveLength(3);

    const event = await latestAudit();
    expect(event).toMatchObject({ action: "api_key.leak", targetId: key.id, actorId: "keyward", source: "slack" });
    expect(event.details).toMatchObject({
      revoked: true,
      seenIn: { surface: "slack", conversation: channelId, messageTs: ts, postedBy: poster },
    });

    // Create a replacement: the create form, filled in from the leaked key.
    const button = ((findBlock(dm!.args as Json, "leak_actions").elements as Json[]) ?? [])[0]!;
    expect(button.action_id).toBe(actionIds.createReplacement);
    const press = await app.driver.blockAction({
      userId: creator,
      actionId: actionIds.createReplacement,
      blockId: "leak_actions",
      value: button.value,
      channelId: String(dm!.args.channel),
      messageTs: String(dm!.response.ts),
    });
    const form = await modalFor(app, press);
    expect(form.callback_id).toBe("keyward.key.create");
    expect((findBlock(form, "name").element as Json).initial_value).toBe("pasted-in-slack");
    expect((findBlock(form, "description").element as Json).initial_value).toBe("what pasted-in-slack is for");
    expect(JSON.stringify(findBlock(form, "role"))).toContain("Viewer");
    expect(textOf(findBlock(form, "replaces").text)).toContain("leaked");
    await app.idle();
  });

  it("handles an edited message (its new text), and leaves deletions and keyward's own messages alone", async () => {
    const { secret } = await createKey("edited-in");
    const mark = app.fake.mark();
    const ts = nextTs();
    const text = `leak-marker-${randomBytes(6).toString("hex")} edited to hold ${secret}`;
    forbidden.push(secret, text);
    // keyward's own message holding the key, and a deletion: nothing.
    await app.driver.event({ type: "message", channel: channelId, user: app.fake.botUserId, bot_id: app.fake.botId, text, ts });
    await app.driver.event({ type: "message", subtype: "message_deleted", channel: channelId, ts, previous_message: { text, user: poster, ts } });
    await app.idle();
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
    expect(app.fake.callsSince(mark)).toEqual([]);
    await app.driver.event({
      type: "message",
      subtype: "message_changed",
      channel: channelId,
      ts: nextTs(),
      message: { type: "message", user: poster, text, ts, edited: { user: poster, ts: nextTs() } },
      previous_message: { type: "message", user: poster, text: "nothing to see", ts },
    });
    await app.idle();
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
    expect(posts(mark).find((c) => c.args.channel === channelId)?.args.thread_ts).toBe(ts);
  });

  it("answers a deleted key, another workspace's key and a random well-formed string with nothing at all", async () => {
    const deleted = await createKey("deleted-before");
    await app.keyward.services.keys.delete(creatorActor, deleted.key.id);
    const otherAdmin = await app.keyward.services.access.actorForUser("T0OTHERWS", "UOTHERADM", { isWorkspaceAdmin: true }, "slack");
    const other = await app.keyward.services.keys.create(otherAdmin, { name: "elsewhere", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    const before = await app.dump();
    const mark = app.fake.mark();
    for (const secret of [deleted.secret, other.secret, generateKey(cryptoRandom)]) await post(secret);
    expect(app.fake.callsSince(mark)).toEqual([]);
    expect(await app.dump()).toBe(before);
    expect((await app.keyward.services.keys.verify(other.secret)).valid).toBe(true);
  });

  it("in alert only mode reports the leak and leaves the key working; only an Admin switches the mode", async () => {
    // Someone without policy.edit is refused, and nothing is written.
    const before = await app.dump();
    const refused = await answerTo(app, app.driver.command({ userId: creator, text: "security alert-only", channelId }));
    expect(textOf(refused.body)).toContain("permission");
    expect(await app.dump()).toBe(before);

    await answerTo(app, app.driver.command({ userId: admin, text: "security alert-only", channelId }));
    const { key, secret } = await createKey("alert-only-key");
    const mark = app.fake.mark();
    await post(secret);
    expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
    const thread = posts(mark).find((c) => c.args.channel === channelId);
    // The thread is the whole conversation's: it does not advertise that the key still works.
    expect(textOf(thread?.args.text)).toContain("keyward has reported it");
    expect(textOf(thread?.args.text)).not.toContain("still works");
    expect(posts(mark)).toHaveLength(3);
    expect(await latestAudit()).toMatchObject({ action: "api_key.leak", targetId: key.id, details: { revoked: false } });
    await answerTo(app, app.driver.command({ userId: admin, text: "security revoke", channelId }));
    expect((await app.keyward.services.leaks.settings(adminActor)).leakMode).toBe("revoke");
  });

  describe("GitLab's Token Revocation API (/gitlab/v1)", () => {
    const call = (path: string, init: RequestInit = {}) => fetch(`${app.keyward.url}/gitlab/v1/${path}`, init);
    const authorised = { authorization: gitlabToken, "content-type": "application/json" };

    it("lists the token type of the rule keyward publishes, to GitLab's token only", async () => {
      const listed = await call("revocable_token_types", { headers: { authorization: gitlabToken } });
      expect(listed.status).toBe(200);
      expect(await listed.json()).toEqual({ types: ["gitleaks_rule_id_keyward_api_key"] });
      for (const headers of [
        {} as Record<string, string>,
        { authorization: "wrong" },
        { authorization: `Bearer ${gitlabToken}` },
        { authorization: `${gitlabToken}x` },
      ]) {
        expect((await call("revocable_token_types", { headers })).status).toBe(401);
        expect((await call("revoke_tokens", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "[]" })).status).toBe(401);
      }
      expect((await call("revoke_tokens", { headers: authorised })).status).toBe(405);
      expect((await call("nothing", { headers: authorised })).status).toBe(404);
    });

    it("revokes a live key it reports (204), tells its creator and the security channel, and takes unknown tokens as accepted", async () => {
      const { key, secret } = await createKey("pushed-to-gitlab");
      forbidden.push(secret);
      const unknown = generateKey(cryptoRandom);
      const mark = app.fake.mark();
      const location = "https://gitlab.example.com/group/repo/-/blob/abc123/config.env";
      const body = JSON.stringify([
        { type: "gitleaks_rule_id_keyward_api_key", token: secret, location },
        { type: "gitleaks_rule_id_keyward_api_key", token: unknown, location },
        { type: "gitleaks_rule_id_keyward_api_key", token: "not a key at all", location },
      ]);
      const answer = await call("revoke_tokens", { method: "POST", headers: authorised, body });
      expect(answer.status).toBe(204);
      expect(await app.keyward.services.keys.verify(secret)).toMatchObject({ valid: false, reason: "deleted" });
      const dm = await app.fake.waitForCall("chat.postMessage", (c) => String(c.args.channel).startsWith("D"), { since: mark });
      expect(textOf(dm.args.text)).toContain("GitLab secret detection");
      expect(textOf(dm.args.text)).toContain(location);
      await app.fake.waitForCall("chat.postMessage", (c) => c.args.channel === security, { since: mark });
      expect(await latestAudit()).toMatchObject({
        action: "api_key.leak",
        targetId: key.id,
        source: "api",
        details: { revoked: true, seenIn: { surface: "gitlab", location } },
      });
      // Idempotent: the same report again revokes nothing more and posts nothing.
      const before = await app.dump();
      const again = app.fake.mark();
      expect((await call("revoke_tokens", { method: "POST", headers: authorised, body })).status).toBe(204);
      expect(await app.dump()).toBe(before);
      expect(app.fake.callsSince(again)).toEqual([]);
    });

    it("alert only: the same report again (GitLab's retry) audits and announces the leak once", async () => {
      await answerTo(app, app.driver.command({ userId: admin, text: "security alert-only", channelId }));
      try {
        const { key, secret } = await createKey("reported-twice");
        forbidden.push(secret);
        const body = JSON.stringify([{ type: "gitleaks_rule_id_keyward_api_key", token: secret, location: "https://gitlab.example.com/r/-/blob/1/a.env" }]);
        const mark = app.fake.mark();
        expect((await call("revoke_tokens", { method: "POST", headers: authorised, body })).status).toBe(204);
        await app.fake.waitForCall("chat.postMessage", (c) => c.args.channel === security, { since: mark });
        await app.idle();
        const before = await app.dump();
        const again = app.fake.mark();
        expect((await call("revoke_tokens", { method: "POST", headers: authorised, body })).status).toBe(204);
        await app.idle();
        expect(await app.dump()).toBe(before);
        expect(app.fake.callsSince(again)).toEqual([]);
        const events = (await app.keyward.services.audit.latest(adminActor, 50)).filter((e) => e.action === "api_key.leak" && e.targetId === key.id);
        expect(events).toHaveLength(1);
        expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
      } finally {
        await answerTo(app, app.driver.command({ userId: admin, text: "security revoke", channelId }));
      }
    });

    it("revokes another workspace's key it reports, but posts its location nowhere (this bot token serves one workspace)", async () => {
      const otherAdmin = await app.keyward.services.access.actorForUser("T0OTHERWS", "UOTHERADM", { isWorkspaceAdmin: true }, "slack");
      const other = await app.keyward.services.keys.create(otherAdmin, { name: "other-tenant", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      const mine = await createKey("same-report");
      forbidden.push(other.secret, mine.secret);
      const location = "https://gitlab.example.com/other-tenant/secret-repo/-/blob/1/.env";
      const body = JSON.stringify([
        { type: "gitleaks_rule_id_keyward_api_key", token: other.secret, location },
        { type: "gitleaks_rule_id_keyward_api_key", token: mine.secret, location: "https://gitlab.example.com/mine" },
      ]);
      const mark = app.fake.mark();
      expect((await call("revoke_tokens", { method: "POST", headers: authorised, body })).status).toBe(204);
      expect((await app.keyward.services.keys.verify(other.secret)).valid).toBe(false);
      await app.fake.waitForCall("chat.postMessage", (c) => c.args.channel === security, { since: mark });
      await app.idle();
      expect(app.fake.callsSince(mark, "conversations.open").map((c) => c.args.users)).toEqual([creator]);
      expect(JSON.stringify(app.fake.callsSince(mark).map((c) => c.args))).not.toContain("other-tenant");
    });

    it("refuses bad bodies and types it does not list with 400, acting on none of the request", async () => {
      const { secret } = await createKey("bad-body-neighbour");
      forbidden.push(secret);
      const before = await app.dump();
      for (const body of [
        "{not json",
        "{}",
        JSON.stringify([{ type: "gitleaks_rule_id_keyward_api_key" }]),
        JSON.stringify([
          { type: "gitleaks_rule_id_keyward_api_key", token: secret, location: "x" },
          { type: "gitleaks_rule_id_gitlab_personal_access_token", token: "glpat-x", location: "x" },
        ]),
      ]) {
        const answer = await call("revoke_tokens", { method: "POST", headers: authorised, body });
        expect(answer.status).toBe(400);
        expect(JSON.stringify(await answer.json())).not.toContain(secret);
      }
      expect(await app.dump()).toBe(before);
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
    });
  });

  describe("after review 4", () => {
    const message = (text: string, ts = nextTs()) => {
      forbidden.push(text);
      return { type: "message", channel: channelId, channel_type: "channel", user: poster, text, ts };
    };
    const leakEventsOf = async (keyId: string) =>
      (await app.keyward.services.audit.latest(adminActor, 100)).filter((e) => e.action === "api_key.leak" && e.targetId === keyId);

    it("revokes the key before (and whatever) Slack answers chat.getPermalink; the link still reaches the announcements", async () => {
      const { secret } = await createKey("slow-permalink");
      forbidden.push(secret);
      // A slow Slack (or a 429 with Retry-After, which the client waits out) must not keep a leaked key working.
      app.fake.failNext("chat.getPermalink", { delayMs: 4000 });
      const mark = app.fake.mark();
      const response = await app.driver.event(message(`here ${secret}`));
      expect(response.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
      await app.idle();
      const dm = posts(mark).find((c) => String(c.args.channel).startsWith("D"));
      expect(textOf(dm?.args.text)).toContain(`/archives/${channelId}/p`);
    });

    it("checks a live key that follows 20 other well-formed strings in one message", async () => {
      const { secret } = await createKey("after-twenty");
      forbidden.push(secret);
      const filler = Array.from({ length: 20 }, () => generateKey(cryptoRandom)).join("\n");
      await app.driver.event(message(`dump of the fixtures file:\n${filler}\n${secret}`));
      await app.idle();
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
    });

    it("alert only: Slack redelivering the same event (x-slack-retry-num), and an edit keeping the key, announce and audit the leak once", async () => {
      await answerTo(app, app.driver.command({ userId: admin, text: "security alert-only", channelId }));
      try {
        const { key, secret } = await createKey("retried-event");
        forbidden.push(secret);
        const text = `leak-${randomBytes(4).toString("hex")} ${secret}`;
        const ts = nextTs();
        const mark = app.fake.mark();
        await app.driver.event(message(text, ts));
        await app.idle();
        await app.driver.event(message(text, ts), { retryNum: 1, retryReason: "http_timeout" });
        await app.idle();
        const edited = `${text} (edited)`;
        forbidden.push(edited);
        await app.driver.event({
          type: "message",
          subtype: "message_changed",
          channel: channelId,
          ts: nextTs(),
          message: { type: "message", user: poster, text: edited, ts, edited: { user: poster, ts: nextTs() } },
          previous_message: { type: "message", user: poster, text, ts },
        });
        await app.idle();
        expect(await leakEventsOf(key.id)).toHaveLength(1);
        expect(app.fake.callsSince(mark, "chat.postMessage")).toHaveLength(3);
        // The same key in another message is another leak.
        await app.driver.event(message(text));
        await app.idle();
        expect(await leakEventsOf(key.id)).toHaveLength(2);
      } finally {
        await answerTo(app, app.driver.command({ userId: admin, text: "security revoke", channelId }));
      }
    });

    it("revokes a key an edit keeps from the previous text when that text's key was never answered", async () => {
      const { secret } = await createKey("kept-by-edit");
      const text = `leak-${randomBytes(4).toString("hex")} ${secret}`;
      forbidden.push(secret, text);
      const ts = nextTs();
      await app.driver.event({
        type: "message",
        subtype: "message_changed",
        channel: channelId,
        ts: nextTs(),
        message: { type: "message", user: poster, text: `${text}!`, ts, edited: { user: poster, ts: nextTs() } },
        previous_message: { type: "message", user: poster, text, ts },
      });
      await app.idle();
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
    });

    it("Slack Connect: a key of this workspace pasted in a shared channel hosted by another org is revoked", async () => {
      // bolt-js#687: in a shared channel the envelope's team_id is the channel's originating workspace;
      // authorizations[0] is this installation.
      const { secret } = await createKey("in-shared-channel");
      forbidden.push(secret);
      const now = Math.floor(Date.now() / 1000);
      const response = await app.driver.send(
        {
          token: "verification",
          team_id: "T0PARTNER",
          api_app_id: "A0KEYWARD",
          type: "event_callback",
          event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
          event_time: now,
          is_ext_shared_channel: true,
          authorizations: [{ enterprise_id: null, team_id: app.fake.teamId, user_id: app.fake.botUserId, is_bot: true, is_enterprise_install: false }],
          event: {
            ...message(`pasted by a partner ${secret}`),
            user: "UPARTNER1",
            team: "T0PARTNER",
            user_team: "T0PARTNER",
            source_team: "T0PARTNER",
            event_ts: `${now}.000100`,
          },
        },
        { contentType: "application/json" },
      );
      expect(response.status).toBe(200);
      await app.idle();
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
    });

    it("still refuses a message event whose authorizations name another installation", async () => {
      const { secret } = await createKey("foreign-install");
      forbidden.push(secret);
      const before = await app.dump();
      const mark = app.fake.mark();
      const now = Math.floor(Date.now() / 1000);
      await app.driver.send(
        {
          token: "verification",
          team_id: app.fake.teamId,
          api_app_id: "A0KEYWARD",
          type: "event_callback",
          event_id: `Ev${randomBytes(5).toString("hex").toUpperCase()}`,
          event_time: now,
          authorizations: [{ enterprise_id: null, team_id: "T0PARTNER", user_id: "UBOTELSE", is_bot: true, is_enterprise_install: false }],
          event: { ...message(`elsewhere ${secret}`), event_ts: `${now}.000100` },
        },
        { contentType: "application/json" },
      );
      await app.idle();
      expect((await app.keyward.services.keys.verify(secret)).valid).toBe(true);
      expect(app.fake.callsSince(mark)).toEqual([]);
      expect(await app.dump()).toBe(before);
    });

    it("tells the Admins by DM of a leaked key no person made when there is no security channel", async () => {
      await answerTo(app, app.driver.command({ userId: admin, text: "security off", channelId }));
      try {
        const service = { ...creatorActor, userId: "key:01SERVICEKEY0000000000000", source: "api" as const };
        const { secret } = await app.keyward.services.keys.create(service, {
          name: "made-by-a-service",
          role: "Viewer",
          expiresOn: "2030-01-01",
          timeZone: "UTC",
        });
        forbidden.push(secret);
        const mark = app.fake.mark();
        await app.driver.event(message(`from a service ${secret}`));
        const opened = await app.fake.waitForCall("conversations.open", (c) => c.args.users === admin, { since: mark });
        const dm = await app.fake.waitForCall("chat.postMessage", (c) => String(c.args.channel).startsWith("D"), { since: mark });
        await app.idle();
        expect(opened.args.users).toBe(admin);
        expect(textOf(dm.args.text)).toMatch(/Leaked API key \*made-by-a-service\*.*revoked/s);
        expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
      } finally {
        await answerTo(app, app.driver.command({ userId: admin, text: `security <#${security}|security>`, channelId }));
      }
    });

    it("finds a key a bot posted in an attachment (CI logs) or in blocks, not only in the message's text", async () => {
      const inAttachment = await createKey("in-attachment");
      const inField = await createKey("in-attachment-field");
      const inBlocks = await createKey("in-rich-text");
      forbidden.push(inAttachment.secret, inField.secret, inBlocks.secret);
      await app.driver.event({
        type: "message",
        subtype: "bot_message",
        bot_id: "B0CIBOT01",
        channel: channelId,
        text: "Job #42 failed",
        attachments: [{ fallback: "log", text: `export KEYWARD_KEY=${inAttachment.secret}`, fields: [{ title: "env", value: inField.secret }] }],
        ts: nextTs(),
      });
      await app.driver.event({
        type: "message",
        channel: channelId,
        user: poster,
        text: "see below",
        blocks: [{ type: "rich_text", elements: [{ type: "rich_text_preformatted", elements: [{ type: "text", text: `KEY=${inBlocks.secret}` }] }] }],
        ts: nextTs(),
      });
      await app.idle();
      for (const { secret } of [inAttachment, inField, inBlocks]) expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
    });
  });

  it("never wrote a message's text or a key to a log line, a database row, an audit event or any call to Slack", async () => {
    expect(forbidden.length).toBeGreaterThan(10);
    const logs = app.logs.join("\n");
    const dump = await app.dump();
    const audit = JSON.stringify(await app.keyward.services.audit.latest(adminActor, 100));
    const slack = JSON.stringify(app.fake.history.map((c: RecordedCall) => ({ args: c.args, response: c.response })));
    for (const text of forbidden) {
      expect(logs).not.toContain(text);
      expect(dump).not.toContain(text);
      expect(audit).not.toContain(text);
      expect(slack).not.toContain(text);
    }
    // The logs are at trace level and were written to: the check above read something.
    expect(app.logs.length).toBeGreaterThan(0);
  });
});
