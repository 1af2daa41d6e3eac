import { randomUUID } from "node:crypto";
import { decodeChange, encodeChange, type ReminderMessageChange } from "../domain/reminder-messages.ts";
import type { PostedReminder, ReminderClaim, ReminderSubject, ReminderSubjectType } from "../domain/reminder-types.ts";
import type { ReminderRepository } from "../domain/repositories.ts";
import type { PrismaClient } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

interface SubjectRow {
  id: string;
  workspaceId: string;
  expiresAt: Date;
  expiryTimeZone: string | null;
  integration: string | null;
  alias: string | null;
  name: string | null;
  last4: string;
  isDefault: boolean | null;
  reminderChannel: string | null;
  createdBy: string;
  rotatedBy: string | null;
}

function toSubject(type: ReminderSubjectType, row: SubjectRow): ReminderSubject {
  return {
    type,
    id: row.id,
    workspaceId: row.workspaceId,
    expiresAt: new Date(row.expiresAt),
    expiryTimeZone: row.expiryTimeZone,
    integration: row.integration,
    alias: row.alias,
    name: row.name ?? `${row.integration}/${row.alias}`,
    last4: row.last4,
    isDefault: row.isDefault === true,
    channel: row.reminderChannel,
    ownerId: row.createdBy,
    rotatedBy: row.rotatedBy,
  };
}

// Only rows whose next reminder is due, and only live keys: one still waiting for its one-time
// delivery (pendingSince) does not work yet, and keeps its due time until it is activated (or
// swept). FOR UPDATE SKIP LOCKED lets two instances share a pass
// without waiting on, or claiming, each other's rows. Paged by id, never by offset.
// A workspace paused while uninstalled (OAuth) is skipped: its rows keep their due times and
// are claimed once it is installed again.
const notPaused = (table: string) => `NOT EXISTS (SELECT 1 FROM "Workspace" w WHERE w.id = ${table}."workspaceId" AND w."slackPausedAt" IS NOT NULL)`;
const dueSql: Record<ReminderSubjectType, string> = {
  integration: `SELECT id, "workspaceId", "expiresAt", "expiryTimeZone", integration, alias, NULL::text AS name, last4, "isDefault", "reminderChannel", "createdBy", "rotatedBy"
      FROM "IntegrationConfig"
     WHERE "nextReminderAt" <= $1 AND "expiresAt" IS NOT NULL AND ($2::text IS NULL OR id > $2) AND ${notPaused(`"IntegrationConfig"`)}
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
  api_key: `SELECT id, "workspaceId", "expiresAt", "expiryTimeZone", NULL::text AS integration, NULL::text AS alias, name, last4, NULL::boolean AS "isDefault", NULL::text AS "reminderChannel", "createdBy", NULL::text AS "rotatedBy"
      FROM "ApiKey"
     WHERE "nextReminderAt" <= $1 AND "deletedAt" IS NULL AND "pendingSince" IS NULL AND ($2::text IS NULL OR id > $2) AND ${notPaused(`"ApiKey"`)}
     ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
};

const subjectByIdSql: Record<ReminderSubjectType, string> = {
  integration: `SELECT id, "workspaceId", "expiresAt", "expiryTimeZone", integration, alias, NULL::text AS name, last4, "isDefault", "reminderChannel", "createdBy", "rotatedBy" FROM "IntegrationConfig" WHERE id = $1`,
  api_key: `SELECT id, "workspaceId", "expiresAt", "expiryTimeZone", NULL::text AS integration, NULL::text AS alias, name, last4, NULL::boolean AS "isDefault", NULL::text AS "reminderChannel", "createdBy", NULL::text AS "rotatedBy" FROM "ApiKey" WHERE id = $1 AND "deletedAt" IS NULL AND "pendingSince" IS NULL`,
};

/** A message's ts: its own message's, or a combined message's (issue 13), which older releases do not see. */
const tsOf = (alias = "") => `COALESCE(NULLIF(${alias}"messageTs", ''), ${alias}"combinedTs")`;
/** What a posted message is, as returned to callers: `messageTs` either way, `shared` for a combined one. */
const postedColumns = (alias = "") =>
  `${alias}id, ${alias}channel, ${tsOf(alias)} AS "messageTs", (${alias}"combinedTs" IS NOT NULL) AS shared, ${alias}"expiresAt", ${alias}threshold`;
/** Messages that went out (a channel and a ts to update). */
const sentWhere = `"workspaceId" = $1 AND "subjectType" = $2 AND "subjectId" = $3 AND "expiresAt" = $4 AND status = 'sent' AND channel IS NOT NULL AND ${tsOf()} IS NOT NULL`;
/** ... that no rotation or deletion has settled yet. */
const postedWhere = `${sentWhere} AND "settledAt" IS NULL`;
/** ... or whose settling update Slack refused for a passing reason: a later rotation or deletion rewrites it instead. */
const settleWhere = `${sentWhere} AND ("settledAt" IS NULL OR "deferredUpdate" IS NOT NULL)`;

interface PostedRow {
  id: string;
  channel: string;
  messageTs: string;
  shared?: boolean | null;
  expiresAt: Date;
  threshold: number;
  sentAt?: Date | null;
}

const toPosted = (row: PostedRow): PostedReminder => ({
  deliveryId: row.id,
  channel: row.channel,
  ts: row.messageTs,
  ...(row.shared ? { shared: true } : {}),
  expiresAt: new Date(row.expiresAt),
  threshold: row.threshold,
});

const bySentAt = (rows: PostedRow[]): PostedReminder[] =>
  rows.sort((a, b) => new Date(a.sentAt!).getTime() - new Date(b.sentAt!).getTime() || a.id.localeCompare(b.id)).map(toPosted);

const table: Record<ReminderSubjectType, string> = { integration: `"IntegrationConfig"`, api_key: `"ApiKey"` };

export class PrismaReminderRepository implements ReminderRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async claimDue(input: Parameters<ReminderRepository["claimDue"]>[0]) {
    return this.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRawUnsafe<SubjectRow[]>(dueSql[input.type], input.now, input.after ?? null, input.limit);
        const claims: ReminderClaim[] = [];
        for (const row of rows) {
          const subject = toSubject(input.type, row);
          const plan = input.plan(subject);
          if (plan.threshold !== null) {
            const claim = await this.insertClaim(tx, subject, plan.threshold, input.instance);
            if (claim) claims.push(claim);
          }
          await tx.$executeRawUnsafe(`UPDATE ${table[input.type]} SET "nextReminderAt" = $1 WHERE id = $2`, plan.next, row.id);
        }
        return { claims, lastId: rows.length === input.limit ? rows.at(-1)!.id : null };
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  /** The ledger row is the claim: the unique key refuses a second one for the same threshold. */
  private async insertClaim(tx: Db, subject: ReminderSubject, threshold: number, instance: string): Promise<ReminderClaim | null> {
    const inserted = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `INSERT INTO "ReminderDelivery" (id, "workspaceId", "subjectType", "subjectId", "expiresAt", threshold, status, attempts, "claimedBy", "claimedAt")
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1, $7, now())
       ON CONFLICT ("subjectType", "subjectId", "expiresAt", threshold) DO NOTHING
       RETURNING id`,
      randomUUID(),
      subject.workspaceId,
      subject.type,
      subject.id,
      subject.expiresAt,
      threshold,
      instance,
    );
    return inserted[0] ? { deliveryId: inserted[0].id, threshold, attempts: 0, firstFailedAt: null, subject } : null;
  }

  async databaseNow(): Promise<Date> {
    const [row] = await this.prisma.$queryRawUnsafe<Array<{ now: Date }>>(`SELECT now() AS now`);
    return new Date(row!.now);
  }

  async claimRetries(input: Parameters<ReminderRepository["claimRetries"]>[0]) {
    return this.prisma.$transaction(
      async (tx) => {
        // The lease is measured with now() on both sides: the database's clock, not this instance's.
        const rows = await tx.$queryRawUnsafe<
          Array<{
            id: string;
            threshold: number;
            attempts: number;
            firstFailedAt: Date | null;
            subjectType: ReminderSubjectType;
            subjectId: string;
            expiresAt: Date;
          }>
        >(
          `SELECT id, threshold, attempts, "firstFailedAt", "subjectType", "subjectId", "expiresAt" FROM "ReminderDelivery"
            WHERE ((status = 'retry' AND "claimedAt" < $1) OR (status = 'pending' AND "claimedAt" < now() - $2::int * interval '1 millisecond'))
              AND ${notPaused(`"ReminderDelivery"`)}
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          input.passStart,
          Math.round(input.leaseMs),
          input.limit,
        );
        const out: Array<ReminderClaim | { deliveryId: string; obsolete: string }> = [];
        for (const row of rows) {
          const [subjectRow] = await tx.$queryRawUnsafe<SubjectRow[]>(subjectByIdSql[row.subjectType], row.subjectId);
          const moreUrgent = await tx.$queryRawUnsafe<Array<{ n: number }>>(
            `SELECT 1 AS n FROM "ReminderDelivery" WHERE "subjectType" = $1 AND "subjectId" = $2 AND "expiresAt" = $3 AND threshold < $4 LIMIT 1`,
            row.subjectType,
            row.subjectId,
            row.expiresAt,
            row.threshold,
          );
          if (!subjectRow || new Date(subjectRow.expiresAt).getTime() !== new Date(row.expiresAt).getTime()) {
            out.push({ deliveryId: row.id, obsolete: "the key or configuration was deleted or rotated meanwhile" });
            continue;
          }
          if (moreUrgent.length > 0) {
            out.push({ deliveryId: row.id, obsolete: "superseded by a more urgent reminder" });
            continue;
          }
          // A more urgent threshold is due now (Slack was down past it): the due phase of this pass
          // posts that one, so posting this one too would say the same thing twice.
          const subject = toSubject(row.subjectType, subjectRow);
          const due = input.mostUrgentDue(subject);
          if (due !== null && due < row.threshold) {
            out.push({ deliveryId: row.id, obsolete: `superseded by threshold ${due}, due now: the due phase posts that one` });
            continue;
          }
          await tx.$executeRawUnsafe(
            `UPDATE "ReminderDelivery" SET status = 'pending', "claimedBy" = $1, "claimedAt" = now(), attempts = attempts + 1 WHERE id = $2`,
            input.instance,
            row.id,
          );
          const firstFailedAt = row.firstFailedAt ? new Date(row.firstFailedAt) : null;
          out.push({ deliveryId: row.id, threshold: row.threshold, attempts: row.attempts, firstFailedAt, subject });
        }
        return out;
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  async renew(deliveryId: string, instance: string): Promise<boolean> {
    const count = await this.prisma.$executeRawUnsafe(
      `UPDATE "ReminderDelivery" SET "claimedAt" = now() WHERE id = $1 AND "claimedBy" = $2 AND status = 'pending'`,
      deliveryId,
      instance,
    );
    return count === 1;
  }

  async postedMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]> {
    // The caller applies a newer change: an update still waiting for a retry is dropped, or it would land after this one.
    const rows = await this.prisma.$queryRawUnsafe<PostedRow[]>(
      `UPDATE "ReminderDelivery" SET "deferredUpdate" = NULL WHERE ${postedWhere} RETURNING ${postedColumns()}, "sentAt"`,
      workspaceId,
      type,
      subjectId,
      expiresAt,
    );
    return bySentAt(rows);
  }

  async settleMessages(workspaceId: string, type: ReminderSubjectType, subjectId: string, expiresAt: Date): Promise<PostedReminder[]> {
    // One statement: of two instances settling at once, each row goes to exactly one of them.
    const rows = await this.prisma.$queryRawUnsafe<PostedRow[]>(
      `UPDATE "ReminderDelivery" SET "settledAt" = COALESCE("settledAt", now()), "deferredUpdate" = NULL WHERE ${settleWhere} RETURNING ${postedColumns()}, "sentAt"`,
      workspaceId,
      type,
      subjectId,
      expiresAt,
    );
    return bySentAt(rows);
  }

  async subjectNow(type: ReminderSubjectType, subjectId: string) {
    const [row] = await this.prisma.$queryRawUnsafe<SubjectRow[]>(subjectByIdSql[type], subjectId);
    return row ? { last4: row.last4, expiresAt: row.expiresAt ? new Date(row.expiresAt) : null, expiryTimeZone: row.expiryTimeZone } : null;
  }

  async deferUpdate(deliveryId: string, change: ReminderMessageChange): Promise<void> {
    await this.prisma.$executeRawUnsafe(`UPDATE "ReminderDelivery" SET "deferredUpdate" = $2::jsonb WHERE id = $1`, deliveryId, encodeChange(change));
  }

  async takeDeferredUpdates(limit: number) {
    // One statement: of two instances retrying at once, each update goes to exactly one of them.
    // A paused workspace's (uninstalled; in OAuth mode also never installed) wait, so they neither
    // cost a pass nor fill its batch ahead of other workspaces'.
    const rows = await this.prisma.$queryRawUnsafe<Array<PostedRow & { deferredUpdate: unknown }>>(
      `WITH taken AS (SELECT r.id, r."deferredUpdate" FROM "ReminderDelivery" r JOIN "Workspace" w ON w.id = r."workspaceId"
         WHERE r."deferredUpdate" IS NOT NULL AND w."slackPausedAt" IS NULL ORDER BY r.id LIMIT $1 FOR UPDATE OF r SKIP LOCKED)
       UPDATE "ReminderDelivery" d SET "deferredUpdate" = NULL FROM taken WHERE d.id = taken.id
       RETURNING ${postedColumns("d.")}, taken."deferredUpdate" AS "deferredUpdate"`,
      limit,
    );
    return rows.map((row) => ({ message: toPosted(row), change: decodeChange(row.deferredUpdate) }));
  }

  async settleDelivery(deliveryId: string): Promise<boolean> {
    return (await this.prisma.$executeRawUnsafe(`UPDATE "ReminderDelivery" SET "settledAt" = now() WHERE id = $1 AND "settledAt" IS NULL`, deliveryId)) === 1;
  }

  async finish(deliveryId: string, outcome: Parameters<ReminderRepository["finish"]>[1], at: Date, instance?: string): Promise<void> {
    const sent = outcome.status === "sent";
    // One statement, so the first failure's time is kept, never overwritten by a later one; it is
    // the database's time, as the give-up decision's is, whatever this instance's clock says.
    await this.prisma.$executeRawUnsafe(
      `UPDATE "ReminderDelivery"
          SET status = $3, "sentAt" = COALESCE($4, "sentAt"), channel = COALESCE($5, channel), "messageTs" = COALESCE($6, "messageTs"), "combinedTs" = COALESCE($8, "combinedTs"), "lastError" = $7,
              "firstFailedAt" = CASE WHEN $3 = 'retry' THEN COALESCE("firstFailedAt", now()) ELSE "firstFailedAt" END
        WHERE id = $1 AND ($2::text IS NULL OR "claimedBy" = $2)`,
      deliveryId,
      instance ?? null,
      outcome.status,
      sent ? at : null,
      sent ? outcome.channel : null,
      sent && !outcome.shared ? outcome.ts : null,
      sent ? (outcome.note ?? null) : outcome.error.slice(0, 500),
      sent && outcome.shared ? outcome.ts : null,
    );
  }

  async release(deliveryIds: readonly string[], instance: string, reason: string): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.prisma.$executeRawUnsafe(
      `UPDATE "ReminderDelivery" SET status = 'retry', "lastError" = $3 WHERE id = ANY($1::text[]) AND "claimedBy" = $2 AND status = 'pending'`,
      [...deliveryIds],
      instance,
      reason.slice(0, 500),
    );
  }

  async lockMessage(message: { workspaceId: string; channel: string; ts: string }, holder: string, leaseMs: number): Promise<boolean> {
    // One statement: of two takers at once, one inserts (or takes over an expired lease) and the other gets no row.
    const rows = await this.prisma.$queryRawUnsafe<Array<{ holder: string }>>(
      `INSERT INTO "ReminderMessageLock" ("workspaceId", channel, ts, holder, until) VALUES ($1, $2, $3, $4, now() + $5::int * interval '1 millisecond')
       ON CONFLICT ("workspaceId", channel, ts) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until WHERE "ReminderMessageLock".until < now()
       RETURNING holder`,
      message.workspaceId,
      message.channel,
      message.ts,
      holder,
      Math.round(leaseMs),
    );
    return rows.length === 1;
  }

  async unlockMessage(message: { workspaceId: string; channel: string; ts: string }, holder: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `DELETE FROM "ReminderMessageLock" WHERE "workspaceId" = $1 AND channel = $2 AND ts = $3 AND holder = $4`,
      message.workspaceId,
      message.channel,
      message.ts,
      holder,
    );
  }
}
