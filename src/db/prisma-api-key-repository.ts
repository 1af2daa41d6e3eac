import type { ApiKeyRepository, KeyName, NewApiKey } from "../domain/repositories.ts";
import type { ApiKey, StoredKey } from "../domain/types.ts";
import type { ApiKey as ApiKeyRow, Role as RoleRow } from "./generated/client.ts";
import { toRole } from "./prisma-role-repository.ts";
import type { Db } from "./prisma-store.ts";

type Row = ApiKeyRow & { role: RoleRow };
/** What every read gets, from Prisma's include or the list's join: the key's public columns and its role's name. */
type KeyRow = Omit<ApiKey, "roleName"> & { role: Pick<RoleRow, "name"> };

export const keyChangedChannel = "keyward_key_changed";

/** The one mapping of a key row to the domain's ApiKey: its public fields only (never the hash). */
function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    description: row.description,
    kind: row.kind,
    roleId: row.roleId,
    roleName: row.role.name,
    last4: row.last4,
    createdBy: row.createdBy,
    // Copied: the list's raw query hands timestamps over as the adapter gives them.
    createdAt: new Date(row.createdAt),
    expiresAt: new Date(row.expiresAt),
    expiryTimeZone: row.expiryTimeZone,
    lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt) : null,
    replacedBy: row.replacedBy,
  };
}

function toStoredKey(row: Row): StoredKey {
  return {
    ...toApiKey(row),
    deletedAt: row.deletedAt,
    pendingSince: row.pendingSince,
    rolePermissions: toRole(row.role).permissions,
    expiresAtBeforeRoll: row.expiresAtBeforeRoll,
  };
}

/** The advisory lock class of key names (see lockName); any constant int4 no other lock uses. */
const nameLockClass = 0x6b776e; // "kwn"

// Live: not deleted, and not waiting for its secret's delivery.
const live = { deletedAt: null, pendingSince: null } as const;
const withRole = { role: true } as const;

export class PrismaApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Db) {}

  async create(key: NewApiKey): Promise<ApiKey> {
    return toApiKey(await this.db.apiKey.create({ data: key, include: withRole }));
  }

  /** The hot read of the REST API and /keys list: one joined query (half the cost of findMany + include). */
  async list(workspaceId: string, page: { after?: string; skip?: number; limit: number }): Promise<ApiKey[]> {
    const rows = await this.db.$queryRaw<Array<Omit<ApiKey, "roleName"> & { roleName: string }>>`
      SELECT k.id, k."workspaceId", k.name, k.description, k.kind::text AS kind, k."roleId", r.name AS "roleName", k.last4,
             k."createdBy", k."createdAt", k."expiresAt", k."expiryTimeZone", k."lastUsedAt", k."replacedBy"
        FROM "ApiKey" k JOIN "Role" r ON r.id = k."roleId"
       WHERE k."workspaceId" = ${workspaceId} AND k."deletedAt" IS NULL AND k."pendingSince" IS NULL
         AND (${page.after ?? null}::text IS NULL OR k.id > ${page.after ?? ""})
       ORDER BY k.id
       LIMIT ${page.limit} OFFSET ${page.skip ?? 0}`;
    return rows.map(({ roleName, ...row }) => toApiKey({ ...row, role: { name: roleName } }));
  }

  async findById(workspaceId: string, id: string): Promise<ApiKey | null> {
    const row = await this.db.apiKey.findFirst({ where: { workspaceId, id, ...live }, include: withRole });
    return row ? toApiKey(row) : null;
  }

  async findByName(workspaceId: string, name: string): Promise<ApiKey[]> {
    const rows = await this.db.apiKey.findMany({ where: { workspaceId, name, ...live }, include: withRole, orderBy: { id: "asc" }, take: 20 });
    return rows.map(toApiKey);
  }

  async findByHash(hash: string): Promise<StoredKey | null> {
    const row = await this.db.apiKey.findUnique({ where: { hash }, include: withRole });
    return row ? toStoredKey(row) : null;
  }

  async findByHashes(hashes: string[]): Promise<Array<{ hash: string; key: StoredKey }>> {
    if (hashes.length === 0) return [];
    const rows = await this.db.apiKey.findMany({ where: { hash: { in: hashes } }, include: withRole });
    return rows.map((row) => ({ hash: row.hash, key: toStoredKey(row) }));
  }

  async recordLeakSighting(workspaceId: string, keyId: string, place: string, at: Date): Promise<boolean> {
    // Through the key's own row, so a key of another workspace records nothing.
    const inserted = await this.db.$executeRaw`
      INSERT INTO "LeakSighting" ("keyId", place, "seenAt")
      SELECT id, ${place}, ${at} FROM "ApiKey" WHERE "workspaceId" = ${workspaceId} AND id = ${keyId}
      ON CONFLICT ("keyId", place) DO NOTHING`;
    return inserted === 1;
  }

  async listHashPrefixes(): Promise<string[]> {
    const rows = await this.db.$queryRaw<Array<{ p: string }>>`SELECT left(hash, 16) AS p FROM "ApiKey"`;
    return rows.map((r) => r.p);
  }

  async hashPrefixOf(id: string): Promise<string | null> {
    const rows = await this.db.$queryRaw<Array<{ p: string }>>`SELECT left(hash, 16) AS p FROM "ApiKey" WHERE id = ${id}`;
    return rows[0]?.p ?? null;
  }

  async findStored(workspaceId: string, id: string): Promise<StoredKey | null> {
    const row = await this.db.apiKey.findFirst({ where: { workspaceId, id }, include: withRole });
    return row ? toStoredKey(row) : null;
  }

  async lockForChange(workspaceId: string, id: string): Promise<StoredKey | null> {
    // FOR UPDATE waits for any other transaction changing this row; the read after it (a new
    // statement, so a new snapshot under READ COMMITTED) sees what that transaction committed.
    const locked = await this.db.$queryRaw<Array<{ id: string }>>`SELECT id FROM "ApiKey" WHERE "workspaceId" = ${workspaceId} AND id = ${id} FOR UPDATE`;
    return locked.length === 1 ? this.findStored(workspaceId, id) : null;
  }

  async lockName(workspaceId: string, name: string): Promise<void> {
    // No row to lock for a name nobody holds yet: a transaction-scoped advisory lock stands in for
    // it. The two-key form keeps these apart from the migrator's one-key lock; a hash collision
    // only makes two unrelated names wait for each other.
    await this.db.$queryRaw`SELECT pg_advisory_xact_lock(${nameLockClass}::int, hashtext(${workspaceId}::text || ':' || ${name}::text))::text AS locked`;
  }

  async nameInUse(workspaceId: string, name: string, now: Date): Promise<boolean> {
    // Pending keys count whatever their expiry: two Slack creates of one name are both pending
    // until their delivery, and a pending replacement holds its name for the old key that an
    // undelivered roll brings back. A rolled key's name is its replacement's, which is counted
    // instead. An expired key works no more and cannot be rolled: its name is free for the key
    // that replaces it.
    const holder = await this.db.apiKey.findFirst({
      where: { workspaceId, name, deletedAt: null, replacedBy: null, OR: [{ expiresAt: { gt: now } }, { pendingSince: { not: null } }] },
      select: { id: true },
    });
    return holder !== null;
  }

  async update(workspaceId: string, id: string, changes: { name?: string; description?: string }): Promise<ApiKey | null> {
    const { count } = await this.db.apiKey.updateMany({ where: { workspaceId, id, ...live }, data: changes });
    return count === 1 ? this.findById(workspaceId, id) : null;
  }

  async softDelete(workspaceId: string, id: string, by: string, at: Date): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, deletedAt: null },
      data: { deletedAt: at, deletedBy: by, nextReminderAt: null },
    });
    return count === 1;
  }

  async announceChange(id: string): Promise<void> {
    // NOTIFY is transactional: listeners hear it only if and when the change commits.
    await this.db.$queryRaw`SELECT pg_notify(${keyChangedChannel}, ${id})::text AS sent`;
  }

  async activate(workspaceId: string, id: string): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, deletedAt: null, pendingSince: { not: null } },
      data: { pendingSince: null },
    });
    return count === 1;
  }

  async findPendingBefore(cutoff: Date, limit: number): Promise<StoredKey[]> {
    const rows = await this.db.apiKey.findMany({
      where: { deletedAt: null, pendingSince: { lt: cutoff } },
      include: withRole,
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map(toStoredKey);
  }

  async findReplacedBy(workspaceId: string, replacementId: string): Promise<StoredKey | null> {
    const row = await this.db.apiKey.findFirst({ where: { workspaceId, replacedBy: replacementId, deletedAt: null }, include: withRole });
    return row ? toStoredKey(row) : null;
  }

  async markReplaced(workspaceId: string, id: string, roll: { replacedBy: string; expiresAt: Date; expiresAtBeforeRoll: Date }): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({ where: { workspaceId, id, ...live, replacedBy: null }, data: { ...roll, nextReminderAt: null } });
    return count === 1;
  }

  async clearReplaced(workspaceId: string, id: string, expiresAt: Date, nextReminderAt: Date | null): Promise<boolean> {
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, ...live },
      data: { replacedBy: null, expiresAt, expiresAtBeforeRoll: null, nextReminderAt },
    });
    return count === 1;
  }

  async shortenExpiry(workspaceId: string, id: string, expiresAt: Date, nextReminderAt: Date | null): Promise<boolean> {
    // Only ever earlier: a policy applied twice, or racing a roll that shortened the key further, never lengthens it.
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, deletedAt: null, expiresAt: { gt: expiresAt } },
      data: { expiresAt, nextReminderAt },
    });
    return count === 1;
  }

  async listUndeleted(workspaceId: string, page: { after?: string; limit: number }): Promise<ApiKey[]> {
    const rows = await this.db.apiKey.findMany({
      where: { workspaceId, deletedAt: null, ...(page.after ? { id: { gt: page.after } } : {}) },
      include: withRole,
      orderBy: { id: "asc" },
      take: page.limit,
    });
    return rows.map(toApiKey);
  }

  async postponeReminder(workspaceId: string, id: string, until: Date): Promise<boolean> {
    // Only later, never earlier, and not when no reminder is left (as integrations' snooze).
    const { count } = await this.db.apiKey.updateMany({
      where: { workspaceId, id, ...live, nextReminderAt: { not: null, lt: until } },
      data: { nextReminderAt: until },
    });
    return count === 1;
  }

  async recordLastUsed(times: ReadonlyMap<string, Date>): Promise<void> {
    if (times.size === 0) return;
    const ids = [...times.keys()];
    const stamps = ids.map((id) => times.get(id)!.toISOString());
    // One statement for the whole batch; GREATEST keeps a slower instance from moving the time back.
    await this.db.$executeRaw`
      UPDATE "ApiKey" AS k SET "lastUsedAt" = GREATEST(COALESCE(k."lastUsedAt", u.at), u.at)
      FROM (SELECT unnest(${ids}::text[]) AS id, unnest(${stamps}::timestamptz[]) AS at) AS u
      WHERE k.id = u.id`;
  }

  async namesOf(workspaceId: string, ids: readonly string[]): Promise<KeyName[]> {
    if (ids.length === 0) return [];
    // Any state: a deleted key that created something is still shown by its name.
    const rows = await this.db.apiKey.findMany({
      where: { workspaceId, id: { in: [...ids] } },
      select: { id: true, name: true, last4: true, deletedAt: true },
    });
    return rows.map((r) => ({ id: r.id, name: r.name, last4: r.last4, deleted: r.deletedAt !== null }));
  }

  async countLive(workspaceId: string): Promise<number> {
    return this.db.apiKey.count({ where: { workspaceId, ...live } });
  }
}
