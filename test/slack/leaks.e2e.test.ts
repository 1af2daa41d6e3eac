import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/domain/key-format.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import type { Actor } from "../../src/domain/types.ts";
import { actionIds } from "../../src/slack/ids.ts";
import { encodeReplacementValue } from "../../src/slack/wire/leak-values.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
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
  /** Real time until a test moves it: the Admins hear of a refusing security channel at most once an hour. */
  const clock = new ManualClock(new Date());
  const anHour = 3600_000;
  /** Every message text and secret a test posted: none may show up anywhere the app writes. */
  const forbidden: string[] = [];

  beforeAll(async () => {
    app = await startTestApp({ clock, env: { GITLAB_REVOCATION_TOKEN: gitlabToken } });
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
  /** What the conversation itself got since the mark: every post or edit there (not DMs, not the security channel). */
  const publicPosts = (since: ReturnType<TestApp["fake"]["mark"]>) =>
    app.fake.callsSince(since).filter((c) => ["chat.postMessage", "chat.update"].includes(c.method) && c.args.channel === channelId);
  /** The key's name and role shown nowhere the whole conversation reads. */
  const expectUnnamedInPublic = (since: ReturnType<TestApp["fake"]["mark"]>, name: string) => {
    const seen = JSON.stringify(publicPosts(since).map((c) => c.args));
    expect(seen).not.toContain(name);
    expect(seen).not.toContain("Viewer");
  };
  const leakEventsOf = async (keyId: string) =>
    (await app.keyward.services.audit.latest(adminActor, 100)).filter((e) => e.action === "api_key.leak" && e.targetId === keyId);
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
    // The thread is read by everyone in the conversation: the key's last 4 (already in the message), never its name or role.
    expect(textOf(thread?.args.text)).toMatch(new RegExp(`ending …${key.last4} in this message was revoked.*delete this message`, "s"));
    expectUnnamedInPublic(mark, "pasted-in-slack");
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
    // The key still works: nothing the conversation reads says the message holds one. The poster alone is told, in the channel.
    expect(publicPosts(mark)).toEqual([]);
    expectUnnamedInPublic(mark, "alert-only-key");
    const notes = app.fake.callsSince(mark, "chat.postEphemeral");
    expect(notes.map((c) => [c.args.channel, c.args.user, c.args.thread_ts, c.response.ok])).toEqual([[channelId, poster, undefined, true]]);
    expect(textOf(notes[0]!.args.text)).toMatch(new RegExp(`ending …${key.last4}.*Please delete the message.*the key's creator and the security channel`, "s"));
    expect(textOf(notes[0]!.args)).not.toMatch(/alert-only-key|Viewer|still works/);
    expect(posts(mark).map((c) => (String(c.args.channel).startsWith("D") ? "dm" : c.args.channel))).toEqual(["dm", security]);
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
        // The creator's DM and the security channel; the poster's note, once.
        expect(app.fake.callsSince(mark, "chat.postMessage")).toHaveLength(2);
        expect(app.fake.callsSince(mark, "chat.postEphemeral")).toHaveLength(1);
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

  describe("after review 5: what the conversation reads, and a security channel that refuses", () => {
    const serviceKey = async (name: string) => {
      const service = { ...creatorActor, userId: "key:01SERVICEKEY0000000000000", source: "api" as const };
      const made = await app.keyward.services.keys.create(service, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      forbidden.push(made.secret);
      return made;
    };
    const inAlertOnly = async (run: () => Promise<void>) => {
      await answerTo(app, app.driver.command({ userId: admin, text: "security alert-only", channelId }));
      try {
        await run();
      } finally {
        await answerTo(app, app.driver.command({ userId: admin, text: "security revoke", channelId }));
      }
    };

    it("alert only: a reply's note goes to its poster in its thread; a bot's message and a refused note post nothing public", async () => {
      await inAlertOnly(async () => {
        const root = nextTs();
        const inThread = await createKey("alert-in-thread");
        const mark = app.fake.mark();
        await post(inThread.secret, { thread_ts: root });
        const [note] = app.fake.callsSince(mark, "chat.postEphemeral");
        expect(note?.args).toMatchObject({ channel: channelId, user: poster, thread_ts: root });
        expect(publicPosts(mark)).toEqual([]);
        expectUnnamedInPublic(mark, "alert-in-thread");

        // A bot posted it (CI logs): no one to tell privately, so the conversation hears nothing.
        const byBot = await createKey("alert-by-bot");
        const botMark = app.fake.mark();
        const text = `leak-${randomBytes(4).toString("hex")} ${byBot.secret}`;
        forbidden.push(text);
        await app.driver.event({ type: "message", subtype: "bot_message", bot_id: "B0CIBOT01", channel: channelId, text, ts: nextTs() });
        await app.idle();
        expect(await leakEventsOf(byBot.key.id)).toHaveLength(1);
        expect(app.fake.callsSince(botMark, "chat.postEphemeral")).toEqual([]);
        expect(publicPosts(botMark)).toEqual([]);
        expect(posts(botMark).map((c) => c.args.channel)).toContain(security);

        // Second review: an app's bot posting through chat.postMessage sends its bot user's id as `user` too,
        // with or without subtype bot_message, and an edit of its message carries both in the inner message.
        const edited = nextTs();
        for (const [index, [label, fields]] of (
          [
            ["user and bot_id", { user: "UAPPBOT01", bot_id: "B0APPBOT1" }],
            ["user, bot_id and subtype bot_message", { user: "UAPPBOT01", bot_id: "B0APPBOT1", subtype: "bot_message" }],
            ["user and subtype bot_message", { user: "UAPPBOT01", subtype: "bot_message" }],
            ["an edit whose message has user and bot_id", { subtype: "message_changed", message: { user: "UAPPBOT01", bot_id: "B0APPBOT1", ts: edited } }],
          ] as const
        ).entries()) {
          const appBot = await createKey(`alert-by-app-bot-${index}`);
          const appBotMark = app.fake.mark();
          const appText = `leak-${randomBytes(4).toString("hex")} ${appBot.secret}`;
          forbidden.push(appText);
          const inner = "message" in fields ? { message: { ...fields.message, text: appText } } : { text: appText };
          const ts = "message" in fields ? edited : nextTs();
          await app.driver.event({ type: "message", channel: channelId, ts, ...fields, ...inner });
          await app.idle();
          expect(await leakEventsOf(appBot.key.id), label).toHaveLength(1);
          expect(app.fake.callsSince(appBotMark, "chat.postEphemeral"), label).toEqual([]);
          expect(publicPosts(appBotMark), label).toEqual([]);
        }

        // Slack refuses the note: still nothing public in its place.
        const refused = await createKey("alert-note-refused");
        app.fake.failNext("chat.postEphemeral", { error: "user_not_in_channel" });
        const refusedMark = app.fake.mark();
        await post(refused.secret);
        expect(app.fake.callsSince(refusedMark, "chat.postEphemeral").map((c) => c.response.error)).toEqual(["user_not_in_channel"]);
        expect(publicPosts(refusedMark)).toEqual([]);
        expectUnnamedInPublic(refusedMark, "alert-note-refused");
      });
    });

    it("tells the Admins by DM, with Slack's reason and the fix, when the app is not in the security channel; once an hour", async () => {
      const gone = "C0LEFTSEC1";
      app.fake.addChannel({ id: gone, name: "old-security", members: [admin], botIsMember: false });
      await answerTo(app, app.driver.command({ userId: admin, text: `security <#${gone}|old-security>`, channelId }));
      try {
        clock.advance(anHour); // whatever an earlier test told the Admins
        const { secret } = await serviceKey("made-by-the-cli");
        const mark = app.fake.mark();
        await post(secret);
        expect((await app.keyward.services.keys.verify(secret)).valid).toBe(false);
        expect(app.fake.callsSince(mark, "chat.postMessage").find((c) => c.args.channel === gone)?.response.error).toBe("not_in_channel");
        expect(app.fake.callsSince(mark, "conversations.open").map((c) => c.args.users)).toEqual([admin]);
        const dm = posts(mark).find((c) => String(c.args.channel).startsWith("D"));
        expect(textOf(dm?.args.text)).toMatch(/Leaked API key \*made-by-the-cli\*.*revoked/s);
        expect(textOf(dm?.args.text)).toContain(`<#${gone}>`);
        expect(textOf(dm?.args.text)).toContain("not_in_channel");
        expect(textOf(dm?.args.text)).toContain("/invite @keyward");
        expect(textOf(dm?.args.text)).toContain("/keys security #channel");
        expectUnnamedInPublic(mark, "made-by-the-cli");

        // Second review: another leak within the hour, the channel still refusing. Audited, its creator
        // told, the channel tried again; the Admins, told already, get no more DMs (up to 10 a leak before).
        clock.advance(anHour - 1000);
        const again = await createKey("made-by-a-person-soon-after");
        forbidden.push(again.secret);
        const againMark = app.fake.mark();
        await post(again.secret);
        expect(await leakEventsOf(again.key.id)).toHaveLength(1);
        expect(app.fake.callsSince(againMark, "chat.postMessage").find((c) => c.args.channel === gone)?.response.error).toBe("not_in_channel");
        expect(app.fake.callsSince(againMark, "conversations.open").map((c) => c.args.users)).toEqual([creator]);

        // After the hour, the Admins are told again: the creator hears of it, and the Admins learn their security channel is still broken.
        clock.advance(1000);
        const byPerson = await createKey("made-by-a-person");
        forbidden.push(byPerson.secret);
        const personMark = app.fake.mark();
        await post(byPerson.secret);
        expect(app.fake.callsSince(personMark, "conversations.open").map((c) => c.args.users)).toEqual([creator, admin]);
        const dms = posts(personMark).filter((c) => String(c.args.channel).startsWith("D"));
        expect(dms.map((c) => textOf(c.args.text).includes("not_in_channel"))).toEqual([false, true]);
      } finally {
        await answerTo(app, app.driver.command({ userId: admin, text: `security <#${security}|security>`, channelId }));
      }
    });

    it("tells the Admins of a service key's leak, without the channel advice, when the security post fails for a reason the channel cannot fix (invalid_auth, missing_scope, …)", async () => {
      for (const code of ["invalid_auth", "token_revoked", "missing_scope", "invalid_blocks"]) {
        clock.advance(anHour); // no earlier notice stands in the way: nothing is sent because of the code alone
        const { secret } = await serviceKey(`security-post-${code}`);
        // The thread reply goes out; the security post is refused.
        app.fake.failNext("chat.postMessage", {});
        app.fake.failNext("chat.postMessage", { error: code });
        const mark = app.fake.mark();
        await post(secret);
        expect(
          app.fake
            .callsSince(mark, "chat.postMessage")
            .filter((c) => !String(c.args.channel).startsWith("D"))
            .map((c) => [c.args.channel, c.response.error]),
          code,
        ).toEqual([
          [channelId, undefined],
          [security, code],
        ]);
        expect((await app.keyward.services.keys.verify(secret)).valid, code).toBe(false);
        // No person made the key and the security post failed: nobody else heard of it, so the Admins do,
        // with the leak only (inviting the app or changing the channel would not cure this code).
        expect(
          app.fake.callsSince(mark, "conversations.open").map((c) => c.args.users),
          code,
        ).toEqual([admin]);
        const dm = posts(mark).find((c) => String(c.args.channel).startsWith("D"));
        expect(textOf(dm?.args.text), code).toContain(`security-post-${code}`);
        expect(textOf(dm?.args.text), code).not.toContain("/invite @keyward");
        // Only logged, by its code.
        expect(
          app.logs.some((line) => line.includes(code) && line.includes("security channel post")),
          code,
        ).toBe(true);
      }
    });

    it("tells the Admins of a service key's leak, without the channel advice, when the security channel's refusal is a passing one", async () => {
      clock.advance(anHour);
      const { secret } = await serviceKey("security-slack-hiccup");
      // The thread reply and the security post, both refused for a passing reason.
      app.fake.failNext("chat.postMessage", { error: "internal_error", times: 2 });
      const mark = app.fake.mark();
      await post(secret);
      expect(
        app.fake
          .callsSince(mark, "chat.postMessage")
          .filter((c) => !String(c.args.channel).startsWith("D"))
          .map((c) => [c.args.channel, c.response.error]),
      ).toEqual([
        [channelId, "internal_error"],
        [security, "internal_error"],
      ]);
      expect(app.fake.callsSince(mark, "conversations.open").map((c) => c.args.users)).toEqual([admin]);
      expect(textOf(posts(mark).find((c) => String(c.args.channel).startsWith("D"))?.args.text)).not.toContain("/invite @keyward");
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
