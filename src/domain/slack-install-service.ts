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
export interface SlackInstallRecord extends Omit<StoredSlackInstall, "sealed" | "installedAt" | "updatedAt"> {
  tokens: SlackInstallTokens;
}

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
  constructor(private readonly ctx: Pick<DomainContext, "store" | "cipher" | "clock">) {}

  async find(workspaceId: string): Promise<SlackInstallRecord | null> {
    const row = await this.ctx.store.slackInstalls.find(workspaceId);
    if (!row) return null;
    const { sealed, installedAt: _i, updatedAt: _u, ...rest } = row;
    const tokens = JSON.parse(this.ctx.cipher.open(sealed, ownerOf(row.workspaceId))) as SlackInstallTokens;
    return { ...rest, tokens };
  }

  /** The bot token of an installed workspace; null when it is not installed (or its tokens were revoked). */
  async botTokenFor(workspaceId: string): Promise<string | null> {
    return (await this.find(workspaceId))?.tokens.bot ?? null;
  }

  /** An install, a reinstall or a refreshed token: the row is updated in place, and the workspace resumes. */
  async save(record: SlackInstallRecord): Promise<void> {
    const { tokens, ...rest } = record;
    const now = this.ctx.clock.now();
    const sealed = this.ctx.cipher.seal(JSON.stringify(tokens), ownerOf(record.workspaceId));
    await this.ctx.store.transaction(async (tx) => {
      await tx.slackInstalls.save({ ...rest, sealed, installedAt: now, updatedAt: now });
      await tx.slackInstalls.resume(record.workspaceId);
    });
  }

  /** app_uninstalled / tokens_revoked: the tokens go at once; idempotent (true when there were any). */
  async remove(workspaceId: string): Promise<boolean> {
    return this.ctx.store.transaction(async (tx) => {
      const deleted = await tx.slackInstalls.delete(workspaceId);
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
