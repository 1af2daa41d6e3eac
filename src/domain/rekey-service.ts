import type { DomainContext } from "./context.ts";

/**
 * Re-encrypts integration secrets sealed under an older key version with the current one, so an
 * old master key can be retired (`npm run rekey`). Pages by id; each row is a compare-and-set, so
 * a rotation that lands meanwhile is kept, and a run interrupted half-way can simply be re-run.
 */
export async function reencryptSecrets(ctx: Pick<DomainContext, "store" | "cipher">, batchSize = 200): Promise<{ reencrypted: number; skipped: number }> {
  let after: string | undefined;
  let reencrypted = 0;
  let skipped = 0;
  for (;;) {
    const batch = await ctx.store.integrations.sealedBelow(ctx.cipher.currentVersion, after, batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      const plaintext = ctx.cipher.open(row.sealed, row.id);
      const done = await ctx.store.integrations.reseal(row.id, row.sealed, ctx.cipher.seal(plaintext, row.id));
      if (done) reencrypted++;
      else skipped++;
    }
    after = batch.at(-1)!.id;
  }
  return { reencrypted, skipped };
}
