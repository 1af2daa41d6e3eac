import type { WebClient } from "@slack/web-api";
import type { DomainServices } from "../domain/index.ts";
import type { Clock } from "../domain/runtime.ts";
import type { Actor } from "../domain/types.ts";
import type { Logger } from "../logger.ts";
import type { SlackInstalls } from "./oauth-installs.ts";
import type { SecurityRefusalNotices } from "./security-refusal-notices.ts";
import type { SlackUserDirectory, SlackUserFacts } from "./user-directory.ts";

/** What Slack listeners are built from. */
export interface SlackDeps {
  services: DomainServices;
  users: SlackUserDirectory;
  clock: Clock;
  logger: Logger;
  isAllowedResponseUrl: (url: string) => boolean;
  /** The create form's default expiry, in days from today (SPEC: 90). */
  defaultExpiryDays: number;
  /** How long a form submission may take before it is acknowledged with a "working on it" view (default 2000 ms; Slack allows 3 s). */
  ackBudgetMs?: number;
  /** This instance's memory of Admins told that their security channel refuses (shared with GitLab's announcements). */
  refusalNotices: SecurityRefusalNotices;
  /** OAuth installs only: app_uninstalled and tokens_revoked delete the workspace's tokens (single-token mode: absent). */
  installs?: Pick<SlackInstalls, "find" | "remove">;
}

export interface SlackCaller {
  actor: Actor;
  user: SlackUserFacts;
}

/** The person behind a Slack request, with the permissions they hold right now. */
export async function callerOf(deps: SlackDeps, client: WebClient, workspaceId: string, userId: string): Promise<SlackCaller> {
  const user = await deps.users.lookup(client, workspaceId, userId);
  const actor = await deps.services.access.actorForUser(
    workspaceId,
    userId,
    { isWorkspaceAdmin: user.isWorkspaceAdmin, foreign: user.foreign, deactivated: user.deactivated, verified: user.verified },
    "slack",
  );
  return { actor, user };
}

/** The workspace a request belongs to: the team, or the org for an org-wide install. */
export function workspaceOf(context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean }): string {
  const id = context.isEnterpriseInstall ? (context.enterpriseId ?? context.teamId) : (context.teamId ?? context.enterpriseId);
  if (!id) throw new Error("The request names no workspace.");
  return id;
}
