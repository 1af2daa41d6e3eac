import type { DomainContext } from "./context.ts";
import { currentBinding } from "./secret-cipher.ts";
import { resealSlackInstalls } from "./slack-install-service.ts";

interface ReencryptResult {
  reencrypted: number;
  /** Rows changed meanwhile (a rotation won the compare-and-set). */
  skipped: number;
  /** Ids of rows that did not decrypt (tampered with, or a key version missing from the ring); left as they are. */
  failed: string[];
}

/**
 * Re-encrypts integration secrets sealed under an older key version with the current one, so an
 * old master key can be retired (`npm run rekey`), and upgrades every ciphertext still bound to
 * its row id only to the current binding (workspace, integration, alias and id). Pages by id; each
 * row is a compare-and-set, so a rotation that lands meanwhile is kept, several instances may run
 * it at once, and a run interrupted half-way can simply be re-run. A row that does not decrypt is
 * reported, not fatal: it is unreadable under any key, and the other rows still get upgraded.
 */
export async function reencryptSecrets(ctx: Pick<DomainContext, "store" | "cipher">, batchSize = 200): Promise<ReencryptResult> {
  const secrets = await reseal(ctx, batchSize, true);
  // OAuth installs' tokens too (always sealed with the current binding, so only the key version can be old).
  const installs = await resealSlackInstalls(ctx, batchSize);
  return {
    reencrypted: secrets.reencrypted + installs.reencrypted,
    skipped: secrets.skipped + installs.skipped,
    failed: [...secrets.failed, ...installs.failed],
  };
}

/**
 * The start-up half of reencryptSecrets: only rows with an old binding, each re-sealed under the
 * key version it already had, so that an instance whose ring lacks a newer key (during a rolling
 * change of KEYWARD_ENCRYPTION_KEYS) can still read every row afterwards.
 */
export async function upgradeSecretBindings(ctx: Pick<DomainContext, "store" | "cipher">, batchSize = 200): Promise<ReencryptResult> {
  return reseal(ctx, batchSize, false);
}

async function reseal(ctx: Pick<DomainContext, "store" | "cipher">, batchSize: number, toCurrentKey: boolean): Promise<ReencryptResult> {
  const below = { binding: currentBinding, ...(toCurrentKey ? { keyVersion: ctx.cipher.currentVersion } : {}) };
  const result: ReencryptResult = { reencrypted: 0, skipped: 0, failed: [] };
  let after: string | undefined;
  for (;;) {
    const batch = await ctx.store.integrations.sealedBelow(below, after, batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      let plaintext: string;
      try {
        plaintext = ctx.cipher.open(row.sealed, row);
      } catch {
        result.failed.push(row.id);
        continue;
      }
      const keyVersion = toCurrentKey ? ctx.cipher.currentVersion : row.sealed.keyVersion;
      if (await ctx.store.integrations.reseal(row.id, row.sealed, ctx.cipher.seal(plaintext, row, keyVersion))) result.reencrypted++;
      else result.skipped++;
    }
    after = batch.at(-1)!.id;
  }
  return result;
}
