import { describe, expect, it } from "vitest";
import { isAdminHere, isMemberOf, isServed, servedWorkspaceOf, teamsNamedBy, type ServedWorkspace } from "../../src/slack/served-workspace.ts";

const team: ServedWorkspace = { teamId: "T0HOME0001", isEnterpriseInstall: false };
const gridTeam: ServedWorkspace = { teamId: "T0HOME0001", enterpriseId: "E0ORG00001", isEnterpriseInstall: false };
const orgWide: ServedWorkspace = { teamId: "E0ORG00001", enterpriseId: "E0ORG00001", isEnterpriseInstall: true };
const served = (workspace: ServedWorkspace, body: unknown, context = {}) => isServed(workspace, teamsNamedBy(body, context));

describe("which requests are served", () => {
  it("a team install: the team, and no other team or enterprise anywhere in the payload", () => {
    expect(served(team, { team_id: "T0HOME0001" })).toBe(true);
    expect(served(team, { team_id: "T0OTHER001" })).toBe(false);
    expect(served(team, { team: { id: "T0HOME0001" }, view: { app_installed_team_id: "T0OTHER001" } })).toBe(false);
    expect(served(team, { team_id: "T0HOME0001", authorizations: [{ team_id: "T0OTHER001", enterprise_id: null }] })).toBe(false);
    expect(served(team, { team_id: "T0HOME0001", enterprise_id: "E0ORG00001" })).toBe(false);
    expect(served(team, { team_id: 7 })).toBe(false);
    expect(served(team, {})).toBe(false);
    expect(served(team, { team_id: "T0HOME0001" }, { isEnterpriseInstall: true })).toBe(false);
  });

  it("a team install on Grid: the team with its own org, or naming no org", () => {
    expect(served(gridTeam, { team_id: "T0HOME0001", enterprise_id: "E0ORG00001" })).toBe(true);
    expect(served(gridTeam, { team: { id: "T0HOME0001" }, enterprise: null })).toBe(true);
    expect(served(gridTeam, { team_id: "T0HOME0001", enterprise_id: "E0OTHER001" })).toBe(false);
    expect(served(gridTeam, { team_id: "T0SISTER01", enterprise_id: "E0ORG00001" })).toBe(false);
  });

  it("an org-wide install: any team of the org, which the payload must name", () => {
    expect(served(orgWide, { team_id: "T0SISTER01", enterprise_id: "E0ORG00001" }, { isEnterpriseInstall: true })).toBe(true);
    expect(served(orgWide, { team: null, enterprise: { id: "E0ORG00001" } }, { isEnterpriseInstall: true })).toBe(true);
    expect(served(orgWide, { team_id: "T0SISTER01" }, { isEnterpriseInstall: true })).toBe(false);
    expect(served(orgWide, { enterprise_id: "E0OTHER001" }, { isEnterpriseInstall: true })).toBe(false);
    expect(served(orgWide, { enterprise_id: "E0ORG00001" }, { isEnterpriseInstall: false })).toBe(false);
  });
});

describe("Slack Connect messages (bolt-js#687): the installation the event was delivered for", () => {
  const mine = [{ team_id: "T0HOME0001", enterprise_id: null, is_enterprise_install: false }];
  const hostedElsewhere = { type: "event_callback", team_id: "T0PARTNER1", enterprise_id: "E0PARTNER1", authorizations: mine };

  it("serves a message in a channel another org hosts when its authorizations name this install", () => {
    expect(served(team, { ...hostedElsewhere, event: { type: "message", team: "T0PARTNER1" } }, { teamId: "T0HOME0001" })).toBe(true);
    expect(served(team, { ...hostedElsewhere, event: { type: "message" }, authorizations: [{ team_id: "T0OTHER001" }] })).toBe(false);
    expect(served(team, { ...hostedElsewhere, event: { type: "message" }, authorizations: [...mine, { team_id: "T0OTHER001" }] })).toBe(false);
    expect(served(team, { ...hostedElsewhere, event: { type: "message" }, authorizations: [] })).toBe(false);
  });

  it("still refuses every other request naming another team: other events, commands, actions", () => {
    expect(served(team, { ...hostedElsewhere, event: { type: "app_home_opened" } })).toBe(false);
    expect(served(team, { type: "block_actions", team: { id: "T0PARTNER1" }, authorizations: mine })).toBe(false);
    expect(served(team, { command: "/keys", team_id: "T0PARTNER1", authorizations: mine })).toBe(false);
  });
});

describe("who belongs", () => {
  it("the served team's people; on Grid, the org's; never a stranger", () => {
    expect(isMemberOf(team, { team_id: "T0HOME0001" })).toBe(true);
    expect(isMemberOf(team, { team_id: "T0OTHER001" })).toBe(false);
    expect(isMemberOf(team, {})).toBe(false);
    expect(isMemberOf(team, { team_id: "T0HOME0001", is_stranger: true })).toBe(false);
    expect(isMemberOf(team, { team_id: "T0OTHER001", enterprise_user: { enterprise_id: "E0ORG00001" } })).toBe(false);
    expect(isMemberOf(gridTeam, { team_id: "T0SISTER01", enterprise_user: { enterprise_id: "E0ORG00001" } })).toBe(true);
    expect(isMemberOf(gridTeam, { team_id: "T0SISTER01", enterprise_user: { enterprise_id: "E0OTHER001" } })).toBe(false);
    expect(isMemberOf(orgWide, { team_id: "T0SISTER01", enterprise_user: { enterprise_id: "E0ORG00001" } })).toBe(true);
    expect(isMemberOf(orgWide, { team_id: "E0ORG00001" })).toBe(false);
  });
});

describe("who is an admin here", () => {
  it("is_admin/is_owner count for the served team's people only; a sister workspace's admin needs to be an org admin", () => {
    expect(isAdminHere(team, { team_id: "T0HOME0001", is_admin: true })).toBe(true);
    expect(isAdminHere(team, { team_id: "T0HOME0001", is_owner: true })).toBe(true);
    expect(isAdminHere(team, { team_id: "T0HOME0001" })).toBe(false);
    expect(isAdminHere(team, { team_id: "T0HOME0001", is_admin: true, is_stranger: true })).toBe(false);
    const sister = { team_id: "T0SISTER01", is_admin: true, is_owner: true, enterprise_user: { enterprise_id: "E0ORG00001" } };
    expect(isAdminHere(gridTeam, sister)).toBe(false);
    expect(isAdminHere(gridTeam, { ...sister, enterprise_user: { enterprise_id: "E0ORG00001", is_admin: true } })).toBe(true);
    expect(isAdminHere(orgWide, sister)).toBe(false);
    expect(isAdminHere(orgWide, { ...sister, enterprise_user: { enterprise_id: "E0ORG00001", is_owner: true } })).toBe(true);
    expect(isAdminHere(gridTeam, { ...sister, enterprise_user: { enterprise_id: "E0OTHER001", is_admin: true } })).toBe(false);
  });
});

describe("the served workspace comes from auth.test", () => {
  const client = (answer: Record<string, unknown>) => ({ auth: { test: async () => ({ ok: true, ...answer }) } }) as never;

  it("takes the team, the enterprise and the kind of install", async () => {
    expect(
      await servedWorkspaceOf(client({ team_id: "T0HOME0001", enterprise_id: "E0ORG00001", is_enterprise_install: false, user_id: "U0BOT", bot_id: "B0BOT" })),
    ).toEqual({ ...gridTeam, botUserId: "U0BOT", botId: "B0BOT" });
    expect((await servedWorkspaceOf(client({ team_id: "T0HOME0001", enterprise_id: "" }))).enterpriseId).toBeUndefined();
  });

  it("refuses to start without a workspace to serve", async () => {
    await expect(servedWorkspaceOf(client({}))).rejects.toThrow(/no workspace/);
    await expect(servedWorkspaceOf(client({ team_id: "T0HOME0001", is_enterprise_install: true }))).rejects.toThrow(/no workspace/);
  });
});
