import type { Sealed } from "../domain/secret-cipher.ts";
import type { SlackInstallRepository, StoredSlackInstall } from "../domain/repositories.ts";
import type { Prisma } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

type Row = Prisma.SlackInstallGetPayload<object>;

/** The refresh lease's holder after a failed refresh (a back-off), and after a refused refresh token. */
const backOffHolder = "back-off";
const backOffDead = "refresh-token-refused";

function toStored(row: Row): StoredSlackInstall {
  return {
    workspaceId: row.workspaceId,
    teamId: row.teamId,
    enterpriseId: row.enterpriseId,
    isEnterpriseInstall: row.isEnterpriseInstall,
    appId: row.appId,
    botId: row.botId,
    botUserId: row.botUserId,
    installerUserId: row.installerUserId,
    details: (row.details ?? {}) as Record<string, unknown>,
    sealed: { ciphertext: row.ciphertext, keyVersion: row.keyVersion, binding: row.binding },
    botExpiresAt: row.botExpiresAt,
    installedAt: row.installedAt,
    lastInstalledAt: row.lastInstalledAt,
    updatedAt: row.updatedAt,
  };
}

export class PrismaSlackInstallRepository implements SlackInstallRepository {
  constructor(private readonly db: Db) {}

  async find(workspaceId: string): Promise<StoredSlackInstall | null> {
    const row = await this.db.slackInstall.findUnique({ where: { workspaceId } });
    return row ? toStored(row) : null;
  }

  async save(install: StoredSlackInstall): Promise<void> {
    const { sealed, details, installedAt, ...rest } = install;
    const data = { ...rest, details: details as Prisma.InputJsonValue, ciphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, binding: sealed.binding };
    // A reinstall brings a new refresh token: a back-off after the old one's failure ends with it.
    await this.db.slackInstall.upsert({
      where: { workspaceId: install.workspaceId },
      create: { ...data, installedAt },
      update: { ...data, refreshHolder: null, refreshUntil: null },
    });
  }

  async delete(workspaceId: string, installedBefore?: Date): Promise<boolean> {
    const { count } = await this.db.slackInstall.deleteMany({
      where: { workspaceId, ...(installedBefore ? { lastInstalledAt: { lte: installedBefore } } : {}) },
    });
    return count > 0;
  }

  async leaseRefresh(workspaceId: string, holder: string, leaseMs: number): Promise<boolean> {
    // One statement, on the database's clock: of two instances at once, one takes it.
    const count = await this.db.$executeRawUnsafe(
      `UPDATE "SlackInstall" SET "refreshHolder" = $2, "refreshUntil" = now() + $3::int * interval '1 millisecond'
       WHERE "workspaceId" = $1 AND ("refreshUntil" IS NULL OR "refreshUntil" < now() OR "refreshHolder" = $2)`,
      workspaceId,
      holder,
      Math.round(leaseMs),
    );
    return count === 1;
  }

  async releaseRefresh(workspaceId: string, holder: string): Promise<void> {
    await this.db.slackInstall.updateMany({ where: { workspaceId, refreshHolder: holder }, data: { refreshHolder: null, refreshUntil: null } });
  }

  async backOffRefresh(workspaceId: string, holder: string, ms: number | null): Promise<void> {
    // A holder name no instance has (theirs are hex), so not even this one takes it back early.
    await this.db.$executeRawUnsafe(
      `UPDATE "SlackInstall" SET "refreshHolder" = $3,
         "refreshUntil" = CASE WHEN $4::int IS NULL THEN now() + interval '100 years' ELSE now() + $4::int * interval '1 millisecond' END
       WHERE "workspaceId" = $1 AND "refreshHolder" = $2`,
      workspaceId,
      holder,
      ms === null ? backOffDead : backOffHolder,
      ms === null ? null : Math.round(ms),
    );
  }

  async refreshBackingOff(workspaceId: string): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT 1 AS n FROM "SlackInstall" WHERE "workspaceId" = $1 AND "refreshHolder" IN ($2, $3) AND "refreshUntil" > now()`,
      workspaceId,
      backOffHolder,
      backOffDead,
    );
    return rows.length > 0;
  }

  async storeRefreshed(workspaceId: string, from: Sealed, to: Sealed, botExpiresAt: Date | null, at: Date): Promise<boolean> {
    const { count } = await this.db.slackInstall.updateMany({
      where: { workspaceId, ciphertext: from.ciphertext, keyVersion: from.keyVersion, binding: from.binding },
      data: { ciphertext: to.ciphertext, keyVersion: to.keyVersion, binding: to.binding, botExpiresAt, updatedAt: at, refreshHolder: null, refreshUntil: null },
    });
    return count === 1;
  }

  async lockWorkspace(workspaceId: string): Promise<void> {
    // No row yet (an install before the workspace's first use): nothing to pause either.
    await this.db.$queryRawUnsafe(`SELECT 1 FROM "Workspace" WHERE id = $1 FOR UPDATE`, workspaceId);
  }

  async pauseIfUninstalled(workspaceId: string, at: Date): Promise<void> {
    // Run after lockWorkspace (SlackInstallService): an install committed first keeps it unpaused; one committing after resumes it.
    await this.db.$executeRawUnsafe(
      `UPDATE "Workspace" SET "slackPausedAt" = $2 WHERE id = $1 AND "slackPausedAt" IS NULL
       AND NOT EXISTS (SELECT 1 FROM "SlackInstall" WHERE "workspaceId" = $1)`,
      workspaceId,
      at,
    );
  }

  async pause(workspaceId: string, at: Date): Promise<void> {
    // Only the first uninstall's time is kept: tokens_revoked and app_uninstalled both arrive.
    await this.db.workspace.updateMany({ where: { id: workspaceId, slackPausedAt: null }, data: { slackPausedAt: at } });
  }

  async resume(workspaceId: string): Promise<void> {
    const paused = await this.db.workspace.updateMany({ where: { id: workspaceId, slackPausedAt: { not: null } }, data: { slackPausedAt: null } });
    if (paused.count === 0) return;
    await this.db.reminderDelivery.updateMany({ where: { workspaceId, status: "retry" }, data: { firstFailedAt: null } });
  }

  async sealedBelow(keyVersion: number, after: string | undefined, limit: number): Promise<Array<{ workspaceId: string; sealed: Sealed }>> {
    const rows = await this.db.slackInstall.findMany({
      where: { keyVersion: { lt: keyVersion }, ...(after ? { workspaceId: { gt: after } } : {}) },
      orderBy: { workspaceId: "asc" },
      take: limit,
      select: { workspaceId: true, ciphertext: true, keyVersion: true, binding: true },
    });
    return rows.map((r) => ({ workspaceId: r.workspaceId, sealed: { ciphertext: r.ciphertext, keyVersion: r.keyVersion, binding: r.binding } }));
  }

  async reseal(workspaceId: string, from: Sealed, to: Sealed): Promise<boolean> {
    // Never under a refresh under way: its compare-and-set on these ciphertexts would fail, and the
    // new pair it got for a spent refresh token be lost. Such a row is skipped (the next rekey gets it).
    const count = await this.db.$executeRawUnsafe(
      `UPDATE "SlackInstall" SET ciphertext = $5, "keyVersion" = $6, binding = $7
       WHERE "workspaceId" = $1 AND ciphertext = $2 AND "keyVersion" = $3 AND binding = $4
       AND ("refreshUntil" IS NULL OR "refreshUntil" < now() OR "refreshHolder" IN ($8, $9))`,
      workspaceId,
      from.ciphertext,
      from.keyVersion,
      from.binding,
      to.ciphertext,
      to.keyVersion,
      to.binding,
      backOffHolder,
      backOffDead,
    );
    return count === 1;
  }
}
