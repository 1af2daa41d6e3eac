import type { WebClient } from "@slack/web-api";

/**
 * The Slack workspace keyward serves, fixed from `auth.test` at start (single-token mode): the team,
 * and the enterprise when it is on Enterprise Grid. For an org-wide install the enterprise is the
 * workspace. Every decision asks "is this served?", so that a later multi-workspace install can
 * answer from its installation store instead and nothing else changes.
 */
export interface ServedWorkspace {
  teamId?: string;
  enterpriseId?: string;
  isEnterpriseInstall: boolean;
}

/** The teams and enterprises a request names, wherever its payload names them. */
interface NamedTeams {
  teamIds: string[];
  enterpriseIds: string[];
  isEnterpriseInstall: boolean;
}

/** What users.info says about where a person belongs. */
export interface SlackUserOrigin {
  team_id?: string;
  is_stranger?: boolean;
  is_admin?: boolean;
  is_owner?: boolean;
  enterprise_user?: { enterprise_id?: string; is_admin?: boolean; is_owner?: boolean };
}

export async function servedWorkspaceOf(client: Pick<WebClient, "auth">): Promise<ServedWorkspace & { botUserId?: string; botId?: string }> {
  const auth = await client.auth.test();
  const served = { teamId: auth.team_id || undefined, enterpriseId: auth.enterprise_id || undefined, isEnterpriseInstall: Boolean(auth.is_enterprise_install) };
  if (served.isEnterpriseInstall ? !served.enterpriseId : !served.teamId) throw new Error("auth.test named no workspace for the bot token.");
  return { ...served, botUserId: auth.user_id, botId: auth.bot_id };
}

/**
 * A request is served when everything it names is the served workspace: the team (any team of the
 * org for an org-wide install) and the enterprise, if it names one. Naming nothing is not served.
 */
export function isServed(served: ServedWorkspace, named: NamedTeams): boolean {
  if (named.isEnterpriseInstall !== served.isEnterpriseInstall) return false;
  if (!named.enterpriseIds.every((id) => id === served.enterpriseId)) return false;
  if (served.isEnterpriseInstall) return named.enterpriseIds.length > 0;
  return named.teamIds.length > 0 && named.teamIds.every((id) => id === served.teamId);
}

/**
 * A person belongs here when Slack places them in the served team, or in the served org on Grid
 * (`enterprise_user`); a stranger (Slack Connect: someone from another org, seen in a shared channel)
 * never does, whatever their team id says.
 */
export function isMemberOf(served: ServedWorkspace, user: SlackUserOrigin): boolean {
  if (user.is_stranger) return false;
  if (served.enterpriseId && user.enterprise_user?.enterprise_id === served.enterpriseId) return true;
  return !served.isEnterpriseInstall && user.team_id !== undefined && user.team_id === served.teamId;
}

/**
 * Whether a member is an admin here. `is_admin`/`is_owner` speak of the person's own team, so they
 * count only for a person of the served team; someone of a sister workspace on Grid is an admin here
 * only as an admin or owner of the whole org (`enterprise_user`).
 */
export function isAdminHere(served: ServedWorkspace, user: SlackUserOrigin): boolean {
  if (!isMemberOf(served, user)) return false;
  if (user.team_id !== undefined && user.team_id === served.teamId) return Boolean(user.is_admin || user.is_owner);
  return Boolean(user.enterprise_user?.is_admin || user.enterprise_user?.is_owner);
}

/** Every team and enterprise id a Slack payload names (commands, interactions, events), and the request's own. */
export function teamsNamedBy(body: unknown, context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean }): NamedTeams {
  const b = record(body);
  const authorizations = Array.isArray(b.authorizations) ? b.authorizations.map(record) : [];
  if (isDeliveredMessage(b, authorizations)) {
    // Slack Connect (bolt-js#687): a message in a channel shared with another organisation carries
    // the channel's host in the envelope's team_id (and enterprise_id); the installation it was
    // delivered for, this one, is named by its authorizations only. Messages only: a command or an
    // action of another team is still refused (rule 13), and a message is only scanned for leaks.
    const teamIds = [context.teamId, ...authorizations.map((a) => a.team_id)];
    const enterpriseIds = [context.enterpriseId, ...authorizations.map((a) => a.enterprise_id)];
    return { teamIds: ids(teamIds), enterpriseIds: ids(enterpriseIds), isEnterpriseInstall: Boolean(context.isEnterpriseInstall) };
  }
  const teamIds = [context.teamId, b.team_id, record(b.team).id, record(b.view).app_installed_team_id, ...authorizations.map((a) => a.team_id)];
  const enterpriseIds = [context.enterpriseId, b.enterprise_id, record(b.enterprise).id, ...authorizations.map((a) => a.enterprise_id)];
  return { teamIds: ids(teamIds), enterpriseIds: ids(enterpriseIds), isEnterpriseInstall: Boolean(context.isEnterpriseInstall) };
}

/** A message event that names the installation it was delivered for (the Events API's authorizations). */
function isDeliveredMessage(body: Record<string, unknown>, authorizations: Array<Record<string, unknown>>): boolean {
  return body.type === "event_callback" && record(body.event).type === "message" && authorizations.length > 0;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function ids(values: unknown[]): string[] {
  // A field that is there but not a string (a number, an object) names something we cannot check: keep it, so it fails.
  return [...new Set(values.filter((v) => v !== undefined && v !== null && v !== "").map((v) => (typeof v === "string" ? v : "?")))];
}
