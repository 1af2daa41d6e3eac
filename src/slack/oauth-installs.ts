// OAuth installs (SLACK_CLIENT_ID…): Bolt's installer stores and finds installations through this
// adapter, and every request is authorised from the installation of its own workspace.
import type { Installation, InstallationQuery, InstallationStore } from "@slack/oauth";
import type { SlackInstallRecord, SlackInstallService } from "../domain/slack-install-service.ts";
import type { Logger } from "../logger.ts";
import type { ServedWorkspace } from "./served-workspace.ts";

/** What keyward needs of the installs (the domain's SlackInstallService). */
export type SlackInstalls = Pick<SlackInstallService, "find" | "current" | "save" | "remove">;

/** The keyward workspace of an installation: the enterprise for an org-wide install, else the team. */
export function workspaceOfInstallation(installation: Pick<Installation, "team" | "enterprise" | "isEnterpriseInstall">): string {
  // isEnterpriseInstall first: an org-wide install may still name a team in some of Bolt's paths.
  const id = installation.isEnterpriseInstall ? installation.enterprise?.id : installation.team?.id;
  if (!id) throw new Error("The installation names no workspace.");
  return id;
}

/** The workspace a request's installation query asks for (undefined: it names none). */
export function workspaceOfQuery(query: Pick<InstallationQuery<boolean>, "teamId" | "enterpriseId" | "isEnterpriseInstall">): string | undefined {
  return (query.isEnterpriseInstall ? query.enterpriseId : query.teamId) || undefined;
}

/** Whose requests an installation serves: every team of the org for an org-wide install, else its one team. */
export function servedByInstall(install: Pick<SlackInstallRecord, "teamId" | "enterpriseId" | "isEnterpriseInstall">): ServedWorkspace {
  return install.isEnterpriseInstall
    ? { enterpriseId: install.enterpriseId ?? undefined, isEnterpriseInstall: true }
    : { teamId: install.teamId ?? undefined, enterpriseId: install.enterpriseId ?? undefined, isEnterpriseInstall: false };
}

const seconds = (date: Date | null | undefined): number | undefined => (date ? Math.floor(date.getTime() / 1000) : undefined);
const fromSeconds = (s: number | undefined): Date | null => (typeof s === "number" ? new Date(s * 1000) : null);

export function recordOf(installation: Installation): SlackInstallRecord {
  const workspaceId = workspaceOfInstallation(installation);
  return {
    workspaceId,
    teamId: installation.team?.id ?? null,
    enterpriseId: installation.enterprise?.id ?? null,
    isEnterpriseInstall: Boolean(installation.isEnterpriseInstall),
    appId: installation.appId ?? null,
    botId: installation.bot?.id ?? null,
    botUserId: installation.bot?.userId ?? null,
    installerUserId: installation.user?.id ?? null,
    // Everything else the installer reported, except tokens (and the incoming webhook's URL, a secret too).
    details: {
      teamName: installation.team?.name ?? null,
      enterpriseName: installation.enterprise?.name ?? null,
      enterpriseUrl: installation.enterpriseUrl ?? null,
      botScopes: installation.bot?.scopes ?? [],
      userScopes: installation.user?.scopes ?? [],
      userExpiresAt: installation.user?.expiresAt ?? null,
      tokenType: installation.tokenType ?? null,
      authVersion: installation.authVersion ?? "v2",
    },
    tokens: {
      ...(installation.bot?.token ? { bot: installation.bot.token } : {}),
      ...(installation.bot?.refreshToken ? { botRefresh: installation.bot.refreshToken } : {}),
      ...(installation.user?.token ? { user: installation.user.token } : {}),
      ...(installation.user?.refreshToken ? { userRefresh: installation.user.refreshToken } : {}),
    },
    botExpiresAt: fromSeconds(installation.bot?.expiresAt),
  };
}

export function installationOf(record: SlackInstallRecord): Installation<"v2", boolean> {
  const d = record.details as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const { tokens } = record;
  return {
    team: record.teamId ? { id: record.teamId, name: text(d.teamName) } : undefined,
    enterprise: record.enterpriseId ? { id: record.enterpriseId, name: text(d.enterpriseName) } : undefined,
    user: {
      id: record.installerUserId ?? "",
      token: tokens.user,
      refreshToken: tokens.userRefresh,
      expiresAt: typeof d.userExpiresAt === "number" ? d.userExpiresAt : undefined,
      scopes: list(d.userScopes),
    },
    ...(tokens.bot
      ? {
          bot: {
            token: tokens.bot,
            refreshToken: tokens.botRefresh,
            expiresAt: seconds(record.botExpiresAt),
            scopes: list(d.botScopes),
            id: record.botId ?? "",
            userId: record.botUserId ?? "",
          },
        }
      : {}),
    appId: record.appId ?? undefined,
    tokenType: "bot",
    enterpriseUrl: text(d.enterpriseUrl),
    isEnterpriseInstall: record.isEnterpriseInstall,
    authVersion: "v2",
  } as Installation<"v2", boolean>;
}

/**
 * Bolt's InstallationStore over the domain. storeInstallation (an install or reinstall: token
 * refreshes never come through the installer, see SlackInstallService.current) is an upsert in
 * place, and resumes the workspace. fetchInstallation finds only the installation of the
 * workspace the query names (an org-wide one by its enterprise), never a neighbour's.
 */
export function createInstallationStore(installs: SlackInstalls, logger: Logger): InstallationStore {
  return {
    async storeInstallation(installation) {
      const record = recordOf(installation as Installation);
      await installs.save(record);
      // Ids only: never a token.
      logger.info({ workspaceId: record.workspaceId, isEnterpriseInstall: record.isEnterpriseInstall }, "Slack installation stored");
    },
    async fetchInstallation(query) {
      const workspaceId = workspaceOfQuery(query);
      const record = workspaceId ? await installs.find(workspaceId) : null;
      if (!record?.tokens.bot || !sameKind(record, query)) throw new Error(`keyward is not installed in workspace ${workspaceId ?? "(none named)"}.`);
      return installationOf(record);
    },
    async deleteInstallation(query) {
      const workspaceId = workspaceOfQuery(query);
      if (workspaceId) await installs.remove(workspaceId);
    },
  };
}

/** An org-wide install answers only org-wide requests, a team install only its team's. */
const sameKind = (record: SlackInstallRecord, query: { isEnterpriseInstall?: boolean }) => record.isEnterpriseInstall === Boolean(query.isEnterpriseInstall);

/**
 * Every request's authorisation, from the installation of its workspace: its bot token, and the
 * workspace it serves (`servedWorkspace`, for the guard in slack-app.ts). A bot token about to
 * expire is refreshed first by SlackInstallService.current, the same path reminders take: once
 * across callers and instances, since Slack invalidates a refresh token once used (node-slack-sdk#2504).
 */
export function createAuthorize(installs: Pick<SlackInstalls, "current">) {
  return async function authorize(source: InstallationQuery<boolean>): Promise<Record<string, unknown>> {
    const workspaceId = workspaceOfQuery(source);
    if (!workspaceId) throw new Error("The request names no workspace.");
    const record = await installs.current(workspaceId);
    if (!record?.tokens.bot || !sameKind(record, source)) throw new Error(`keyward is not installed in workspace ${workspaceId}.`);
    return {
      botToken: record.tokens.bot,
      botId: record.botId ?? undefined,
      botUserId: record.botUserId ?? undefined,
      ...(record.tokens.user ? { userToken: record.tokens.user } : {}),
      // An org-wide install's requests keep the team they came from (Bolt's clients are per team).
      teamId: record.teamId ?? source.teamId,
      enterpriseId: record.enterpriseId ?? source.enterpriseId,
      servedWorkspace: servedByInstall(record),
    };
  };
}
