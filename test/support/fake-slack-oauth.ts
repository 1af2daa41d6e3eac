// The fake Slack's side of OAuth installs: the workspaces an app can be installed in, the codes
// slack.com hands a browser once a person approves the install, and the bot tokens (and refresh
// tokens, with token rotation) `oauth.v2.access` exchanges them for. Each installation has its own
// bot token; `auth.test` answers for it. Shapes: docs.slack.dev oauth.v2.access (SLACK-NOTES §9).
import { randomBytes } from "node:crypto";

type SlackBody = { ok: boolean; error?: string } & Record<string, unknown>;

/** A workspace (or a whole Grid org, for an org-wide install) the app can be installed in. */
export interface FakeInstallTarget {
  /** The team; absent for an org-wide install. */
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  /** An org-wide install: `team: null`, the enterprise, `is_enterprise_install: true`. */
  isEnterpriseInstall?: boolean;
  /** Who approves the install (authed_user.id). */
  installerUserId?: string;
  botUserId?: string;
  botId?: string;
}

export interface FakeOAuthApp {
  clientId: string;
  clientSecret: string;
  /** Token rotation: bot tokens expire after this many seconds and come with a refresh token. */
  tokenExpiresIn?: number;
  /** How long a refreshed token lives (default 43200 s, Slack's 12 hours). */
  refreshedExpiresIn?: number;
  /** The scopes oauth.v2.access reports (default: those the install URL asked for are not known here). */
  scopes?: readonly string[];
}

export interface FakeInstallation extends Required<Pick<FakeInstallTarget, "installerUserId" | "botUserId" | "botId">> {
  target: FakeInstallTarget;
  /** The bot token now valid (rotation mints new ones). */
  botToken: string;
  refreshToken?: string;
  revoked: boolean;
  /** How many times a refresh token was exchanged for this installation. */
  refreshes: number;
}

interface PendingCode {
  target: FakeInstallTarget;
  redirectUri?: string;
  used: boolean;
}

export class FakeOAuth {
  private app: FakeOAuthApp | undefined;
  private readonly codes = new Map<string, PendingCode>();
  private readonly byToken = new Map<string, FakeInstallation>();
  private readonly byRefresh = new Map<string, FakeInstallation>();
  private counter = 0;

  constructor(private readonly appId: string) {}

  configure(app: FakeOAuthApp): void {
    this.app = app;
  }

  /** slack.com's consent page approved: the code its redirect carries (valid once). */
  issueCode(target: FakeInstallTarget, redirectUri?: string): string {
    const code = `${++this.counter}.${randomBytes(12).toString("hex")}`;
    this.codes.set(code, { target, redirectUri, used: false });
    return code;
  }

  /** The installation a bot token belongs to (undefined: not one of the OAuth tokens). */
  installationOf(token: string): FakeInstallation | undefined {
    return this.byToken.get(token);
  }

  /** The newest installation of a workspace (team id, or enterprise id for an org-wide install). */
  installationFor(workspaceId: string): FakeInstallation | undefined {
    return [...this.byToken.values()].reverse().find((i) => (i.target.isEnterpriseInstall ? i.target.enterpriseId : i.target.teamId) === workspaceId);
  }

  /** The workspace uninstalled the app, or an admin revoked its tokens: every token of it stops working. */
  revoke(workspaceId: string): void {
    for (const install of this.byToken.values()) {
      if ((install.target.isEnterpriseInstall ? install.target.enterpriseId : install.target.teamId) === workspaceId) install.revoked = true;
    }
  }

  /** oauth.v2.access: a code, or (rotation) a refresh token, for a bot token. Client credentials by form or HTTP Basic. */
  access(args: Record<string, unknown>, basic: { clientId: string; clientSecret: string } | undefined): SlackBody {
    const app = this.app;
    if (!app) return { ok: false, error: "invalid_client_id" };
    const clientId = basic?.clientId ?? String(args.client_id ?? "");
    const clientSecret = basic?.clientSecret ?? String(args.client_secret ?? "");
    if (clientId !== app.clientId) return { ok: false, error: "invalid_client_id" };
    if (clientSecret !== app.clientSecret) return { ok: false, error: "bad_client_secret" };
    if (args.grant_type === "refresh_token") return this.refresh(String(args.refresh_token ?? ""));
    const pending = this.codes.get(String(args.code ?? ""));
    if (!pending || pending.used) return { ok: false, error: "invalid_code" };
    if (pending.redirectUri !== undefined && args.redirect_uri !== undefined && args.redirect_uri !== pending.redirectUri) {
      return { ok: false, error: "bad_redirect_uri" };
    }
    pending.used = true;
    const n = ++this.counter;
    const t = pending.target;
    const install: FakeInstallation = {
      target: t,
      installerUserId: t.installerUserId ?? "U0INSTALL1",
      botUserId: t.botUserId ?? `U0BOT${String(n).padStart(4, "0")}`,
      botId: t.botId ?? `B0BOT${String(n).padStart(4, "0")}`,
      botToken: this.mintToken(t),
      revoked: false,
      refreshes: 0,
    };
    if (app.tokenExpiresIn !== undefined) install.refreshToken = this.mintRefresh();
    this.byToken.set(install.botToken, install);
    if (install.refreshToken) this.byRefresh.set(install.refreshToken, install);
    return this.tokenAnswer(install, true);
  }

  /** auth.test for an installation's token. */
  authTest(install: FakeInstallation): SlackBody {
    const t = install.target;
    return {
      ok: true,
      url: t.isEnterpriseInstall
        ? `https://${(t.enterpriseId ?? "org").toLowerCase()}.enterprise.slack.com/`
        : `https://${(t.teamId ?? "team").toLowerCase()}.slack.com/`,
      team: t.isEnterpriseInstall ? (t.enterpriseName ?? "Fake Grid") : (t.teamName ?? t.teamId),
      user: "keyward",
      ...(t.isEnterpriseInstall ? {} : { team_id: t.teamId }),
      user_id: install.botUserId,
      bot_id: install.botId,
      ...(t.enterpriseId ? { enterprise_id: t.enterpriseId } : {}),
      is_enterprise_install: Boolean(t.isEnterpriseInstall),
    };
  }

  private refresh(refreshToken: string): SlackBody {
    const install = this.byRefresh.get(refreshToken);
    if (!install || install.revoked) return { ok: false, error: "invalid_refresh_token" };
    // Slack's refresh tokens are single-use: the old one stops working once exchanged.
    this.byRefresh.delete(refreshToken);
    install.refreshes++;
    install.botToken = this.mintToken(install.target);
    install.refreshToken = this.mintRefresh();
    this.byToken.set(install.botToken, install);
    this.byRefresh.set(install.refreshToken, install);
    return this.tokenAnswer(install, false, this.app?.refreshedExpiresIn ?? 43_200);
  }

  private tokenAnswer(install: FakeInstallation, withUser: boolean, expiresIn = this.app?.tokenExpiresIn): SlackBody {
    const t = install.target;
    return {
      ok: true,
      app_id: this.appId,
      ...(withUser ? { authed_user: { id: install.installerUserId } } : {}),
      scope: (this.app?.scopes ?? ["commands", "chat:write", "im:write", "users:read", "channels:history", "groups:history", "im:history"]).join(","),
      token_type: "bot",
      access_token: install.botToken,
      bot_user_id: install.botUserId,
      ...(install.refreshToken ? { refresh_token: install.refreshToken, expires_in: expiresIn } : {}),
      team: t.isEnterpriseInstall ? null : { id: t.teamId, name: t.teamName ?? t.teamId },
      enterprise: t.enterpriseId ? { id: t.enterpriseId, name: t.enterpriseName ?? "Fake Grid" } : null,
      is_enterprise_install: Boolean(t.isEnterpriseInstall),
    };
  }

  private mintToken(t: FakeInstallTarget): string {
    const where = (t.isEnterpriseInstall ? t.enterpriseId : t.teamId) ?? "x";
    return `xoxb-${where.toLowerCase()}-${++this.counter}-${randomBytes(10).toString("hex")}`;
  }

  private mintRefresh(): string {
    return `xoxe-1-${++this.counter}-${randomBytes(16).toString("hex")}`;
  }
}

/** Client credentials sent as HTTP Basic (Slack accepts them so, as well as form fields). */
export function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!match?.[1]) return undefined;
  const [clientId = "", ...rest] = Buffer.from(match[1], "base64").toString("utf8").split(":");
  return { clientId, clientSecret: rest.join(":") };
}
