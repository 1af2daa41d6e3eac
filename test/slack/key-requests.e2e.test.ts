import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";
import {
  answerTo,
  expectEveryMessageHasText,
  expectNoRawKeyIds,
  expectSecretOnlyDeliveredOnce,
  findBlock,
  modalFor,
  secretIn,
  textOf,
} from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

/**
 * Issue 14 part 1: key requests through the real receiver. Someone asks for a key they may not
 * create; an approver (who could create it, never the requester) decides once, in the approvals
 * channel or by DM; the key goes to the requester alone, once. Run on PGlite and, with
 * TEST_DATABASE_URL, on PostgreSQL, where two concurrent approvals are two transactions.
 */
describe.each(databaseKinds())("key requests through the real receiver (%s)", (kind) => {
  const admin = "UREQADMN";
  const configuredAdmin = "UREQKWAD";
  const manager = "UREQMGR1";
  const manager2 = "UREQMGR2";
  const nobody = "UREQNOBO";
  const stranger = "UREQSTRG";
  const approvals = "C0APPROVE";
  const clock = new ManualClock(new Date("2026-12-02T12:00:00Z"));
  let db: TestDatabase | undefined;
  let app: TestApp;
  let adminActor: Actor;
  let restKey: string;

  beforeAll(async () => {
    if (kind === "postgres") db = await createTestDatabase("postgres");
    app = await startTestApp({ clock, env: { KEYWARD_ADMINS: configuredAdmin }, ...(db ? { databaseUrl: db.url! } : {}) });
    app.addUser({ id: admin, isOwner: true });
    for (const id of [configuredAdmin, manager, manager2, nobody]) app.addUser({ id });
    app.addUser({ id: stranger, isStranger: true, teamId: "TOTHERORG" });
    app.fake.addChannel({ id: approvals, name: "approvals", members: [admin, manager, manager2], botIsMember: true });
    adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
    for (const id of [manager, manager2]) await app.keyward.services.roles.assign(adminActor, id, "Manager");
    restKey = (await app.keyward.services.keys.create(adminActor, { name: "rest-reader", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
    // Everyone has been seen once, so a refused click later writes nothing (no first-contact rows).
    for (const id of [admin, configuredAdmin, manager, manager2, nobody]) await answerTo(app, app.driver.command({ userId: id, text: "help", channelId }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  /** Opens the request form with `text` (`request`, or `create` for someone who may create nothing) and submits it. */
  async function requestThroughSlack(userId: string, answers: { role: string; name: string; reason?: string; kind?: string }, text = "request") {
    const view = await modalFor(app, await app.driver.command({ userId, text, channelId }));
    expect(view.callback_id).toBe("keyward.request.create");
    const options = (findBlock(view, "role").element as { options: Array<{ text: { text: string }; value: string }> }).options;
    const mark = app.fake.mark();
    const submitted = await app.driver.viewSubmission({
      userId,
      view,
      answers: {
        role: { value: options.find((o) => o.text.text === answers.role)?.value ?? "none" },
        name: { value: answers.name },
        reason: { value: answers.reason ?? "CI needs it" },
        ...(answers.kind ? { kind: { value: answers.kind } } : {}),
      },
    });
    await app.idle();
    return { view, submitted, mark };
  }

  /** The request messages posted since `mark` (channel or DMs), with their channel and ts. */
  function postedRequests(mark: ReturnType<TestApp["fake"]["mark"]>): Array<{ channel: string; ts: string; call: RecordedCall }> {
    return app.fake
      .callsSince(mark, "chat.postMessage")
      .filter((c) => c.response.ok && textOf(c.args).includes("keyward.request.approve"))
      .map((c) => ({ channel: c.response.channel as string, ts: c.response.ts as string, call: c }));
  }

  function buttonValue(call: RecordedCall, actionId: string): string {
    const actions = (call.args.blocks as Json[]).find((b) => b.block_id === "request_actions")!;
    return ((actions.elements as Json[]).find((e) => e.action_id === actionId)!.value as string) ?? "";
  }

  const press = (userId: string, message: { channel: string; ts: string; call: RecordedCall }, actionId = "keyward.request.approve") =>
    app.driver.blockAction({
      userId,
      actionId,
      blockId: "request_actions",
      value: buttonValue(message.call, actionId),
      channelId: message.channel,
      messageTs: message.ts,
    });

  const requestRow = (name: string) => app.keyward.db.prisma.keyRequest.findFirstOrThrow({ where: { name } });

  /** Denies what a test left pending (through the domain, as an Admin), so every test counts only its own requests. */
  async function settle(...names: string[]) {
    for (const name of names) await app.keyward.services.keyRequests.deny(adminActor, (await requestRow(name)).id, "test over");
  }

  it("sets the approvals channel (Admins only, audited) and shows it to anyone", async () => {
    const dump = await app.dump();
    const refused = await answerTo(app, app.driver.command({ userId: manager, text: `approvals <#${approvals}|approvals>`, channelId }));
    expect(textOf(refused.body)).toContain("You do not have permission to set the approvals channel");
    await app.idle();
    expect(await app.dump()).toBe(dump);
    const set = await answerTo(app, app.driver.command({ userId: admin, text: `approvals <#${approvals}|approvals>`, channelId }));
    expect(textOf(set.body)).toContain(`<#${approvals}>`);
    const shown = await answerTo(app, app.driver.command({ userId: nobody, text: "approvals", channelId }));
    expect(textOf(shown.body)).toContain(`<#${approvals}>`);
    // A #name typed by hand arrives as text: only the channel typed in can be matched to it.
    const elsewhere = await answerTo(app, app.driver.command({ userId: admin, text: "approvals #somewhere-else", channelId }));
    expect(textOf(elsewhere.body)).toContain("cannot look channels up by name");
    const byName = await answerTo(app, app.driver.command({ userId: admin, text: `approvals #${approvals.toLowerCase()}`, channelId: approvals }));
    expect(textOf(byName.body)).toContain(`<#${approvals}>`);
    const events = await app.keyward.db.prisma.auditEvent.findMany({ where: { action: "workspace.set_approvals_channel" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toMatchObject({ channel: approvals, previous: null });
  });

  it("tells everyone of /keys request and Admins of /keys approvals in help", async () => {
    const help = async (userId: string) => textOf((await answerTo(app, app.driver.command({ userId, text: "help", channelId }))).body);
    expect(await help(nobody)).toContain("/keys request");
    expect(await help(manager)).toContain("/keys request");
    expect(await help(manager)).not.toContain("/keys approvals");
    expect(await help(admin)).toContain("/keys approvals");
  });

  it("a person with no role asks for a Manager key; a Manager approves in the channel; the secret reaches the requester alone, once", async () => {
    // /keys create by someone who may create no key opens the request form, saying why.
    const { view, submitted, mark } = await requestThroughSlack(nobody, { role: "Manager", name: "deploy-robot", reason: "Deploys from CI" }, "create");
    expect(textOf(view)).toContain("You may not create keys yourself");
    expect(submitted.json).toMatchObject({ response_action: "update" });
    expect(textOf(submitted.json)).toContain(`<#${approvals}>`);
    const [message, ...others] = postedRequests(mark);
    expect(others).toEqual([]);
    expect(message!.channel).toBe(approvals);
    const asked = textOf(message!.call.args);
    for (const fact of [`<@${nobody}>`, "deploy-robot", "Manager", "Deploys from CI", "<!date^"]) expect(asked).toContain(fact);
    expect(message!.call.violations).toEqual([]);

    const before = app.fake.mark();
    const answer = await answerTo(app, press(manager, message!));
    await app.idle();
    expect(textOf(answer.body)).toContain("Approved");
    expect(textOf(answer.body)).not.toMatch(/kw_[0-9A-Za-z]{20}/);
    // The secret: one ephemeral, to the requester, in the channel where they typed.
    const deliveries = app.fake.callsSince(before, "chat.postEphemeral").filter((c) => secretIn(c));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.args).toMatchObject({ channel: channelId, user: nobody });
    const secret = secretIn(deliveries[0]!)!;
    // The one-time message says where the key comes from.
    expect(textOf(deliveries[0]!.args)).toContain(`Your request for *deploy-robot* was approved by <@${manager}>`);
    await expectSecretOnlyDeliveredOnce(app, secret);
    const verified = await app.keyward.services.keys.verify(secret);
    expect(verified).toMatchObject({ valid: true, key: { name: "deploy-robot", roleName: "Manager", createdBy: nobody } });
    // The channel's message now says who approved, without buttons.
    const updated = app.fake.getMessage(message!.channel, message!.ts)!;
    expect(textOf(updated)).toContain(`Approved by <@${manager}>`);
    expect(textOf(updated)).not.toContain("keyward.request.approve");
    const row = await requestRow("deploy-robot");
    expect(row).toMatchObject({ status: "approved", decidedBy: manager, requestedBy: nobody, keyId: (verified as { key: { id: string } }).key.id });
    const created = await app.keyward.db.prisma.auditEvent.findFirstOrThrow({ where: { action: "api_key.create", targetName: "deploy-robot" } });
    expect(created.details).toMatchObject({ approvedBy: manager, requestedBy: nobody, requestId: row.id });
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: { in: ["key_request.create", "key_request.approve"] }, targetId: row.id } })).toBe(
      2,
    );

    // Over REST: the request and its decision.
    const rest = (query: string) => fetch(`${app.keyward.url}/api/v1/key-requests${query}`, { headers: { authorization: `Bearer ${restKey}` } });
    expect((await rest("?status=granted")).status).toBe(422);
    const res = await rest("?status=approved&limit=1");
    expect(res.status).toBe(200);
    const page = (await res.json()) as { data: Json[]; nextCursor: string | null };
    expect(page.data).toHaveLength(1);
    expect(page.nextCursor).toBeNull();
    expect(page.data.find((r) => r.name === "deploy-robot")).toMatchObject({
      role: { name: "Manager" },
      requestedBy: nobody,
      status: "approved",
      decidedBy: manager,
      reason: "Deploys from CI",
      kind: "service",
    });
  });

  it("a denial asks why and tells the requester the reason; the message says who denied and why", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "peek-bot" });
    const [message] = postedRequests(mark);
    const form = await modalFor(app, await press(manager, message!, "keyward.request.open_deny"));
    expect(form.callback_id).toBe("keyward.request.deny");
    const dump = await app.dump();
    const empty = await app.driver.viewSubmission({ userId: manager, view: form, answers: { reason: { value: "  " } } });
    expect(empty.json).toMatchObject({ response_action: "errors", errors: { reason: expect.any(String) } });
    await app.idle();
    expect(await app.dump()).toBe(dump);
    const since = app.fake.mark();
    const denied = await app.driver.viewSubmission({ userId: manager, view: form, answers: { reason: { value: "Use the shared read key" } } });
    expect(denied.json).toMatchObject({ response_action: "update" });
    await app.idle();
    const told = app.fake.callsSince(since, "chat.postMessage").filter((c) => c.args.channel === nobody);
    expect(told).toHaveLength(1);
    expect(textOf(told[0]!.args)).toContain("Use the shared read key");
    expect(textOf(told[0]!.args)).toContain(`denied by <@${manager}>`);
    const updated = textOf(app.fake.getMessage(message!.channel, message!.ts));
    expect(updated).toContain(`Denied by <@${manager}>`);
    expect(updated).toContain("Use the shared read key");
    const row = await requestRow("peek-bot");
    expect(row).toMatchObject({ status: "denied", decidedBy: manager, denyReason: "Use the shared read key", keyId: null });
    const events = await app.keyward.db.prisma.auditEvent.findMany({ where: { action: "key_request.deny", targetId: row.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorId: manager, source: "slack", details: { requestedBy: nobody, reason: "Use the shared read key" } });
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "peek-bot" } })).toBe(0);
  });

  it("two approvals at once make one key; the other approver is told who decided", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "race-bot" });
    const [message] = postedRequests(mark);
    const before = app.fake.mark();
    const [a, b] = await Promise.all([press(manager, message!), press(manager2, message!)]);
    const answers = [textOf((await app.driver.waitForResponse(a)).body), textOf((await app.driver.waitForResponse(b)).body)];
    await app.idle();
    expect(answers.filter((t) => t.includes(":white_check_mark: Approved"))).toHaveLength(1);
    const loser = answers.find((t) => t.includes("already approved"))!;
    expect(loser).toBeDefined();
    const row = await requestRow("race-bot");
    expect(loser).toContain(`<@${row.decidedBy}>`);
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "race-bot" } })).toBe(1);
    const deliveries = app.fake.callsSince(before, "chat.postEphemeral").filter((c) => secretIn(c));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.args.user).toBe(nobody);
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "key_request.approve", targetId: row.id } })).toBe(1);
  });

  it("refuses a Manager approving a request for an Admin key, and a requester approving their own; nothing written", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Admin", name: "root-bot" });
    const [forAdmin] = postedRequests(mark);
    let dump = await app.dump();
    const refused = textOf((await answerTo(app, press(manager, forAdmin!))).body);
    await app.idle();
    expect(refused).toContain("grants permissions you do not hold");
    expect(await app.dump()).toBe(dump);
    // Deny is refused the same way, before any form opens.
    const denyRefused = textOf((await answerTo(app, press(manager, forAdmin!, "keyward.request.open_deny"))).body);
    expect(denyRefused).toContain("grants permissions you do not hold");
    expect(await app.dump()).toBe(dump);

    // A Manager asks for a key (they could create it, but may still ask) and presses Approve themselves.
    const own = await requestThroughSlack(manager, { role: "Viewer", name: "own-bot" });
    const [mine] = postedRequests(own.mark);
    dump = await app.dump();
    const self = textOf((await answerTo(app, press(manager, mine!))).body);
    await app.idle();
    expect(self).toContain("You cannot decide your own request");
    // Spoken to an approver: no "ask a keyward Admin".
    expect(self).not.toContain("Ask a keyward Admin");
    expect(refused).toContain("Leave it to an approver who holds them, or deny it.");
    expect(refused).not.toContain("Choose a role whose permissions you hold yourself");
    expect(await app.dump()).toBe(dump);
    expect((await requestRow("own-bot")).status).toBe("pending");
    // Decided here, so no later test counts them.
    await settle("root-bot", "own-bot");
  });

  it("refuses a Slack Connect stranger's request, writing nothing", async () => {
    const dump = await app.dump();
    const view = await modalFor(app, await app.driver.command({ userId: stranger, text: "request", channelId }));
    expect(textOf(view)).toContain("Only members of this workspace can ask for keys here");
    expect(await app.dump()).toBe(dump);
  });

  it("without an approvals channel asks each Admin by DM, and the decision updates every DM", async () => {
    await answerTo(app, app.driver.command({ userId: admin, text: "approvals off", channelId }));
    const { submitted, mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "dm-bot" });
    expect(textOf(submitted.json)).toContain("keyward Admins by DM");
    const messages = postedRequests(mark);
    expect(messages.length).toBe(2);
    const opened = app.fake.callsSince(mark, "conversations.open");
    expect(opened.map((c) => c.args.users)).toEqual(expect.arrayContaining([admin, configuredAdmin]));
    expect(opened.map((c) => c.args.users)).not.toContain(nobody);
    const adminDm = (opened.find((c) => c.args.users === admin)!.response.channel as Json).id;
    const target = messages.find((m) => m.channel === adminDm)!;
    expect(target).toBeDefined();
    const answer = textOf((await answerTo(app, press(admin, target))).body);
    await app.idle();
    expect(answer).toContain("Approved");
    for (const m of messages) expect(textOf(app.fake.getMessage(m.channel, m.ts))).toContain(`Approved by <@${admin}>`);
  });

  it("expires a request after 7 days: the message says so and a later click is refused, writing nothing", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "slow-bot" });
    const [message] = postedRequests(mark);
    clock.advance(6 * 86_400_000);
    expect(await app.keyward.keyRequestPass()).toBe(0);
    clock.advance(86_400_000 + 60_000);
    // The tests before decided (or settled) their own requests: this one is the only one pending, and expires once.
    expect(await app.keyward.db.prisma.keyRequest.findMany({ where: { status: "pending" }, select: { name: true } })).toEqual([{ name: "slow-bot" }]);
    const told = app.fake.mark();
    expect(await app.keyward.keyRequestPass()).toBe(1);
    expect(await app.keyward.keyRequestPass()).toBe(0);
    // The requester hears it, by DM, once.
    const dms = app.fake.callsSince(told, "chat.postMessage").filter((c) => c.args.channel === nobody);
    expect(dms).toHaveLength(1);
    expect(textOf(dms[0]!.args)).toContain("Your request for the key *slow-bot* expired");
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).toContain("Expired");
    const row = await requestRow("slow-bot");
    expect(row).toMatchObject({ status: "expired", decidedBy: "keyward" });
    expect(await app.keyward.db.prisma.auditEvent.findFirstOrThrow({ where: { action: "key_request.expire", targetId: row.id } })).toMatchObject({
      source: "scheduler",
    });
    const dump = await app.dump();
    const late = textOf((await answerTo(app, press(admin, message!))).body);
    await app.idle();
    expect(late).toContain("has expired");
    expect(await app.dump()).toBe(dump);
  });

  it("an approved key whose secret reaches nobody is removed again; requester and approver are told", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "lost-bot" });
    const [message] = postedRequests(mark);
    // The channel and the DM both refuse the ephemeral.
    app.fake.failNext("chat.postEphemeral", { error: "channel_not_found", times: 4 });
    const since = app.fake.mark();
    const answer = textOf((await answerTo(app, press(admin, message!))).body);
    await app.idle();
    expect(answer).toContain("could not be shown");
    const row = await requestRow("lost-bot");
    expect(row.status).toBe("undelivered");
    const key = await app.keyward.db.prisma.apiKey.findUniqueOrThrow({ where: { id: row.keyId! } });
    expect(key.deletedAt).not.toBeNull();
    const told = app.fake.callsSince(since, "chat.postMessage").filter((c) => c.args.channel === nobody);
    expect(textOf(told.map((c) => c.args))).toContain("removed again");
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).toContain("could not be shown");
    expect(app.fake.callsSince(since).filter((c) => secretIn(c) && c.response.ok)).toEqual([]);
  });

  it("keeps a decision whose message update Slack refused for a passing reason, and rewrites the message on the next pass", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "flaky-bot" });
    const [message] = postedRequests(mark);
    // 500s for the update and both of the client's retries.
    app.fake.failNext("chat.update", { status: 500, times: 3 });
    const answer = textOf((await answerTo(app, press(admin, message!))).body);
    await app.idle();
    expect(answer).toContain("Approved");
    expect(await app.keyward.db.prisma.keyRequest.findFirstOrThrow({ where: { name: "flaky-bot" } })).toMatchObject({
      status: "approved",
      messagesStale: true,
    });
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).toContain("keyward.request.approve");
    await app.keyward.keyRequestPass();
    expect(textOf(app.fake.getMessage(message!.channel, message!.ts))).toContain(`Approved by <@${admin}>`);
    expect((await app.keyward.db.prisma.keyRequest.findFirstOrThrow({ where: { name: "flaky-bot" } })).messagesStale).toBe(false);
  });

  it("sent Slack no key id and a top-level text with every message", () => {
    expectNoRawKeyIds(app);
    expectEveryMessageHasText(app);
  });

  it("states the policy in the request form (limit, capped default day, required description) and refuses beyond it inline, writing nothing", async () => {
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: 30, personal: 30 }, requireDescription: true });
    const view = await modalFor(app, await app.driver.command({ userId: nobody, text: "request", channelId }));
    const date = findBlock(view, "expires_on") as Json;
    const hint = (date.hint as Json).text as string;
    const lastDay = /At most 30 days: by (\d{4}-\d{2}-\d{2})\./.exec(hint)?.[1];
    expect(lastDay).toBeDefined();
    expect((date.element as Json).initial_date).toBe(lastDay);
    expect((findBlock(view, "description") as Json).optional).toBe(false);
    const viewer = ((findBlock(view, "role") as Json).element as { options: Array<{ text: { text: string }; value: string }> }).options.find(
      (o) => o.text.text === "Viewer",
    )!.value;
    const dump = await app.dump();
    const refused = await app.driver.viewSubmission({
      userId: nobody,
      view,
      answers: {
        role: { value: viewer },
        name: { value: "beyond-bot" },
        description: { value: "x" },
        reason: { value: "r" },
        expires_on: { value: "2030-01-01" },
      },
    });
    expect(refused.json).toMatchObject({ response_action: "errors", errors: { expires_on: expect.stringContaining("At most 30 days") } });
    await app.idle();
    expect(await app.dump()).toBe(dump);
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: null, personal: null }, requireDescription: false });
  });

  it("four eyes through Slack: the gated role is marked in the create form, and creating it turns the form into the request, filled in", async () => {
    await app.keyward.services.policies.update(adminActor, { approvalRoles: ["Viewer"] });
    const view = await modalFor(app, await app.driver.command({ userId: manager, text: "create", channelId }));
    expect(view.callback_id).toBe("keyward.key.create");
    const role = findBlock(view, "role") as Json;
    expect((role.hint as Json).text).toContain("/keys request");
    const viewer = ((role.element as Json).options as Json[]).find((o) => (o.text as Json).text === "Viewer")!;
    expect((viewer.description as Json).text).toContain("Needs approval");
    const dump = await app.dump();
    const submitted = await app.driver.viewSubmission({
      userId: manager,
      view,
      answers: { name: { value: "gated-bot" }, description: { value: "reads the key list" }, role: { value: viewer.value as string } },
    });
    const answer = submitted.json as Json;
    expect(answer.response_action).toBe("update");
    const requestView = answer.view as Json;
    expect(requestView.callback_id).toBe("keyward.request.create");
    expect(textOf(requestView)).toContain("need someone else's approval");
    expect(((findBlock(requestView, "name") as Json).element as Json).initial_value).toBe("gated-bot");
    expect((((findBlock(requestView, "role") as Json).element as Json).initial_option as Json).value).toBe(viewer.value);
    await app.idle();
    expect(await app.dump()).toBe(dump);
    // Only the reason is left to give; an Admin approves.
    const mark = app.fake.mark();
    const sent = await app.driver.viewSubmission({ userId: manager, view: requestView as never, answers: { reason: { value: "the nightly export" } } });
    expect(sent.json).toMatchObject({ response_action: "update" });
    await app.idle();
    expect(await requestRow("gated-bot")).toMatchObject({ status: "pending", requestedBy: manager, description: "reads the key list" });
    const messages = postedRequests(mark);
    expect(messages.length).toBeGreaterThan(0);
    const target = messages.find((m) => m.call.args.channel !== manager) ?? messages[0]!;
    expect(textOf((await answerTo(app, press(admin, target))).body)).toContain("Approved");
    await app.idle();
    expect(await app.keyward.db.prisma.apiKey.count({ where: { name: "gated-bot", createdBy: manager, deletedAt: null } })).toBe(1);
    await app.keyward.services.policies.update(adminActor, { approvalRoles: [] });
  });

  it("an approval the policy refuses (its maximum lowered since the request) tells the approver why and offers Deny; nothing written", async () => {
    const { mark } = await requestThroughSlack(nobody, { role: "Viewer", name: "late-policy-bot" });
    const [message] = postedRequests(mark);
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: 30 } });
    const dump = await app.dump();
    const answer = await answerTo(app, press(admin, message!));
    await app.idle();
    expect(textOf(answer.body)).toContain("cannot be approved as asked: the workspace policy changed");
    expect(await app.dump()).toBe(dump);
    const blocks = (answer.body as { blocks: Json[] }).blocks;
    const deny = ((blocks.find((b) => b.block_id === "request_actions")!.elements as Json[]) ?? []).find((e) => e.action_id === "keyward.request.open_deny")!;
    const form = await modalFor(
      app,
      await app.driver.blockAction({
        userId: admin,
        actionId: "keyward.request.open_deny",
        blockId: "request_actions",
        value: deny.value as string,
        channelId: message!.channel,
      }),
    );
    expect(form.callback_id).toBe("keyward.request.deny");
    await app.keyward.services.policies.update(adminActor, { maxLifetimeDays: { service: null } });
    await settle("late-policy-bot");
  });
});
