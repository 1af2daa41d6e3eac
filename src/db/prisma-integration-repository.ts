import type { IntegrationConfig } from "../domain/integration-types.ts";
import type { IntegrationRepository, NewIntegrationConfig } from "../domain/repositories.ts";
import type { Sealed } from "../domain/secret-cipher.ts";
import type { IntegrationConfig as Row } from "./generated/client.ts";
import type { Db } from "./prisma-store.ts";

function toConfig(row: Row): IntegrationConfig {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    integration: row.integration,
    alias: row.alias,
    last4: row.last4,
    isDefault: row.isDefault === true,
    expiresAt: row.expiresAt,
    expiryTimeZone: row.expiryTimeZone,
    reminderChannel: row.reminderChannel,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    rotatedAt: row.rotatedAt,
    rotatedBy: row.rotatedBy,
  };
}

// Never select the ciphertext unless the secret itself is wanted.
const publicFields = { ciphertext: false } as const;

export class PrismaIntegrationRepository implements IntegrationRepository {
  constructor(private readonly db: Db) {}

  async list(workspaceId: string, page: { integration?: string; after?: string; limit: number }): Promise<IntegrationConfig[]> {
    const rows = await this.db.integrationConfig.findMany({
      where: { workspaceId, ...(page.integration ? { integration: page.integration } : {}), ...(page.after ? { id: { gt: page.after } } : {}) },
      orderBy: { id: "asc" },
      take: page.limit,
      omit: publicFields,
    });
    return rows.map((r) => toConfig(r as Row));
  }

  async count(workspaceId: string, integration?: string): Promise<number> {
    return this.db.integrationConfig.count({ where: { workspaceId, ...(integration ? { integration } : {}) } });
  }

  async find(workspaceId: string, integration: string, alias: string): Promise<IntegrationConfig | null> {
    const row = await this.db.integrationConfig.findFirst({ where: { workspaceId, integration, alias }, omit: publicFields });
    return row ? toConfig(row as Row) : null;
  }

  async findById(workspaceId: string, id: string): Promise<IntegrationConfig | null> {
    const row = await this.db.integrationConfig.findFirst({ where: { workspaceId, id }, omit: publicFields });
    return row ? toConfig(row as Row) : null;
  }

  async findDefault(workspaceId: string, integration: string): Promise<IntegrationConfig | null> {
    const row = await this.db.integrationConfig.findFirst({ where: { workspaceId, integration, isDefault: true }, omit: publicFields });
    return row ? toConfig(row as Row) : null;
  }

  async sealedSecret(workspaceId: string, id: string): Promise<Sealed | null> {
    const row = await this.db.integrationConfig.findFirst({ where: { workspaceId, id }, select: { ciphertext: true, keyVersion: true, binding: true } });
    return row ? { ciphertext: row.ciphertext, keyVersion: row.keyVersion, binding: row.binding } : null;
  }

  async create(config: NewIntegrationConfig): Promise<IntegrationConfig> {
    const { sealed, isDefault, ...rest } = config;
    const row = await this.db.integrationConfig.create({
      data: { ...rest, ciphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, binding: sealed.binding, isDefault: isDefault ? true : null },
      omit: publicFields,
    });
    return toConfig(row as Row);
  }

  async replaceSecret(
    workspaceId: string,
    id: string,
    change: { sealed: Sealed; last4: string; expiresAt: Date | null; expiryTimeZone: string | null; at: Date; by: string; nextReminderAt: Date | null },
  ): Promise<IntegrationConfig | null> {
    const { count } = await this.db.integrationConfig.updateMany({
      where: { workspaceId, id },
      data: {
        ciphertext: change.sealed.ciphertext,
        keyVersion: change.sealed.keyVersion,
        binding: change.sealed.binding,
        last4: change.last4,
        expiresAt: change.expiresAt,
        expiryTimeZone: change.expiryTimeZone,
        rotatedAt: change.at,
        rotatedBy: change.by,
        nextReminderAt: change.nextReminderAt,
      },
    });
    return count === 1 ? this.findById(workspaceId, id) : null;
  }

  async makeDefault(workspaceId: string, integration: string, id: string): Promise<void> {
    await this.db.integrationConfig.updateMany({ where: { workspaceId, integration, isDefault: true, NOT: { id } }, data: { isDefault: null } });
    await this.db.integrationConfig.updateMany({ where: { workspaceId, integration, id }, data: { isDefault: true } });
  }

  async setChannel(workspaceId: string, id: string, channel: string | null): Promise<IntegrationConfig | null> {
    const { count } = await this.db.integrationConfig.updateMany({ where: { workspaceId, id }, data: { reminderChannel: channel } });
    return count === 1 ? this.findById(workspaceId, id) : null;
  }

  async postponeReminder(workspaceId: string, id: string, until: Date): Promise<void> {
    // Only later, never earlier, and not when no reminder is left.
    await this.db.integrationConfig.updateMany({ where: { workspaceId, id, nextReminderAt: { not: null, lt: until } }, data: { nextReminderAt: until } });
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const { count } = await this.db.integrationConfig.deleteMany({ where: { workspaceId, id } });
    return count === 1;
  }

  async sealedBelow(below: { keyVersion?: number; binding: number }, after: string | undefined, limit: number) {
    const stale = [{ binding: { lt: below.binding } }, ...(below.keyVersion === undefined ? [] : [{ keyVersion: { lt: below.keyVersion } }])];
    const rows = await this.db.integrationConfig.findMany({
      where: { OR: stale, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: limit,
      select: { id: true, workspaceId: true, integration: true, alias: true, ciphertext: true, keyVersion: true, binding: true },
    });
    return rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspaceId,
      integration: r.integration,
      alias: r.alias,
      sealed: { ciphertext: r.ciphertext, keyVersion: r.keyVersion, binding: r.binding },
    }));
  }

  async reseal(id: string, from: Sealed, to: Sealed): Promise<boolean> {
    // Compare-and-set: a rotation that happened meanwhile wins over the re-encryption.
    const { count } = await this.db.integrationConfig.updateMany({
      where: { id, ciphertext: from.ciphertext, keyVersion: from.keyVersion, binding: from.binding },
      data: { ciphertext: to.ciphertext, keyVersion: to.keyVersion, binding: to.binding },
    });
    return count === 1;
  }
}
