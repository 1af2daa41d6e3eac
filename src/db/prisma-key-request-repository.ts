import type { KeyRequestRepository } from "../domain/repositories.ts";
import type { KeyRequest, KeyRequestStatus, PostedMessage } from "../domain/types.ts";
import type { KeyRequest as KeyRequestRow, Prisma } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

/** The advisory lock class of a requester's new requests (lockRequester); any constant int4 no other lock uses. */
const requesterLockClass = 0x6b7772; // "kwr"

export class PrismaKeyRequestRepository implements KeyRequestRepository {
  constructor(private readonly db: Db) {}

  async create(request: KeyRequest): Promise<KeyRequest> {
    const { messages, ...fields } = request;
    return toKeyRequest(await this.db.keyRequest.create({ data: { ...fields, messages: messages as unknown as Prisma.InputJsonValue } }));
  }

  async find(workspaceId: string, id: string): Promise<KeyRequest | null> {
    const row = await this.db.keyRequest.findFirst({ where: { workspaceId, id } });
    return row ? toKeyRequest(row) : null;
  }

  async list(workspaceId: string, page: { after?: string; limit: number; status?: KeyRequestStatus }): Promise<KeyRequest[]> {
    const rows = await this.db.keyRequest.findMany({
      where: { workspaceId, ...(page.after ? { id: { gt: page.after } } : {}), ...(page.status ? { status: page.status } : {}) },
      orderBy: { id: "asc" },
      take: page.limit,
    });
    return rows.map(toKeyRequest);
  }

  async decide(
    workspaceId: string,
    id: string,
    decision: { to: "approved" | "denied" | "expired"; by: string; at: Date; denyReason?: string; lapsed: boolean },
  ): Promise<boolean> {
    // One statement: on PostgreSQL a second decision waits for the first's row lock, then finds the row no longer pending.
    const { count } = await this.db.keyRequest.updateMany({
      where: { workspaceId, id, status: "pending", lapsesAt: decision.lapsed ? { lte: decision.at } : { gt: decision.at } },
      data: { status: decision.to, decidedBy: decision.by, decidedAt: decision.at, denyReason: decision.denyReason ?? null },
    });
    return count === 1;
  }

  async setKey(workspaceId: string, id: string, keyId: string): Promise<void> {
    await this.db.keyRequest.updateMany({ where: { workspaceId, id }, data: { keyId } });
  }

  async markUndelivered(workspaceId: string, id: string): Promise<boolean> {
    const { count } = await this.db.keyRequest.updateMany({ where: { workspaceId, id, status: "approved" }, data: { status: "undelivered" } });
    return count === 1;
  }

  async markUndeliveredByKey(workspaceId: string, keyId: string, notice: boolean): Promise<KeyRequest | null> {
    const row = await this.db.keyRequest.findFirst({ where: { workspaceId, keyId, status: "approved" }, select: { id: true } });
    if (!row) return null;
    const { count } = await this.db.keyRequest.updateMany({
      where: { workspaceId, id: row.id, status: "approved" },
      data: { status: "undelivered", messagesStale: true, ...(notice ? { undeliveredNotice: true } : {}) },
    });
    return count === 1 ? this.find(workspaceId, row.id) : null;
  }

  async takeUndeliveredNotices(limit: number): Promise<KeyRequest[]> {
    // One statement: of two instances running the pass at once, each notice goes to one of them.
    const taken = await this.db.$queryRawUnsafe<Array<{ id: string }>>(
      `UPDATE "KeyRequest" k SET "undeliveredNotice" = false
        WHERE k.id IN (SELECT r.id FROM "KeyRequest" r JOIN "Workspace" w ON w.id = r."workspaceId"
                        WHERE r."undeliveredNotice" AND w."slackPausedAt" IS NULL ORDER BY r.id LIMIT $1 FOR UPDATE OF r SKIP LOCKED)
          AND k."undeliveredNotice"
      RETURNING k.id`,
      limit,
    );
    if (taken.length === 0) return [];
    const rows = await this.db.keyRequest.findMany({ where: { id: { in: taken.map((t) => t.id) } }, orderBy: { id: "asc" } });
    return rows.map(toKeyRequest);
  }

  async lockRequester(workspaceId: string, userId: string): Promise<void> {
    await this.db.$queryRaw`SELECT pg_advisory_xact_lock(${requesterLockClass}::int, hashtext(${`${workspaceId}:${userId}`}::text))::text AS locked`;
  }

  async countPending(workspaceId: string, userId: string, at: Date): Promise<number> {
    return this.db.keyRequest.count({ where: { workspaceId, requestedBy: userId, status: "pending", lapsesAt: { gt: at } } });
  }

  async addMessages(workspaceId: string, id: string, messages: PostedMessage[]): Promise<void> {
    const row = await this.db.keyRequest.findFirst({ where: { workspaceId, id }, select: { messages: true } });
    if (!row) return;
    const all = [...readMessages(row.messages), ...messages];
    await this.db.keyRequest.updateMany({ where: { workspaceId, id }, data: { messages: all as unknown as Prisma.InputJsonValue } });
  }

  async setMessagesStale(workspaceId: string, id: string, stale: boolean): Promise<void> {
    await this.db.keyRequest.updateMany({ where: { workspaceId, id }, data: { messagesStale: stale } });
  }

  async findLapsed(at: Date, limit: number): Promise<KeyRequest[]> {
    const rows = await this.db.keyRequest.findMany({ where: { status: "pending", lapsesAt: { lte: at } }, orderBy: { lapsesAt: "asc" }, take: limit });
    return rows.map(toKeyRequest);
  }

  async findStale(limit: number): Promise<KeyRequest[]> {
    // A paused workspace's (uninstalled) wait: the pass has no client for them, and they would fill its batch ahead of everyone else's.
    const rows = await this.db.keyRequest.findMany({
      where: { messagesStale: true, workspace: { slackPausedAt: null } },
      orderBy: { id: "asc" },
      take: limit,
    });
    return rows.map(toKeyRequest);
  }
}

function readMessages(value: unknown): PostedMessage[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (m): m is PostedMessage =>
      typeof m === "object" && m !== null && typeof (m as PostedMessage).channel === "string" && typeof (m as PostedMessage).ts === "string",
  );
}

function toKeyRequest(row: KeyRequestRow): KeyRequest {
  const { messagesStale: _stale, undeliveredNotice: _notice, ...fields } = row;
  return { ...fields, status: row.status as KeyRequestStatus, messages: readMessages(row.messages) };
}
