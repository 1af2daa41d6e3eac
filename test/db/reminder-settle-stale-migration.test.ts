import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultMigrationsDir, migrate } from "../../src/db/migrator.ts";
import { createBlankDatabase, databaseKinds, type BlankDatabase } from "../support/test-database.ts";

const MIGRATION = "20261201190000_reminder_deferred_update_settle_stale";
const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** prisma/migrations up to (without) the one under test, as a database deployed before it has them. */
async function migrationsBefore(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "keyward-settle-stale-"));
  tempDirs.push(dir);
  for (const entry of await readdir(defaultMigrationsDir, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name >= MIGRATION) continue;
    await cp(path.join(defaultMigrationsDir, entry.name), path.join(dir, entry.name), { recursive: true });
  }
  return dir;
}

describe.each(databaseKinds())("the migration that settles reminders about a past expiry, on %s", (kind) => {
  let blank: BlankDatabase;
  beforeEach(async () => {
    blank = await createBlankDatabase(kind);
  });
  afterEach(async () => {
    await blank?.close();
  });

  it("settles sent reminders whose configuration was rotated to another expiry or deleted, and only those", async () => {
    const dir = await migrationsBefore();
    await migrate(blank.sql, { migrationsDir: dir });
    const current = "2026-12-31T23:59:59.999Z";
    await blank.sql.query(`INSERT INTO "Workspace" (id) VALUES ('T0MIGRATE')`);
    await blank.sql.query(
      `INSERT INTO "IntegrationConfig" (id, "workspaceId", integration, alias, ciphertext, "keyVersion", last4, "expiresAt", "createdBy", "createdAt")
       VALUES ('cfg-live', 'T0MIGRATE', 'github', 'live', 'x', 1, 'abcd', $1, 'U1', now())`,
      [current],
    );
    const delivery = (id: string, subjectId: string, expiresAt: string, threshold: number, status = "sent") =>
      blank.sql.query(
        `INSERT INTO "ReminderDelivery" (id, "workspaceId", "subjectType", "subjectId", "expiresAt", threshold, status, "claimedAt", "sentAt", channel, "messageTs")
         VALUES ($1, 'T0MIGRATE', 'integration', $2, $3, $4, $5, now(), now(), 'C0REMIND', $1)`,
        [id, subjectId, expiresAt, threshold, status],
      );
    await delivery("about-current", "cfg-live", current, 7);
    await delivery("about-earlier", "cfg-live", "2026-06-30T23:59:59.999Z", 7);
    await delivery("about-deleted", "cfg-gone", current, 7);
    await delivery("never-sent", "cfg-live", "2026-06-30T23:59:59.999Z", 3, "retry");

    await cp(path.join(defaultMigrationsDir, MIGRATION), path.join(dir, MIGRATION), { recursive: true });
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [MIGRATION] });
    const rows = await blank.sql.query<{ id: string; settled: boolean }>(`SELECT id, "settledAt" IS NOT NULL AS settled FROM "ReminderDelivery" ORDER BY id`);
    expect(rows).toEqual([
      { id: "about-current", settled: false },
      { id: "about-deleted", settled: true },
      { id: "about-earlier", settled: true },
      { id: "never-sent", settled: false },
    ]);
  });
});
