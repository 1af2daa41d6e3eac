import type { KeyUsageRepository, KeyUseCount } from "../domain/repositories.ts";
import type { Db } from "./prisma-store.ts";

/** Daily counts as `day` numbers (days since 1970-01-01): DATE arithmetic in SQL, no time zone anywhere. */
export class PrismaKeyUsageRepository implements KeyUsageRepository {
  constructor(private readonly db: Db) {}

  async add(counts: readonly KeyUseCount[]): Promise<void> {
    if (counts.length === 0) return;
    // Sorted, so two instances flushing overlapping batches lock the rows in the same order (no deadlock).
    const rows = [...counts].sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : a.day - b.day));
    const workspaces = rows.map((r) => r.workspaceId);
    const ids = rows.map((r) => r.keyId);
    const days = rows.map((r) => r.day);
    const ns = rows.map((r) => String(r.count));
    // One statement for the whole batch; adding to the row (not setting it) lets every instance's counts add up.
    // The join drops counts of a key that is gone (its workspace uninstalled and purged), which would otherwise fail every later flush.
    await this.db.$executeRaw`
      INSERT INTO "KeyUsageDay" ("workspaceId", "keyId", "day", "count")
      SELECT u.ws, u.id, DATE '1970-01-01' + u.d, u.n
      FROM unnest(${workspaces}::text[], ${ids}::text[], ${days}::int[], ${ns}::bigint[]) WITH ORDINALITY AS u(ws, id, d, n, i)
      JOIN "ApiKey" k ON k.id = u.id AND k."workspaceId" = u.ws
      ORDER BY u.i
      ON CONFLICT ("keyId", "day") DO UPDATE SET "count" = "KeyUsageDay"."count" + excluded."count"`;
  }

  async daily(workspaceId: string, keyIds: readonly string[], fromDay: number): Promise<KeyUseCount[]> {
    if (keyIds.length === 0) return [];
    const rows = await this.db.$queryRaw<Array<{ keyId: string; d: number; n: bigint | number | string }>>`
      SELECT "keyId", ("day" - DATE '1970-01-01')::int AS d, "count" AS n FROM "KeyUsageDay"
      WHERE "workspaceId" = ${workspaceId} AND "keyId" = ANY(${[...keyIds]}::text[]) AND "day" >= DATE '1970-01-01' + ${fromDay}::int`;
    return rows.map((r) => ({ workspaceId, keyId: r.keyId, day: Number(r.d), count: Number(r.n) }));
  }

  async prune(beforeDay: number): Promise<number> {
    return this.db.$executeRaw`DELETE FROM "KeyUsageDay" WHERE "day" < DATE '1970-01-01' + ${beforeDay}::int`;
  }
}
