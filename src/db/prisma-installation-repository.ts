import type { InstallationRepository } from "../domain/repositories.ts";
import type { Db } from "./prisma-store.ts";

/** The installation's one row (id 1). */
const id = 1;

export class PrismaInstallationRepository implements InstallationRepository {
  constructor(private readonly db: Db) {}

  async pepperCheck(): Promise<string | null> {
    const row = await this.db.installation.findUnique({ where: { id }, select: { pepperCheck: true } });
    return row?.pepperCheck ?? null;
  }

  async claimPepperCheck(value: string, at: Date): Promise<string> {
    // INSERT … ON CONFLICT DO NOTHING: of two first opens at once, the second waits for the first
    // one's insert to commit and then leaves it alone, so both read back the same row.
    await this.db.installation.createMany({ data: [{ id, pepperCheck: value, createdAt: at }], skipDuplicates: true });
    const row = await this.db.installation.findUniqueOrThrow({ where: { id }, select: { pepperCheck: true } });
    return row.pepperCheck;
  }
}
