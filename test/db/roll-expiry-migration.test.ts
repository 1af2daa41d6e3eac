import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultMigrationsDir, migrate } from "../../src/db/migrator.ts";
import { migrateBefore } from "../support/migrate-before.ts";
import { createBlankDatabase, databaseKinds, type BlankDatabase } from "../support/test-database.ts";

const migration = "20261201184000_api_key_expiry_before_roll";

/**
 * Keys rolled before expiresAtBeforeRoll existed: their replacement carries a copy of their expiry
 * (a roll copied it then), and the migration saves it on the old key, so that an undelivered
 * replacement still gives the old key back the right one.
 */
describe.each(databaseKinds())("migration %s on %s", (kind) => {
  let blank: BlankDatabase;
  let dir: string;
  beforeEach(async () => {
    blank = await createBlankDatabase(kind);
    dir = await mkdtemp(path.join(os.tmpdir(), "keyward-roll-migration-"));
  });
  afterEach(async () => {
    await blank?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("fills expiresAtBeforeRoll in from the replacement of each key rolled before it, and only for those", async () => {
    await migrateBefore(blank.sql, migration, dir);

    await blank.sql.query(`INSERT INTO "Workspace" (id) VALUES ('T1'), ('T2')`);
    await blank.sql.query(
      `INSERT INTO "Role" (id, "workspaceId", name, permissions) VALUES ('r1', 'T1', 'Viewer', '{api_keys.view}'), ('r2', 'T2', 'Viewer', '{api_keys.view}')`,
    );
    const key = (id: string, ws: string, role: string, expiresAt: string, replacedBy: string | null) =>
      blank.sql.query(
        `INSERT INTO "ApiKey" (id, "workspaceId", name, kind, "roleId", hash, last4, "createdBy", "createdAt", "expiresAt", "replacedBy")
         VALUES ($1, $2, 'k', 'service', $3, $1, 'abcd', 'U1', '2026-11-01T00:00:00Z', $4, $5)`,
        [id, ws, role, expiresAt, replacedBy],
      );
    // A rolled key (its expiry shortened to the grace end), its replacement (with the copied expiry), and an unrolled key.
    await key("old", "T1", "r1", "2026-11-02T00:00:00Z", "new");
    await key("new", "T1", "r1", "2027-01-31T22:59:59.999Z", null);
    await key("alone", "T1", "r1", "2027-05-01T00:00:00Z", null);
    // A replacedBy naming a key of another workspace is not believed.
    await key("foreign", "T2", "r2", "2026-11-02T00:00:00Z", "new");

    await cp(path.join(defaultMigrationsDir, migration), path.join(dir, migration), { recursive: true });
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [migration] });
    const rows = await blank.sql.query<{ id: string; saved: Date | null; expiresAt: Date }>(
      `SELECT id, "expiresAtBeforeRoll" AS saved, "expiresAt" FROM "ApiKey" ORDER BY id`,
    );
    const saved = Object.fromEntries(rows.map((r) => [r.id, r.saved ? new Date(r.saved).toISOString() : null]));
    expect(saved).toEqual({ alone: null, foreign: null, new: null, old: "2027-01-31T22:59:59.999Z" });
    // Nothing else moved.
    expect(new Date(rows.find((r) => r.id === "old")!.expiresAt).toISOString()).toBe("2026-11-02T00:00:00.000Z");
  });
});
