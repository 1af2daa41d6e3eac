import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelId, signingSecret, type TestApp } from "../support/app-harness.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { createSlackDriver, FORM_CONTENT_TYPE, type SlackDriver } from "../support/slack-driver.ts";
import { answerTo, textOf } from "../slack/slack-flow-helpers.ts";

// Not the driver's and fake's default (T00000001): the served team can only come from auth.test.
const servedTeam = "T0SERVED01";
const otherTeam = "T00000001";
const noRole = /no keyward role/;
const refusal = "Slack request for a workspace keyward does not serve ignored";

/**
 * Waits until the app has logged `count` refusals since the mark (events are acknowledged before
 * the guard runs) and has finished those requests: what they did not do by then, they never do.
 */
async function refusals(app: TestApp, count: number, since: number): Promise<void> {
  await app.waitForLogs(refusal, count, { since });
  await app.idle();
}

/** /keys help as `userId`, through `driver`; the ephemeral answer's text. */
async function helpFor(app: TestApp, userId: string, driver: SlackDriver = app.driver): Promise<string> {
  const ack = await driver.command({ userId, text: "help", channelId });
  expect(ack.status).toBe(200);
  const answer = await driver.waitForResponse(ack);
  return textOf(answer?.body);
}

describe("keyward serves the workspace of its bot token only", () => {
  let foreign: SlackDriver;
  const admin = "USRVADMIN1";
  const member = "USRVMEMB01";
  const { app, admin: actor } = useSlackApp({
    fake: { teamId: servedTeam },
    env: { KEYWARD_ADMINS: "UCFGADMIN1,UCFGFORGN1" },
    people: [
      { id: admin, isAdmin: true },
      { id: member, role: "Member" },
    ],
  });

  beforeAll(async () => {
    foreign = await createSlackDriver({ appUrl: `${app.keyward.url}/slack/events`, signingSecret, fakeSlack: app.fake, teamId: otherTeam });
    await app.keyward.services.access.actorForUser(servedTeam, member, { isWorkspaceAdmin: false }, "slack");
    await app.keyward.services.keys.create(actor, { name: "served-key", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
  });
  afterAll(async () => {
    await foreign?.close();
  });

  it("takes the served team from auth.test: the fake's team is served", async () => {
    expect(app.fake.teamId).toBe(servedTeam);
    expect(await helpFor(app, admin)).toContain("Your role here is *Admin*");
  });

  it("a signed command naming another team is refused: a short answer, no Slack call, nothing written", async () => {
    const before = await app.dump();
    const calls = app.fake.mark();
    const seen = app.logMark();
    const ack = await foreign.command({ userId: admin, text: "create", channelId });
    expect(ack.status).toBe(200);
    expect(textOf(ack.json)).toMatch(/not installed for this workspace/);
    await refusals(app, 1, seen);
    expect(app.fake.callsSince(calls)).toHaveLength(0);
    expect(foreign.responses).toHaveLength(0);
    expect(await app.dump()).toBe(before);
    const line = app.logs.slice(seen).find((l) => l.includes(refusal))!;
    expect(line).not.toContain("create"); // no payload contents in the log
  });

  it("a command naming the served team but another enterprise is refused", async () => {
    const before = await app.dump();
    const seen = app.logMark();
    const fields = {
      team_id: servedTeam,
      enterprise_id: "E0OTHER001",
      user_id: admin,
      command: "/keys",
      text: "help",
      channel_id: channelId,
      trigger_id: app.fake.issueTrigger(),
      response_url: app.driver.responseUrl(),
    };
    const ack = await app.driver.send(new URLSearchParams(fields).toString(), { contentType: FORM_CONTENT_TYPE });
    expect(ack.status).toBe(200);
    expect(textOf(ack.json)).toMatch(/not installed for this workspace/);
    await refusals(app, 1, seen);
    expect(await app.dump()).toBe(before);
  });

  it("a button and a form submission naming another team are acknowledged and change nothing", async () => {
    const key = await app.keyward.db.prisma.apiKey.findFirstOrThrow({ where: { name: "served-key" } });
    const before = await app.dump();
    const calls = app.fake.mark();
    const seen = app.logMark();
    const click = await foreign.blockAction({
      userId: admin,
      actionId: "keyward.key.delete",
      blockId: "x",
      value: key.id,
      messageTs: "1790000000.000100",
      message: { blocks: [] },
      channelId,
    });
    expect(click.status).toBe(200);
    const view = {
      type: "modal",
      callback_id: "keyward.key.edit",
      private_metadata: JSON.stringify({ keyId: key.id }),
      blocks: [{ type: "input", block_id: "name", label: { type: "plain_text", text: "Name" }, element: { type: "plain_text_input", action_id: "value" } }],
    };
    const submit = await foreign.viewSubmission({ userId: admin, view, answers: { name: { value: "hijacked" } } });
    expect(submit.status).toBe(200);
    expect(submit.body).toBe("");
    await refusals(app, 2, seen);
    expect(app.fake.callsSince(calls)).toHaveLength(0);
    expect(foreign.responses).toHaveLength(0);
    expect(await app.dump()).toBe(before);
  });

  it("events naming another team change nothing: user_change, app_home_opened", async () => {
    const before = await app.dump();
    const calls = app.fake.mark();
    const seen = app.logMark();
    expect((await foreign.event({ type: "user_change", user: { id: member, team_id: otherTeam, deleted: true } } as never)).status).toBe(200);
    expect((await foreign.event({ type: "user_change", user: { id: member, team_id: servedTeam, deleted: true } } as never)).status).toBe(200);
    expect((await foreign.event({ type: "app_home_opened", user: admin, channel: "D0HOME0001", tab: "home" } as never)).status).toBe(200);
    await refusals(app, 3, seen);
    expect(app.fake.callsSince(calls)).toHaveLength(0);
    expect(await app.dump()).toBe(before);
  });

  it("a user_change about a person of another organisation, delivered to the served team, changes nothing", async () => {
    const before = await app.dump();
    const seen = app.logMark();
    await app.driver.event({ type: "user_change", user: { id: member, team_id: otherTeam, deleted: true } } as never);
    await app.driver.event({ type: "user_change", user: { id: member, team_id: servedTeam, is_stranger: true, deleted: true } } as never);
    await refusals(app, 2, seen);
    expect(await app.dump()).toBe(before);
    expect(await app.keyward.db.prisma.roleAssignment.findFirst({ where: { userId: member } })).not.toBeNull();
  });

  it("a user of another team who is admin there gets no role here, and nothing is recorded for them", async () => {
    const outsider = app.addUser({ id: "UFOREIGN01", teamId: otherTeam, isAdmin: true, isOwner: true });
    expect(await helpFor(app, outsider)).toMatch(noRole);
    expect(await app.keyward.db.prisma.member.findFirst({ where: { userId: outsider } })).toBeNull();
    const answer = await answerTo(app, app.driver.command({ userId: outsider, text: "list", channelId }));
    expect(textOf(answer.body)).not.toContain("served-key");
  });

  it("a Slack Connect stranger gets no role, even when assigned one or named an admin", async () => {
    const stranger = app.addUser({ id: "USTRANGER1", isStranger: true, isAdmin: true });
    const actor = await app.keyward.services.access.actorForUser(servedTeam, admin, { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.roles.assign(actor, stranger, "Manager");
    expect(await helpFor(app, stranger)).toMatch(noRole);
  });

  it("KEYWARD_ADMINS: Admin when Slack places the id here; an id of another org is not", async () => {
    app.addUser({ id: "UCFGADMIN1" });
    app.addUser({ id: "UCFGFORGN1", teamId: otherTeam });
    expect(await helpFor(app, "UCFGADMIN1")).toContain("Your role here is *Admin*");
    expect(await helpFor(app, "UCFGFORGN1")).toMatch(noRole);
  });

  it("a member of the served team is served as before", async () => {
    expect(await helpFor(app, member)).toContain("Your role here is *Member*");
  });
});

describe("on Enterprise Grid", () => {
  const { app } = useSlackApp({ fake: { teamId: "T0GRIDHOME", enterpriseId: "E0GRID0001" } });

  it("a person of another workspace in the same org is served, but their own workspace's admin status is not Admin here", async () => {
    const sister = app.addUser({ id: "UGRIDSIS01", teamId: "T0GRIDSIS1", isAdmin: true });
    expect(await helpFor(app, sister)).toMatch(noRole);
    const admin = app.addUser({ id: "UGRIDADM02", isAdmin: true });
    expect(await helpFor(app, admin)).toContain("Your role here is *Admin*");
  });

  it("a user_change saying a sister workspace's admin is admin records no admin here; the served team's admin, yes", async () => {
    const member = (userId: string) => app.keyward.db.prisma.member.findUnique({ where: { workspaceId_userId: { workspaceId: "T0GRIDHOME", userId } } });
    await app.driver.event({
      type: "user_change",
      user: { id: "UGRIDSIS02", team_id: "T0GRIDSIS1", is_admin: true, enterprise_user: { enterprise_id: "E0GRID0001", is_admin: false } },
    } as never);
    await app.driver.event({
      type: "user_change",
      user: { id: "UGRIDADM03", team_id: "T0GRIDHOME", is_admin: true, enterprise_user: { enterprise_id: "E0GRID0001" } },
    } as never);
    // Events are acknowledged before their listener runs: what they record is there once the app has finished them.
    await app.idle();
    expect(await member("UGRIDADM03")).toMatchObject({ isWorkspaceAdmin: true });
    expect(await member("UGRIDSIS02")).toMatchObject({ isWorkspaceAdmin: false });
  });

  it("a person of another org is not, whatever their team says", async () => {
    const outsider = app.addUser({ id: "UGRIDOUT01", teamId: "T0GRIDOUT1", enterpriseId: "E0OTHER001", isAdmin: true });
    expect(await helpFor(app, outsider)).toMatch(noRole);
  });

  it("a request naming the served org and team is served; another org's is refused", async () => {
    const admin = app.addUser({ id: "UGRIDADM01", isAdmin: true });
    const fields = (enterprise: string) => ({
      team_id: "T0GRIDHOME",
      enterprise_id: enterprise,
      user_id: admin,
      command: "/keys",
      text: "help",
      channel_id: channelId,
      trigger_id: app.fake.issueTrigger(),
      response_url: app.driver.responseUrl(),
    });
    const servedFields = fields("E0GRID0001");
    const served = await app.driver.send(new URLSearchParams(servedFields).toString(), { contentType: FORM_CONTENT_TYPE });
    expect(served.status).toBe(200);
    expect(served.body).toBe("");
    const answer = await app.driver.waitForResponse(servedFields.response_url);
    expect(textOf(answer.body)).toContain("Your role here is *Admin*");
    const refused = await app.driver.send(new URLSearchParams(fields("E0OTHER001")).toString(), { contentType: FORM_CONTENT_TYPE });
    expect(textOf(refused.json)).toMatch(/not installed for this workspace/);
  });
});
