import type { DomainContext } from "./context.ts";
import type { StoredSlackInstall } from "./repositories.ts";
import type { SecretOwner } from "./secret-cipher.ts";

/** An installation's tokens: what is sealed. */
export interface SlackInstallTokens {
  bot?: string;
  botRefresh?: string;
  user?: string;
  userRefresh?: string;
}

/** A workspace installed through OAuth, its tokens in the clear (only ever in memory). */
export interface SlackInstallRecord extends Omit<StoredSlackInstall, "sealed" | "installedAt" | "lastInstalledAt" | "updatedAt"> {
  tokens: SlackInstallTokens;
}

/**
 * Token rotation: a refresh token exchanged for a new bot token and refresh token (oauth.v2.access,
 * grant_type refresh_token). Called once and never retried: Slack's refresh tokens are single-use,
 * so a retry after a timeout would spend a dead one and lose the new pair.
 */
export type SlackTokenRefresh = (refreshToken: string) => Promise<{ botToken: string; refreshToken: string; expiresInSeconds: number | null }>;

/** A refresh Slack refused: `code` is Slack's error (or the transport's), never anything secret. */
export class TokenRefreshError extends Error {
  constructor(readonly code: string) {
    super(`token refresh failed: ${code}`);
  }
}

/** Slack's answers that no retry of the same refresh token (or client credentials) can change: a reinstall is needed. */
const refusedForGood = new Set(["invalid_refresh_token", "invalid_grant", "invalid_client", "invalid_client_id", "bad_client_secret", "token_revoked"]);
/** After any other failure, nobody tries that workspace's refresh again for this long. */
const refreshBackOffMs = 2 * 60_000;

/** Tokens expiring within this window are refreshed first (Bolt's installer's own window: 2 h). */
const refreshWindowMs = 2 * 3600_000;
/** How long one instance holds an installation's refresh (the refresh call's timeout is 10 s). */
const refreshLeaseMs = 30_000;
/**
 * A token this close to its expiry (or past it) is worth waiting for a refresh; before that the
 * stored one is served at once and the refresh runs behind it, since Bolt authorizes before any
 * listener acks and Slack wants the ack within 3 s (the refresh call may take 10).
 */
const mustWaitMs = 60_000;
/**
 * Another instance is refreshing an expired token: how often to look again, and for how long at
 * most (a request must still ack within Slack's 3 s).
 */
const waitForOthersMs = 250;
const maxWaitForOthersMs = 1_500;

/** Waits between looks at another instance's refresh (injected: tests with a stopped clock burn no real time). */
export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The tokens are sealed as one JSON text, bound to the installation's workspace id (its row id):
 * a ciphertext copied onto another workspace's row does not open. The integration name cannot be
 * an integration's (those are lowercase words), so no integration secret shares this binding.
 */
const ownerOf = (workspaceId: string): SecretOwner => ({ workspaceId, integration: "@slack-install", alias: "tokens", id: workspaceId });

/**
 * OAuth installs (SLACK_CLIENT_ID…): stores what Bolt's installer reports, tokens encrypted with
 * the key ring, and deletes it when Slack says the app is gone. An uninstalled workspace is paused
 * (its reminders wait, and its keys keep working over REST); installing it again resumes it.
 */
export class SlackInstallService {
  /** This process's refreshes under way, by workspace: callers arriving meanwhile share one. */
  private readonly flights = new Map<string, Promise<SlackInstallRecord | null>>();
  private holderId: string | undefined;

  constructor(
    private readonly ctx: Pick<DomainContext, "store" | "cipher" | "clock" | "random" | "slackTokenRefresh"> & {
      sleep?: Sleep;
      /** Slack refused a workspace's refresh token for good (told once: nobody tries it again until a reinstall). */
      onRefreshRefused?: (workspaceId: string, code: string) => void;
    },
  ) {}

  async find(workspaceId: string): Promise<SlackInstallRecord | null> {
    const row = await this.ctx.store.slackInstalls.find(workspaceId);
    return row ? this.opened(row) : null;
  }

  /**
   * The installation every Slack call of a workspace uses (requests and reminders alike): a bot
   * token expiring within 2 h is refreshed, once across all callers and instances (see refresh);
   * the caller waits for it only when the stored token is within a minute of expiry.
   */
  async current(workspaceId: string): Promise<SlackInstallRecord | null> {
    const found = await this.find(workspaceId);
    if (!found || !this.ctx.slackTokenRefresh || !this.expiring(found)) return found;
    const flight = this.flight(workspaceId, this.ctx.slackTokenRefresh);
    if (!this.expiring(found, mustWaitMs)) return found;
    // A failed refresh (logged by the port) leaves the stored token, which may still work a while.
    return flight.catch(() => this.find(workspaceId));
  }

  /** Tests and shutdown: every refresh under way has ended (whether or not it succeeded). */
  async refreshesSettled(): Promise<void> {
    await Promise.allSettled([...this.flights.values()]);
  }

  private flight(workspaceId: string, exchange: SlackTokenRefresh): Promise<SlackInstallRecord | null> {
    // No await between the look-up and the set: two callers of this process cannot both start one.
    let flight = this.flights.get(workspaceId);
    if (!flight) {
      flight = this.refresh(workspaceId, exchange).finally(() => this.flights.delete(workspaceId));
      // A refresh nobody waits for must not reject unhandled (the port has logged its failure).
      flight.catch(() => undefined);
      this.flights.set(workspaceId, flight);
    }
    return flight;
  }

  /** The bot token of an installed workspace, refreshed when expiring; null when it is not installed. */
  async tokenFor(workspaceId: string): Promise<string | null> {
    return (await this.current(workspaceId))?.tokens.bot ?? null;
  }

  /** An OAuth install or reinstall (never a refresh): the row is updated in place, and the workspace resumes. */
  async save(record: SlackInstallRecord): Promise<void> {
    const { tokens, ...rest } = record;
    const now = this.ctx.clock.now();
    const sealed = this.ctx.cipher.seal(JSON.stringify(tokens), ownerOf(record.workspaceId));
    await this.ctx.store.transaction(async (tx) => {
      await tx.slackInstalls.lockWorkspace(record.workspaceId);
      await tx.slackInstalls.save({ ...rest, sealed, installedAt: now, lastInstalledAt: now, updatedAt: now });
      await tx.slackInstalls.resume(record.workspaceId);
    });
  }

  private opened(row: StoredSlackInstall): SlackInstallRecord {
    const { sealed, installedAt: _i, lastInstalledAt: _l, updatedAt: _u, ...rest } = row;
    const tokens = JSON.parse(this.ctx.cipher.open(sealed, ownerOf(row.workspaceId))) as SlackInstallTokens;
    return { ...rest, tokens };
  }

  private expiring(record: SlackInstallRecord, withinMs = refreshWindowMs): boolean {
    const { botExpiresAt } = record;
    return Boolean(record.tokens.botRefresh && botExpiresAt && botExpiresAt.getTime() - this.ctx.clock.now().getTime() <= withinMs);
  }

  private get holder(): string {
    this.holderId ??= this.ctx.random.bytes(8).toString("hex");
    return this.holderId;
  }

  /**
   * One refresh across instances: the row's lease first, then the row read again (another instance
   * may have refreshed it already: its token is used). The new tokens are stored compare-and-set on
   * the ciphertext they replace: never an upsert, never a resume, so an installation uninstalled
   * (or reinstalled) meanwhile is left as it is.
   */
  private async refresh(workspaceId: string, exchange: SlackTokenRefresh): Promise<SlackInstallRecord | null> {
    const repo = this.ctx.store.slackInstalls;
    for (let waited = 0; ; waited += waitForOthersMs) {
      // Tried again after each wait: a holder that failed and let go leaves the refresh to us.
      if (await repo.leaseRefresh(workspaceId, this.holder, refreshLeaseMs)) return this.refreshUnderLease(workspaceId, exchange);
      // Another instance holds it: its token once stored; the stored one meanwhile while it has not
      // expired, or at once when the lease is a back-off after a failure (nobody is refreshing).
      const record = await this.find(workspaceId);
      if (!record || !this.expiring(record, 0) || waited >= maxWaitForOthersMs || (await repo.refreshBackingOff(workspaceId))) return record;
      await (this.ctx.sleep ?? realSleep)(waitForOthersMs);
    }
  }

  private async refreshUnderLease(workspaceId: string, exchange: SlackTokenRefresh): Promise<SlackInstallRecord | null> {
    const repo = this.ctx.store.slackInstalls;
    let backOffMs: number | null | undefined;
    try {
      const row = await repo.find(workspaceId);
      if (!row) return null;
      const record = this.opened(row);
      if (!this.expiring(record)) return record;
      const fresh = await exchange(record.tokens.botRefresh!).catch((error: unknown) => {
        const code = error instanceof TokenRefreshError ? error.code : "unknown";
        backOffMs = refusedForGood.has(code) ? null : refreshBackOffMs;
        if (backOffMs === null) this.ctx.onRefreshRefused?.(workspaceId, code);
        throw error;
      });
      const now = this.ctx.clock.now();
      const tokens = { ...record.tokens, bot: fresh.botToken, botRefresh: fresh.refreshToken };
      const botExpiresAt = fresh.expiresInSeconds === null ? null : new Date(now.getTime() + fresh.expiresInSeconds * 1000);
      const sealed = this.ctx.cipher.seal(JSON.stringify(tokens), ownerOf(workspaceId));
      if (!(await repo.storeRefreshed(workspaceId, row.sealed, sealed, botExpiresAt, now))) return this.find(workspaceId);
      return { ...record, tokens, botExpiresAt };
    } finally {
      // A failure keeps the lease as a back-off: else every request and reminder would call Slack again.
      const done = backOffMs === undefined ? repo.releaseRefresh(workspaceId, this.holder) : repo.backOffRefresh(workspaceId, this.holder, backOffMs);
      await done.catch(() => undefined);
    }
  }

  /** OAuth mode: a workspace with data but no installation waits like an uninstalled one (resumed by an install). */
  async pauseIfUninstalled(workspaceId: string): Promise<void> {
    // Serialised with an install on the workspace's row (save takes the same lock first): the check
    // runs as a statement after the lock, so it sees an install that committed while this waited
    // (one statement's subquery would keep the snapshot it started with, and pause an installed workspace).
    await this.ctx.store.transaction(async (tx) => {
      await tx.slackInstalls.lockWorkspace(workspaceId);
      await tx.slackInstalls.pauseIfUninstalled(workspaceId, this.ctx.clock.now());
    });
  }

  /**
   * app_uninstalled / tokens_revoked: the tokens go at once; idempotent (true when there were any).
   * `sentAt` (the event's event_time, whole seconds): an event sent before the workspace's last
   * install (a late delivery or Slack's retry of an old uninstall; the bot user id survives a
   * reinstall) changes nothing. One sent within the install's second still applies: an uninstall
   * that close to an install is likelier than a reinstall that close to an uninstall.
   */
  async remove(workspaceId: string, sentAt?: Date): Promise<boolean> {
    const before = sentAt ? new Date(Math.floor(sentAt.getTime() / 1000) * 1000 + 999) : undefined;
    return this.ctx.store.transaction(async (tx) => {
      await tx.slackInstalls.lockWorkspace(workspaceId);
      const deleted = await tx.slackInstalls.delete(workspaceId, before);
      if (!deleted && before && (await tx.slackInstalls.find(workspaceId))) return false;
      await tx.slackInstalls.pause(workspaceId, this.ctx.clock.now());
      return deleted;
    });
  }
}

/** `npm run rekey`: installation tokens sealed under an older key version, re-sealed under the current one (compare-and-set per row). */
export async function resealSlackInstalls(
  ctx: Pick<DomainContext, "store" | "cipher">,
  batchSize = 200,
): Promise<{ reencrypted: number; skipped: number; failed: string[] }> {
  const result = { reencrypted: 0, skipped: 0, failed: [] as string[] };
  let after: string | undefined;
  for (;;) {
    const batch = await ctx.store.slackInstalls.sealedBelow(ctx.cipher.currentVersion, after, batchSize);
    if (batch.length === 0) return result;
    for (const row of batch) {
      let plaintext: string;
      try {
        plaintext = ctx.cipher.open(row.sealed, ownerOf(row.workspaceId));
      } catch {
        result.failed.push(`slack-install:${row.workspaceId}`);
        continue;
      }
      if (await ctx.store.slackInstalls.reseal(row.workspaceId, row.sealed, ctx.cipher.seal(plaintext, ownerOf(row.workspaceId)))) result.reencrypted++;
      else result.skipped++;
    }
    after = batch.at(-1)!.workspaceId;
  }
}
