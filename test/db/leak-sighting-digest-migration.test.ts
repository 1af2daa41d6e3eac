import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultMigrationsDir, migrate } from "../../src/db/migrator.ts";
import { sightingPlace, type LeakLocation } from "../../src/domain/leak-service.ts";
import { migrateBefore } from "../support/migrate-before.ts";
import { createBlankDatabase, databaseKinds, type BlankDatabase } from "../support/test-database.ts";

const migration = "20261202024000_leak_sighting_digest";

/**
 * Sightings stored before the digest held the place as text; the migration turns each into the
 * digest sightingPlace computes, so a place already seen is still recognised after the upgrade.
 */
describe.each(databaseKinds())("migration %s on %s", (kind) => {
  let blank: BlankDatabase;
  let dir: string;
  beforeEach(async () => {
    blank = await createBlankDatabase(kind);
    dir = await mkdtemp(path.join(os.tmpdir(), "keyward-sighting-migration-"));
  });
  afterEach(async () => {
    await blank?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("rewrites every stored place as sightingPlace's digest of it (non-ASCII text too)", async () => {
    await migrateBefore(blank.sql, migration, dir);

    await blank.sql.query(`INSERT INTO "Workspace" (id) VALUES ('T1')`);
    await blank.sql.query(`INSERT INTO "Role" (id, "workspaceId", name, permissions) VALUES ('r1', 'T1', 'Viewer', '{api_keys.view}')`);
    await blank.sql.query(
      `INSERT INTO "ApiKey" (id, "workspaceId", name, kind, "roleId", hash, last4, "createdBy", "createdAt", "expiresAt")
       VALUES ('k1', 'T1', 'k', 'service', 'r1', 'h1', 'abcd', 'U1', '2026-11-01T00:00:00Z', '2027-01-01T00:00:00Z')`,
    );
    const locations: LeakLocation[] = [
      { kind: "slack", channel: "C0ABC", ts: "1700000000.000100", permalink: null, postedBy: null },
      { kind: "scanner", scanner: "gitlab", location: "https://gitlab.example/grüße/文件.ts#L3 😀" },
      { kind: "scanner", scanner: "gitlab", location: null },
    ];
    const oldPlaces = ["slack:C0ABC:1700000000.000100", "gitlab:https://gitlab.example/grüße/文件.ts#L3 😀", "gitlab:"];
    for (const place of oldPlaces) await blank.sql.query(`INSERT INTO "LeakSighting" ("keyId", place, "seenAt") VALUES ('k1', $1, now())`, [place]);

    await cp(path.join(defaultMigrationsDir, migration), path.join(dir, migration), { recursive: true });
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [migration] });
    const rows = await blank.sql.query<{ place: string }>(`SELECT place FROM "LeakSighting"`);
    expect(rows.map((r) => r.place).sort()).toEqual(locations.map(sightingPlace).sort());
  });
});
