import { randomUUID } from "node:crypto";
import type { DigestClaim, DigestFacts, DigestFailure, DigestKey, DigestRecord } from "../domain/digest-types.ts";
import type { DigestRepository } from "../domain/repositories.ts";
import type { PrismaClient } from "./generated/client.ts";
import { toDigestSettings } from "./prisma-role-repository.ts";

interface WorkspaceDigestRow {
  id: string;
  digestChannel: string | null;
  digestWeekday: number | null;
  digestHour: number | null;
  digestTimeZone: string | null;
  digestAppId: string | null;
}

const digestColumns = (alias = "") => ["digestChannel", "digestWeekday", "digestHour", "digestTimeZone", "digestAppId"].map((c) => `${alias}"${c}"`).join(", ");

// A live key: made and delivered, not deleted, not expired; a rolled key on its way out (replacedBy) is
// its replacement's business, not the digest's.
const liveKey = `k."workspaceId" = $1 AND k."deletedAt" IS NULL AND k."pendingSince" IS NULL AND k."replacedBy" IS NULL AND k."expiresAt" > $2`;
const expiring = `k."expiresAt" <= $3`;
/** Unused since the `since` parameter, or never used and made before the `made` one. */
const unusedWhere = (since: string, made: string) => `(k."lastUsedAt" < ${since} OR (k."lastUsedAt" IS NULL AND k."createdAt" < ${made}))`;
// outOfPolicy (policy-rules.ts) in SQL, rule by rule: the lifetime bound is the end of the day
// `max` days after the creation day in the expiry's zone (max × 24 h for an instant); a blank
// description when one is required; a personal key whose role grants more than the bound role.
const maxDays = `CASE WHEN k.kind::text = 'service' THEN $6::int ELSE $7::int END`;
const outOfPolicy = `(
  (${maxDays} IS NOT NULL AND k."expiresAt" > CASE WHEN k."expiryTimeZone" IS NULL THEN k."createdAt" + ${maxDays} * interval '1 day'
     ELSE ((((k."createdAt" AT TIME ZONE k."expiryTimeZone")::date + ${maxDays} + 1)::timestamp) AT TIME ZONE k."expiryTimeZone") - interval '1 millisecond' END)
  OR ($8::boolean AND k.description ~ '^\\s*$')
  OR ($9::text IS NOT NULL AND k.kind::text = 'personal' AND k."roleId" <> $9 AND NOT (r.permissions <@ $10::text[]))
)`;

interface KeyRow {
  id: string;
  name: string;
  last4: string;
  expiresAt: Date;
  lastUsedAt: Date | null;
  createdBy: string;
}

const toKey = (row: KeyRow): DigestKey => ({
  id: row.id,
  name: row.name,
  last4: row.last4,
  expiresAt: new Date(row.expiresAt),
  lastUsedAt: row.lastUsedAt ? new Date(row.lastUsedAt) : null,
  createdBy: row.createdBy,
});

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 200);

export class PrismaDigestRepository implements DigestRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async claimDue(input: Parameters<DigestRepository["claimDue"]>[0]) {
    return this.prisma.$transaction(
      async (tx) => {
        // SKIP LOCKED: two instances share a pass without waiting on, or claiming, each other's workspaces.
        const rows = await tx.$queryRawUnsafe<WorkspaceDigestRow[]>(
          `SELECT id, ${digestColumns()} FROM "Workspace"
            WHERE "digestNextAt" <= $1 AND "digestChannel" IS NOT NULL AND "slackPausedAt" IS NULL AND ($2::text IS NULL OR id > $2)
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          input.now,
          input.after ?? null,
          input.limit,
        );
        const claims: DigestClaim[] = [];
        const failed: DigestFailure[] = [];
        for (const row of rows) {
          const settings = toDigestSettings(row);
          if (!settings) {
            await tx.$executeRawUnsafe(`UPDATE "Workspace" SET "digestNextAt" = NULL WHERE id = $1`, row.id);
            continue;
          }
          // One workspace whose setting cannot be planned (a zone this runtime no longer knows) is
          // left as it is and reported; the others of the batch are claimed all the same.
          let plan: ReturnType<typeof input.plan>;
          try {
            plan = input.plan(settings);
          } catch (error) {
            failed.push({ workspaceId: row.id, error: errorText(error) });
            continue;
          }
          const { latest, next } = plan;
          // The ledger row is the claim: the unique (workspace, week) refuses a second for the same week,
          // except over a row of that week left to retry or given up as obsolete (a setting moved within
          // the week): that one is taken over, keeping the channel and slot of its first claim. One Slack
          // refused (undeliverable: nothing was posted) is taken over for the channel set now.
          const [claimed] = await tx.$queryRawUnsafe<Array<{ id: string; attempts: number; channel: string | null; dueAt: Date }>>(
            `INSERT INTO "DigestDelivery" (id, "workspaceId", week, "dueAt", status, attempts, "claimedBy", "claimedAt", channel)
             VALUES ($1, $2, $3, $4, 'pending', 1, $5, now(), $6)
             ON CONFLICT ("workspaceId", week) DO UPDATE
               SET status = 'pending', "claimedBy" = EXCLUDED."claimedBy", "claimedAt" = now(), attempts = "DigestDelivery".attempts + 1,
                   channel = CASE WHEN "DigestDelivery".status = 'undeliverable' THEN EXCLUDED.channel ELSE "DigestDelivery".channel END
               WHERE "DigestDelivery".status IN ('retry', 'obsolete', 'undeliverable')
             RETURNING id, attempts, channel, "dueAt"`,
            randomUUID(),
            row.id,
            latest.week,
            latest.dueAt,
            input.instance,
            settings.channel,
          );
          if (claimed)
            claims.push({
              deliveryId: claimed.id,
              workspaceId: row.id,
              week: latest.week,
              dueAt: new Date(claimed.dueAt),
              // attempts before this one: 0 for a new row, so only a taken-over one looks for an earlier post.
              attempts: claimed.attempts - 1,
              channel: claimed.channel ?? settings.channel,
              settings,
            });
          await tx.$executeRawUnsafe(`UPDATE "Workspace" SET "digestNextAt" = $1 WHERE id = $2`, next.dueAt, row.id);
        }
        return { claims, failed, lastId: rows.length === input.limit ? rows.at(-1)!.id : null };
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  async claimRetries(input: Parameters<DigestRepository["claimRetries"]>[0]) {
    return this.prisma.$transaction(
      async (tx) => {
        // The lease is measured with now() on both sides: the database's clock, not this instance's.
        const rows = await tx.$queryRawUnsafe<
          Array<WorkspaceDigestRow & { deliveryId: string; week: string; dueAt: Date; attempts: number; claimChannel: string | null }>
        >(
          `SELECT d.id AS "deliveryId", d.week, d."dueAt", d.attempts, d.channel AS "claimChannel", w.id, ${digestColumns("w.")}
             FROM "DigestDelivery" d JOIN "Workspace" w ON w.id = d."workspaceId"
            WHERE ((d.status = 'retry' AND d."claimedAt" < $1) OR (d.status = 'pending' AND d."claimedAt" < now() - $2::int * interval '1 millisecond'))
              AND w."slackPausedAt" IS NULL
            ORDER BY d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED`,
          input.passStart,
          Math.round(input.leaseMs),
          input.limit,
        );
        const out: Array<DigestClaim | { deliveryId: string; obsolete: string } | { deliveryId: string; failed: DigestFailure }> = [];
        for (const row of rows) {
          const settings = toDigestSettings(row);
          if (!settings) {
            out.push({ deliveryId: row.deliveryId, obsolete: "the workspace turned its digest off" });
            continue;
          }
          let latestWeek: string;
          try {
            latestWeek = input.latestWeek(settings);
          } catch (error) {
            // Left for the next pass (claimedAt moved past this pass's start), not retried in a loop now.
            await tx.$executeRawUnsafe(`UPDATE "DigestDelivery" SET "claimedAt" = now() WHERE id = $1`, row.deliveryId);
            out.push({ deliveryId: row.deliveryId, failed: { workspaceId: row.id, error: errorText(error) } });
            continue;
          }
          // After downtime, or a week of refusals, only the latest week's digest is posted: the due phase
          // claims it. Only a strictly later week makes this one obsolete: an instance whose clock is
          // behind (its latest slot still last week's), or a weekday moved later within the week, must
          // not give up the week's digest another instance already moved the workspace past.
          if (latestWeek > row.week) {
            out.push({ deliveryId: row.deliveryId, obsolete: "a later week's digest is due instead" });
            continue;
          }
          await tx.$executeRawUnsafe(
            `UPDATE "DigestDelivery" SET status = 'pending', "claimedBy" = $1, "claimedAt" = now(), attempts = attempts + 1 WHERE id = $2`,
            input.instance,
            row.deliveryId,
          );
          out.push({
            deliveryId: row.deliveryId,
            workspaceId: row.id,
            week: row.week,
            dueAt: new Date(row.dueAt),
            attempts: row.attempts,
            // The week's digest goes where it was first claimed for: a retry looks there for its earlier post, and posts there.
            channel: row.claimChannel ?? settings.channel,
            settings,
          });
        }
        return out;
      },
      { timeout: 60_000, maxWait: 30_000 },
    );
  }

  async databaseNow(): Promise<Date> {
    const [row] = await this.prisma.$queryRawUnsafe<Array<{ now: Date }>>(`SELECT now() AS now`);
    return new Date(row!.now);
  }

  async latest(workspaceId: string): Promise<DigestRecord | null> {
    // `2026-W49` < `2027-W01`: ISO week names sort as the weeks do.
    const [row] = await this.prisma.$queryRawUnsafe<Array<{ week: string; status: DigestRecord["status"]; sentAt: Date | null; lastError: string | null }>>(
      `SELECT week, status, "sentAt", "lastError" FROM "DigestDelivery" WHERE "workspaceId" = $1 ORDER BY week DESC LIMIT 1`,
      workspaceId,
    );
    return row ? { week: row.week, status: row.status, sentAt: row.sentAt ? new Date(row.sentAt) : null, lastError: row.lastError } : null;
  }

  async renew(deliveryId: string, instance: string): Promise<boolean> {
    const count = await this.prisma.$executeRawUnsafe(
      `UPDATE "DigestDelivery" SET "claimedAt" = now() WHERE id = $1 AND "claimedBy" = $2 AND status = 'pending'`,
      deliveryId,
      instance,
    );
    return count === 1;
  }

  async finish(deliveryId: string, outcome: Parameters<DigestRepository["finish"]>[1], at: Date, instance?: string): Promise<void> {
    const sent = outcome.status === "sent";
    await this.prisma.$executeRawUnsafe(
      `UPDATE "DigestDelivery" SET status = $3, "sentAt" = COALESCE($4, "sentAt"), channel = COALESCE($5, channel), "messageTs" = COALESCE($6, "messageTs"), "lastError" = $7
        WHERE id = $1 AND ($2::text IS NULL OR "claimedBy" = $2)`,
      deliveryId,
      instance ?? null,
      outcome.status,
      sent ? at : null,
      sent ? outcome.channel : null,
      sent ? outcome.ts : null,
      sent ? (outcome.note ?? null) : outcome.error.slice(0, 500),
    );
  }

  async facts(workspaceId: string, input: Parameters<DigestRepository["facts"]>[1]): Promise<DigestFacts> {
    const p = input.policy;
    const bound = p.personalMaxRole;
    // One aggregate over the workspace's live keys (its index on workspaceId), never a query per key.
    const [counts] = await this.prisma.$queryRawUnsafe<Array<Record<string, bigint | number>>>(
      `SELECT count(*) FILTER (WHERE ${expiring}) AS "expiringSoon",
              count(*) FILTER (WHERE ${unusedWhere("$4", "$5")}) AS unused,
              count(*) FILTER (WHERE ${outOfPolicy}) AS "outOfPolicy",
              (SELECT count(*) FROM "IntegrationConfig" c WHERE c."workspaceId" = $1 AND c."reminderChannel" IS NULL) AS "configsWithoutChannel",
              (SELECT count(*) FROM "KeyRequest" q WHERE q."workspaceId" = $1 AND q.status = 'pending' AND q."lapsesAt" > $2) AS "pendingRequests"
         FROM "ApiKey" k JOIN "Role" r ON r.id = k."roleId"
        WHERE ${liveKey}`,
      workspaceId,
      input.now,
      input.expiringBefore,
      input.unusedSince,
      input.neverUsedBefore,
      p.maxLifetimeDays.service,
      p.maxLifetimeDays.personal,
      p.requireDescription,
      bound?.id ?? null,
      bound ? [...bound.permissions] : [],
    );
    const columns = `k.id, k.name, k.last4, k."expiresAt", k."lastUsedAt", k."createdBy"`;
    const expiringRows = await this.prisma.$queryRawUnsafe<KeyRow[]>(
      `SELECT ${columns} FROM "ApiKey" k WHERE ${liveKey} AND ${expiring} ORDER BY k."expiresAt", k.id LIMIT $4`,
      workspaceId,
      input.now,
      input.expiringBefore,
      input.limit,
    );
    const unusedRows = await this.prisma.$queryRawUnsafe<KeyRow[]>(
      `SELECT ${columns} FROM "ApiKey" k WHERE ${liveKey} AND ${unusedWhere("$3", "$4")}
        ORDER BY COALESCE(k."lastUsedAt", k."createdAt"), k.id LIMIT $5`,
      workspaceId,
      input.now,
      input.unusedSince,
      input.neverUsedBefore,
      input.limit,
    );
    const n = (v: bigint | number | undefined) => Number(v ?? 0);
    return {
      workspaceId,
      counts: {
        expiringSoon: n(counts?.expiringSoon),
        unused: n(counts?.unused),
        outOfPolicy: n(counts?.outOfPolicy),
        configsWithoutChannel: n(counts?.configsWithoutChannel),
        pendingRequests: n(counts?.pendingRequests),
      },
      expiring: expiringRows.map(toKey),
      unused: unusedRows.map(toKey),
    };
  }
}
