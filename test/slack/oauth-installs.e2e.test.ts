import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/types.ts";
import { channelId, oauthClient } from "../support/app-harness.ts";
import type { RecordedCall } from "../support/fake-slack.ts";
import { ManualClock } from "../support/fixed-runtime.ts";
import { finishInstall, installWorkspace, startInstall } from "../support/oauth-install.ts";
import { useSlackApp } from "../support/slack-e2e.ts";
import { textOf } from "./slack-flow-helpers.ts";

const teamA = { teamId: "T0AAAA0001", teamName: "Alpha", installerUserId: "UAADMIN01" };
const teamB = { teamId: "T0BBBB0001", teamName: "Beta", installerUserId: "UBADMIN01" };
const org = { enterpriseId: "E0GRID0001", enterpriseName: "Grid", isEnterpriseInstall: true, installerUserId: "UGADMIN01" };
const gridTeams = ["T0GRID0001", "T0GRID0002"];

/** SLACK-NOTES §9 / SPEC rule 13: every workspace installed through OAuth is served with its own token, and only those. */
describe("OAuth installs through the real receiver", () => {
  const clock = new ManualClock(new Date());
  const { app } = useSlackApp({ oauth: true, clock, skipWireChecks: false });
  const tokens: Record<string, string> = {};
  const actors: Record<string, Actor> = {};
  const keys: Record<string, { id: string; secret: string }> = {};
  const asA = () => app.driver.asTeam({ teamId: teamA.teamId });
  const asB = () => app.driver.asTeam({ teamId: teamB.teamId });

  beforeAll(() => {
    app.fake.addUser({ id: "UAADMIN01", teamId: teamA.teamId, isAdmin: true });
    app.fake.addUser({ id: "UBADMIN01", teamId: teamB.teamId, isAdmin: true });
    app.fake.addUser({ id: "UGADMIN01", teamId: gridTeams[0], enterpriseId: org.enterpriseId, isAdmin: true });
    app.fake.addUser({ id: "UGMEMBER2", teamId: gridTeams[1], enterpriseId: org.enterpriseId });
    app.fake.addChannel({ id: channelId, members: ["UAADMIN01", "UBADMIN01", "UGADMIN01", "UGMEMBER2"], botIsMember: true });
  });

  it("sends the browser to Slack's consent page with a signed state and its cookie", async () => {
    const start = await startInstall(app);
    expect(start.status).toBe(302);
    const url = new URL(start.location);
    expect(`${url.origin}${url.pathname}`).toBe("https://slack.com/oauth/v2/authorize");
    expect(url.searchParams.get("client_id")).toBe(oauthClient.clientId);
    expect(url.searchParams.get("scope")?.split(",").sort()).toEqual(
      ["channels:history", "chat:write", "commands", "groups:history", "im:history", "im:write", "users:read"].sort(),
    );
    expect(start.state).not.toBe("");
    expect(start.cookie).toBe(`slack-app-oauth-state=${start.state}`);
  });

  it("refuses a tampered state, a missing cookie and a cancelled install, and stores nothing", async () => {
    const start = await startInstall(app);
    const tampered = `${start.state.slice(0, -2)}xx`;
    const refusals = [
      await finishInstall(app, { code: app.fake.oauth.issueCode(teamA), state: tampered }, `slack-app-oauth-state=${tampered}`),
      await finishInstall(app, { code: app.fake.oauth.issueCode(teamA), state: start.state }),
      await finishInstall(app, { code: app.fake.oauth.issueCode(teamA), state: start.state }, "slack-app-oauth-state=another"),
      await finishInstall(app, { error: "access_denied", state: start.state }, start.cookie),
    ];
    for (const refused of refusals) expect(refused.status).not.toBe(200);
    expect(await app.keyward.db.prisma.slackInstall.count()).toBe(0);
    // No code was exchanged for a token.
    expect(app.fake.callsTo("oauth.v2.access")).toEqual([]);
  });

  it("installs two workspaces, each with its own bot token, sealed in the database", async () => {
    tokens.A = await installWorkspace(app, teamA);
    tokens.B = await installWorkspace(app, teamB);
    expect(tokens.A).not.toBe(tokens.B);
    const exchange = app.fake.callsTo("oauth.v2.access");
    expect(exchange.map((c) => c.args.client_id)).toEqual([oauthClient.clientId, oauthClient.clientId]);
    // The installer checks the new token with auth.test, with that token.
    expect(app.fake.callsTo("auth.test").map((c) => c.token)).toEqual([tokens.A, tokens.B]);
    const rows = await app.keyward.db.prisma.slackInstall.findMany({ orderBy: { workspaceId: "asc" } });
    expect(rows.map((r) => [r.workspaceId, r.teamId, r.isEnterpriseInstall, r.installerUserId])).toEqual([
      [teamA.teamId, teamA.teamId, false, "UAADMIN01"],
      [teamB.teamId, teamB.teamId, false, "UBADMIN01"],
    ]);
    const dump = await app.dump();
    for (const token of Object.values(tokens)) expect(dump).not.toContain(token);
    for (const line of app.logs) for (const token of Object.values(tokens)) expect(line).not.toContain(token);
  });

  it("answers each workspace with its own token, and shows each only its own keys", async () => {
    actors.A = await app.keyward.services.access.actorForUser(teamA.teamId, "UAADMIN01", { isWorkspaceAdmin: true }, "slack");
    actors.B = await app.keyward.services.access.actorForUser(teamB.teamId, "UBADMIN01", { isWorkspaceAdmin: true }, "slack");
    for (const [w, name] of [
      ["A", "alpha-key"],
      ["B", "beta-key"],
    ] as const) {
      const created = await app.keyward.services.keys.create(actors[w]!, { name, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      keys[w] = { id: created.key.id, secret: created.secret };
    }
    const since = app.fake.mark();
    const listA = await asA().command({ userId: "UAADMIN01", text: "list", channelId });
    const listB = await asB().command({ userId: "UBADMIN01", text: "list", channelId });
    const [seenA, seenB] = (await Promise.all([app.driver.waitForResponse(listA), app.driver.waitForResponse(listB)])).map((r) => textOf(r.body));
    expect(seenA).toContain("alpha-key");
    expect(seenA).not.toContain("beta-key");
    expect(seenB).toContain("beta-key");
    expect(seenB).not.toContain("alpha-key");
    await app.idle();
    const lookups = app.fake.callsSince(since, "users.info");
    expect(lookups.filter((c) => c.args.user === "UAADMIN01").every((c) => c.token === tokens.A)).toBe(true);
    expect(lookups.filter((c) => c.args.user === "UBADMIN01").every((c) => c.token === tokens.B)).toBe(true);
    expect(lookups.length).toBeGreaterThan(0);
  });

  it("gives nothing for the other workspace's ids, nor to a workspace that is not installed", async () => {
    const configB = (await app.keyward.services.integrations.add(actors.B!, "github", { alias: "beta-github", secret: "ghp_beta0123456789abcdef" })).id;
    await app.idle();
    const before = await app.dump();
    const message = { blocks: [] } as never;
    // A's admin pressing delete on B's key, with B's config-less key id in the button.
    const deleting = await asA().blockAction({
      userId: "UAADMIN01",
      actionId: "keyward.key.delete",
      blockId: "x",
      value: keys.B!.id,
      messageTs: "1790000000.000100",
      message,
      channelId,
    });
    // ... and snoozing B's integration configuration, by its id.
    const snoozing = await asA().blockAction({
      userId: "UAADMIN01",
      actionId: "keyward.reminder.snooze",
      blockId: "reminder_actions",
      value: configB,
      messageTs: "1790000000.000200",
      message,
      channelId,
    });
    expect(textOf((await app.driver.waitForResponse(deleting)).body)).toMatch(/not found/i);
    expect(textOf((await app.driver.waitForResponse(snoozing)).body)).toMatch(/not found/i);
    // B's admin, sent as if from A: Slack places them in B, so they are nobody in A.
    const stranger = await asA().command({ userId: "UBADMIN01", text: "list", channelId });
    expect(textOf((await app.driver.waitForResponse(stranger)).body)).not.toContain("alpha-key");
    // A team keyward is not installed in: acknowledged with nothing, and Slack is not called.
    const since = app.fake.mark();
    const unknown = await app.driver.asTeam({ teamId: "T0NOTINST1" }).command({ userId: "UAADMIN01", text: "list", channelId });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toBe("");
    await app.idle();
    expect(app.fake.callsSince(since)).toEqual([]);
    expect(await app.dump()).toBe(before);
    // Roles and audit never mix: B's audit log knows nothing of A's key.
    const auditB = await app.keyward.services.audit.latest(actors.B!, 50);
    expect(JSON.stringify(auditB)).not.toContain("alpha-key");
  });

  it("keeps roles, audit events and REST answers of the two workspaces apart, over Slack and REST alike", async () => {
    // A custom role of A, and a role given in A, exist in A only.
    await app.keyward.services.roles.create(actors.A!, { name: "alpha-deployers", permissions: ["api_keys.view"] });
    await app.keyward.services.roles.assign(actors.A!, "UAADMIN01", "alpha-deployers");
    const rolesA = await asA().command({ userId: "UAADMIN01", text: "roles", channelId });
    const rolesB = await asB().command({ userId: "UBADMIN01", text: "roles", channelId });
    const [seenA, seenB] = (await Promise.all([app.driver.waitForResponse(rolesA), app.driver.waitForResponse(rolesB)])).map((r) => textOf(r.body));
    expect(seenA).toContain("alpha-deployers");
    expect(seenB).not.toContain("alpha-deployers");
    expect(await app.keyward.services.roles.list(actors.B!)).not.toContainEqual(expect.objectContaining({ name: "alpha-deployers" }));
    // A's role reference means nothing in B: assigning it there is refused and writes nothing.
    const before = await app.dump();
    await expect(app.keyward.services.roles.assign(actors.B!, "UBADMIN01", "alpha-deployers")).rejects.toMatchObject({ code: "role_not_found" });
    expect(await app.dump()).toBe(before);
    // B's audit log, as Slack shows it, has none of A's events; A's has its own.
    const auditA = await asA().command({ userId: "UAADMIN01", text: "audit 50", channelId });
    const auditB = await asB().command({ userId: "UBADMIN01", text: "audit 50", channelId });
    const [logA, logB] = (await Promise.all([app.driver.waitForResponse(auditA), app.driver.waitForResponse(auditB)])).map((r) => textOf(r.body));
    expect(logA).toContain("alpha-deployers");
    expect(logB).not.toContain("alpha");
    // Over REST, each workspace's key sees its own workspace's keys only.
    for (const [w, mine, theirs] of [
      ["A", "alpha-key", "beta-key"],
      ["B", "beta-key", "alpha-key"],
    ] as const) {
      const res = await fetch(`${app.keyward.url}/api/v1/api-keys`, { headers: { authorization: `Bearer ${keys[w]!.secret}` } });
      expect(res.status).toBe(200);
      const body = JSON.stringify(await res.json());
      expect(body).toContain(mine);
      expect(body).not.toContain(theirs);
    }
  });

  it("serves an org-wide install as one workspace, the organisation, across its teams", async () => {
    tokens.org = await installWorkspace(app, org);
    const row = await app.keyward.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: org.enterpriseId } });
    expect([row.teamId, row.enterpriseId, row.isEnterpriseInstall]).toEqual([null, org.enterpriseId, true]);
    const orgAdmin = await app.keyward.services.access.actorForUser(org.enterpriseId, "UGADMIN01", { isWorkspaceAdmin: true }, "slack");
    await app.keyward.services.keys.create(orgAdmin, { name: "grid-key", role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
    await app.keyward.services.roles.assign(orgAdmin, "UGMEMBER2", "Viewer");
    const since = app.fake.mark();
    // A member of the org's other team sees the org's keys.
    const asTeam2 = app.driver.asTeam({ teamId: gridTeams[1]!, enterpriseId: org.enterpriseId, isEnterpriseInstall: true });
    const listed = textOf((await app.driver.waitForResponse(await asTeam2.command({ userId: "UGMEMBER2", text: "list", channelId }))).body);
    expect(listed).toContain("grid-key");
    expect(listed).not.toContain("alpha-key");
    await app.idle();
    expect(app.fake.callsSince(since).every((c) => c.token === tokens.org)).toBe(true);
    // A team install of the same org is not the org-wide one: T0GRID0001 alone is not installed.
    const teamOnly = app.driver.asTeam({ teamId: gridTeams[0]!, enterpriseId: org.enterpriseId, isEnterpriseInstall: false });
    expect((await teamOnly.command({ userId: "UGADMIN01", text: "list", channelId })).body).toBe("");
    // Uninstalled from the org: its one row goes, whichever team the event names.
    const orgDriver = app.driver.asTeam({ teamId: gridTeams[0]!, enterpriseId: org.enterpriseId, isEnterpriseInstall: true });
    await orgDriver.event({ type: "app_uninstalled" });
    await app.idle();
    expect(await app.keyward.db.prisma.slackInstall.count({ where: { workspaceId: org.enterpriseId } })).toBe(0);
    expect(await app.keyward.db.prisma.slackInstall.count()).toBe(2);
  });

  it("uninstall: the tokens go at once, REST keys keep working, reminders pause and resume on reinstall", async () => {
    const soon = new Date(clock.now().getTime() + 2 * 86_400_000).toISOString().slice(0, 10);
    const expiring = await app.keyward.services.keys.create(actors.A!, { name: "alpha-soon", role: "Viewer", expiresOn: soon, timeZone: "UTC" });
    await app.keyward.services.keys.create(actors.B!, { name: "beta-soon", role: "Viewer", expiresOn: soon, timeZone: "UTC" });
    // An integration key of B's reminded in a channel (the pass's channel path, combined messages).
    await app.keyward.services.integrations.add(actors.B!, "github", {
      alias: "beta-soon-gh",
      secret: "ghp_betasoon0123456789ab",
      expiresOn: soon,
      timeZone: "UTC",
      reminderChannel: channelId,
    });
    app.fake.oauth.revoke(teamA.teamId);
    const event = { type: "app_uninstalled" };
    for (let i = 0; i < 2; i++) expect((await asA().event(event)).status).toBe(200); // twice: idempotent
    await app.idle();
    expect(await app.keyward.db.prisma.slackInstall.findUnique({ where: { workspaceId: teamA.teamId } })).toBeNull();
    expect((await app.keyward.db.prisma.workspace.findUniqueOrThrow({ where: { id: teamA.teamId } })).slackPausedAt).not.toBeNull();
    // Verify does not depend on the installation.
    const me = await fetch(`${app.keyward.url}/api/v1/api-keys/${expiring.key.id}`, { headers: { authorization: `Bearer ${keys.A!.secret}` } });
    expect(me.status).toBe(200);
    // The pass posts B's reminder and claims nothing of A's.
    const since = app.fake.mark();
    await app.keyward.reminders!.runPass();
    const posts = app.fake.callsSince(since, "chat.postMessage");
    expect(posts.map((c) => textOf(c.args)).some((t) => t.includes("beta-soon"))).toBe(true);
    expect(posts.some((c) => c.args.channel === channelId && textOf(c.args).includes("beta-soon-gh"))).toBe(true);
    expect(posts.every((c) => c.token === tokens.B)).toBe(true);
    expect(await app.keyward.db.prisma.reminderDelivery.count({ where: { workspaceId: teamA.teamId } })).toBe(0);
    // Commands from A get nothing now.
    expect((await asA().command({ userId: "UAADMIN01", text: "list", channelId })).body).toBe("");
    // Reinstalled: a new token, and the waiting reminder goes out with it.
    tokens.A2 = await installWorkspace(app, teamA);
    expect((await app.keyward.db.prisma.workspace.findUniqueOrThrow({ where: { id: teamA.teamId } })).slackPausedAt).toBeNull();
    const resumed = app.fake.mark();
    await app.keyward.reminders!.runPass();
    const again = app.fake.callsSince(resumed, "chat.postMessage").filter((c) => textOf(c.args).includes("alpha-soon"));
    expect(again.map((c) => c.token)).toEqual([tokens.A2]);
  });

  it("tokens_revoked of the bot deletes the tokens the same way; one of another bot user changes nothing", async () => {
    const install = app.fake.oauth.installationFor(teamB.teamId)!;
    await asB().event({ type: "tokens_revoked", tokens: { oauth: [], bot: ["U0SOMEONE9"] } });
    await app.idle();
    expect(await app.keyward.db.prisma.slackInstall.count({ where: { workspaceId: teamB.teamId } })).toBe(1);
    await asB().event({ type: "tokens_revoked", tokens: { oauth: [], bot: [install.botUserId] } });
    await app.idle();
    expect(await app.keyward.db.prisma.slackInstall.count({ where: { workspaceId: teamB.teamId } })).toBe(0);
    expect((await app.keyward.db.prisma.workspace.findUniqueOrThrow({ where: { id: teamB.teamId } })).slackPausedAt).not.toBeNull();
  });

  it("the time spent uninstalled does not count toward giving a failing reminder up", async () => {
    const teamC = { teamId: "T0CCCC0001", installerUserId: "UCADMIN01" };
    app.fake.addUser({ id: "UCADMIN01", teamId: teamC.teamId, isAdmin: true });
    await installWorkspace(app, teamC);
    const actor = await app.keyward.services.access.actorForUser(teamC.teamId, "UCADMIN01", { isWorkspaceAdmin: true }, "slack");
    const inTenDays = new Date(clock.now().getTime() + 10 * 86_400_000).toISOString().slice(0, 10);
    await app.keyward.services.keys.create(actor, { name: "gamma-soon", role: "Viewer", expiresOn: inTenDays, timeZone: "UTC" });
    const delivery = () => app.keyward.db.prisma.reminderDelivery.findFirstOrThrow({ where: { workspaceId: teamC.teamId } });
    // Slack refuses for a passing reason: the pass keeps it for a retry.
    app.fake.failNext("chat.postMessage", { error: "ratelimited" });
    await app.keyward.reminders!.runPass();
    expect((await delivery()).status).toBe("retry");
    await app.driver.asTeam({ teamId: teamC.teamId }).event({ type: "app_uninstalled" });
    await app.idle();
    // Two days uninstalled (the first failure is as old as that).
    const { id, attempts } = await delivery();
    await app.keyward.db.prisma.reminderDelivery.update({ where: { id }, data: { firstFailedAt: new Date(Date.now() - 2 * 86_400_000) } });
    await app.keyward.reminders!.runPass();
    expect((await delivery()).attempts).toBe(attempts);
    // Reinstalled, and refused once more: still a retry, not given up.
    const token = await installWorkspace(app, teamC);
    app.fake.failNext("chat.postMessage", { error: "ratelimited" });
    await app.keyward.reminders!.runPass();
    expect((await delivery()).status).toBe("retry");
    const since = app.fake.mark();
    await app.keyward.reminders!.runPass();
    expect((await delivery()).status).toBe("sent");
    expect(app.fake.callsSince(since, "chat.postMessage").map((c) => c.token)).toEqual([token]);
    tokens.C = token;
  });

  it("never writes a token to the logs or in the clear to the database", async () => {
    await app.idle();
    const secrets = Object.values(tokens);
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    const dump = await app.dump();
    const logs = app.logs.join("\n");
    for (const token of secrets) {
      expect(dump).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    expect(logs).not.toContain(oauthClient.clientSecret);
    expect(dump).not.toContain(oauthClient.clientSecret);
  });
});

/** Token rotation: an expiring bot token is refreshed once, however many requests need it at the same time. */
describe("OAuth token rotation", () => {
  const { app } = useSlackApp({ oauth: { tokenExpiresIn: 3600 } });

  it("refreshes an expiring token once, behind two concurrent requests answered at once with the still-valid token", async () => {
    app.fake.addUser({ id: "URADMIN01", teamId: "T0ROTA0001", isAdmin: true });
    app.fake.addChannel({ id: channelId, members: ["URADMIN01"], botIsMember: true });
    const first = await installWorkspace(app, { teamId: "T0ROTA0001", installerUserId: "URADMIN01" });
    const stored = await app.keyward.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: "T0ROTA0001" } });
    expect(stored.botExpiresAt).not.toBeNull();
    const driver = app.driver.asTeam({ teamId: "T0ROTA0001" });
    const since = app.fake.mark();
    // Far slower than Slack's 3 s ack: the requests must not wait for it (the token has an hour left).
    app.fake.failNext("oauth.v2.access", { delayMs: 8_000 });
    const acks = await Promise.all([
      driver.command({ userId: "URADMIN01", text: "list", channelId }),
      driver.command({ userId: "URADMIN01", text: "list", channelId }),
    ]);
    await Promise.all(acks.map((ack) => app.driver.waitForResponse(ack)));
    // Both were answered while Slack still held the refresh (the fake records a call once it answers it).
    expect(app.fake.callsSince(since, "oauth.v2.access")).toEqual([]);
    const before = app.fake.callsSince(since).filter((c: RecordedCall) => c.method !== "oauth.v2.access");
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((c) => c.token === first)).toBe(true);
    await app.keyward.services.slackInstalls.refreshesSettled();
    await app.idle();
    const refreshes = app.fake.callsSince(since, "oauth.v2.access");
    expect(refreshes.map((c) => c.args.grant_type)).toEqual(["refresh_token"]);
    const install = app.fake.oauth.installationFor("T0ROTA0001")!;
    expect(install.refreshes).toBe(1);
    expect(install.botToken).not.toBe(first);
    // Stored: the next request refreshes nothing, and the token every call now gets is the new one.
    const next = app.fake.mark();
    await app.driver.waitForResponse(await driver.command({ userId: "URADMIN01", text: "list", channelId }));
    await app.idle();
    expect(app.fake.callsSince(next, "oauth.v2.access")).toEqual([]);
    expect(await app.keyward.services.slackInstalls.tokenFor("T0ROTA0001")).toBe(install.botToken);
    // Stored in place: still one row, the new expiry far off, nothing in the clear.
    const after = await app.keyward.db.prisma.slackInstall.findMany();
    expect(after).toHaveLength(1);
    expect(after[0]!.botExpiresAt!.getTime()).toBeGreaterThan(stored.botExpiresAt!.getTime() - 1);
    const dump = await app.dump();
    for (const secret of [first, install.botToken, install.refreshToken!]) expect(dump).not.toContain(secret);
    for (const secret of [first, install.botToken, install.refreshToken!]) expect(app.logs.join("\n")).not.toContain(secret);
  });

  it("a reminder pass refreshes an expiring token once (no /keys traffic needed), posting meanwhile with the still-valid one", async () => {
    app.fake.addUser({ id: "URADMIN02", teamId: "T0ROTA0002", isAdmin: true });
    const first = await installWorkspace(app, { teamId: "T0ROTA0002", installerUserId: "URADMIN02" });
    const actor = await app.keyward.services.access.actorForUser("T0ROTA0002", "URADMIN02", { isWorkspaceAdmin: true }, "slack");
    const soon = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await app.keyward.services.keys.create(actor, { name: "rota-soon", role: "Viewer", expiresOn: soon, timeZone: "UTC" });
    const since = app.fake.mark();
    // The token expires within the hour (inside the 2-hour window), as after 11 h without a request.
    await app.keyward.reminders!.runPass();
    await app.keyward.services.slackInstalls.refreshesSettled();
    const install = app.fake.oauth.installationFor("T0ROTA0002")!;
    expect(app.fake.callsSince(since, "oauth.v2.access").map((c) => c.args.grant_type)).toEqual(["refresh_token"]);
    expect(install.refreshes).toBe(1);
    expect(install.botToken).not.toBe(first);
    const posts = app.fake.callsSince(since, "chat.postMessage").filter((c) => textOf(c.args).includes("rota-soon"));
    expect(posts.map((c) => c.token)).toEqual([first]);
    expect(await app.keyward.services.slackInstalls.tokenFor("T0ROTA0002")).toBe(install.botToken);
    const dump = await app.dump();
    for (const secret of [first, install.botToken, install.refreshToken!]) expect(dump).not.toContain(secret);
  });

  it("a failed refresh call is not retried (Slack's refresh tokens are single-use), nor tried again by the next request (a two-minute back-off)", async () => {
    app.fake.addUser({ id: "URADMIN03", teamId: "T0ROTA0003", isAdmin: true });
    app.fake.addChannel({ id: channelId, members: ["URADMIN01", "URADMIN03"], botIsMember: true });
    await installWorkspace(app, { teamId: "T0ROTA0003", installerUserId: "URADMIN03" });
    const driver = app.driver.asTeam({ teamId: "T0ROTA0003" });
    const since = app.fake.mark();
    app.fake.failNext("oauth.v2.access", { status: 503 });
    await app.driver.waitForResponse(await driver.command({ userId: "URADMIN03", text: "list", channelId }));
    await app.keyward.services.slackInstalls.refreshesSettled();
    await app.idle();
    expect(app.fake.callsSince(since, "oauth.v2.access")).toHaveLength(1);
    expect(app.fake.oauth.installationFor("T0ROTA0003")!.refreshes).toBe(0);
    await app.driver.waitForResponse(await driver.command({ userId: "URADMIN03", text: "list", channelId }));
    await app.keyward.services.slackInstalls.refreshesSettled();
    await app.idle();
    expect(app.fake.callsSince(since, "oauth.v2.access")).toHaveLength(1);
    expect(app.fake.oauth.installationFor("T0ROTA0003")!.refreshes).toBe(0);
    const row = await app.keyward.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: "T0ROTA0003" } });
    expect(row.refreshUntil!.getTime()).toBeGreaterThan(Date.now() + 60_000);
    expect(app.logs.join("\n")).not.toContain(app.fake.oauth.installationFor("T0ROTA0003")!.refreshToken!);
  });
});

/** Slack may deliver an uninstall late, or retry it: one sent before the last install leaves that install alone. */
describe("OAuth uninstall events older than the last install", () => {
  const clock = new ManualClock(new Date());
  const { app } = useSlackApp({ oauth: true, clock });
  const team = { teamId: "T0DDDD0001", installerUserId: "UDADMIN01" };
  const row = () => app.keyward.db.prisma.slackInstall.findUnique({ where: { workspaceId: team.teamId } });
  const pausedAt = async () => (await app.keyward.db.prisma.workspace.findUnique({ where: { id: team.teamId } }))?.slackPausedAt ?? null;

  it("a replayed app_uninstalled or tokens_revoked after a reinstall changes nothing; a new one still uninstalls", async () => {
    app.fake.addUser({ id: team.installerUserId, teamId: team.teamId, isAdmin: true });
    await installWorkspace(app, team);
    await app.keyward.services.access.ensureWorkspace(team.teamId);
    const driver = app.driver.asTeam({ teamId: team.teamId });
    clock.advance(10_000);
    const uninstalledAt = Math.floor(clock.now().getTime() / 1000);
    await driver.event({ type: "app_uninstalled" }, { eventTime: uninstalledAt });
    await app.idle();
    expect(await row()).toBeNull();
    // Installed again a minute later: same bot user, new token.
    clock.advance(60_000);
    const token = await installWorkspace(app, team);
    expect(await pausedAt()).toBeNull();
    const before = await row();
    const botUserId = app.fake.oauth.installationFor(team.teamId)!.botUserId;
    await driver.event({ type: "app_uninstalled" }, { eventTime: uninstalledAt, retryNum: 1, retryReason: "http_timeout" });
    await driver.event({ type: "tokens_revoked", tokens: { oauth: [], bot: [botUserId] } }, { eventTime: uninstalledAt });
    await app.idle();
    expect(await row()).toEqual(before);
    expect(await pausedAt()).toBeNull();
    expect((await app.keyward.services.slackInstalls.find(team.teamId))!.tokens.bot).toBe(token);
    // An uninstall sent after the reinstall is a real one.
    await driver.event({ type: "tokens_revoked", tokens: { oauth: [], bot: [botUserId] } }, { eventTime: Math.floor(clock.now().getTime() / 1000) + 1 });
    await app.idle();
    expect(await row()).toBeNull();
    expect(await pausedAt()).not.toBeNull();
  });

  it("a workspace with data but no installation waits paused (not given up), and its reminders go out once it is installed", async () => {
    // Used in single-token mode before OAuth (or its uninstall event was lost): data, no installation, no pause.
    const teamE = { teamId: "T0EEEE0001", installerUserId: "UEADMIN01" };
    app.fake.addUser({ id: teamE.installerUserId, teamId: teamE.teamId, isAdmin: true });
    const actor = await app.keyward.services.access.actorForUser(teamE.teamId, teamE.installerUserId, { isWorkspaceAdmin: true }, "slack");
    const soon = new Date(clock.now().getTime() + 2 * 86_400_000).toISOString().slice(0, 10);
    await app.keyward.services.keys.create(actor, { name: "epsilon-soon", role: "Viewer", expiresOn: soon, timeZone: "UTC" });
    const delivery = () => app.keyward.db.prisma.reminderDelivery.findFirst({ where: { workspaceId: teamE.teamId } });
    const workspace = () => app.keyward.db.prisma.workspace.findUniqueOrThrow({ where: { id: teamE.teamId } });
    const since = app.fake.mark();
    await app.keyward.reminders!.runPass();
    expect((await workspace()).slackPausedAt).not.toBeNull();
    // A day and more later, passes leave it alone: nothing claimed, nothing given up.
    const first = (await delivery())!;
    expect(first.status).toBe("retry");
    await app.keyward.db.prisma.reminderDelivery.update({ where: { id: first.id }, data: { firstFailedAt: new Date(clock.now().getTime() - 2 * 86_400_000) } });
    for (let i = 0; i < 2; i++) await app.keyward.reminders!.runPass();
    const waiting = (await delivery())!;
    expect([waiting.status, waiting.attempts]).toEqual(["retry", first.attempts]);
    expect(app.fake.callsSince(since, "chat.postMessage")).toEqual([]);
    // Installed: resumed, and the reminder goes out with its token.
    const token = await installWorkspace(app, teamE);
    expect((await workspace()).slackPausedAt).toBeNull();
    const resumed = app.fake.mark();
    await app.keyward.reminders!.runPass();
    const posts = app.fake.callsSince(resumed, "chat.postMessage").filter((c) => textOf(c.args).includes("epsilon-soon"));
    expect(posts.map((c) => c.token)).toEqual([token]);
    expect((await delivery())!.status).toBe("sent");
  });
});
