import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { defaultMigrationsDir, migrate, scriptMatchesChecksum } from "../../src/db/migrator.ts";
import type { SqlConnection } from "../../src/db/sql-connection.ts";
import { createBlankDatabase, createTestDatabase, databaseKinds, type BlankDatabase } from "../support/test-database.ts";

const FIRST = "20260101000000_first";
const SECOND = "20260102000000_second";
const THIRD = "20260103000000_third";

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "keyward-migrations-"));
  tempDirs.push(dir);
  return dir;
}

/** A migrations folder in Prisma's layout, with the given migration.sql contents. */
async function migrationsDir(migrations: Record<string, string>, provider = "postgresql"): Promise<string> {
  const dir = await tempDir();
  await writeFile(path.join(dir, "migration_lock.toml"), `provider = "${provider}"\n`);
  for (const [name, script] of Object.entries(migrations)) await writeMigration(dir, name, script);
  return dir;
}

async function writeMigration(dir: string, name: string, script: string): Promise<void> {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, "migration.sql"), script);
}

const createTable = (table: string) => `-- CreateTable\nCREATE TABLE "${table}" ("id" TEXT NOT NULL, CONSTRAINT "${table}_pkey" PRIMARY KEY ("id"));\n`;

async function tableExists(sql: SqlConnection, table: string): Promise<boolean> {
  const [row] = await sql.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [`public."${table}"`]);
  return row!.found;
}

interface HistoryRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

function history(sql: SqlConnection): Promise<HistoryRow[]> {
  return sql.query<HistoryRow>(`SELECT * FROM _prisma_migrations ORDER BY migration_name, started_at`);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

describe("scriptMatchesChecksum", () => {
  it("matches like Prisma: exact bytes, other line endings, and old unpadded hex", () => {
    const script = "CREATE TABLE a ();\nCREATE TABLE b ();\n";
    expect(scriptMatchesChecksum(script, sha256(script))).toBe(true);
    expect(scriptMatchesChecksum(script.replaceAll("\n", "\r\n"), sha256(script))).toBe(true);
    expect(scriptMatchesChecksum(script, sha256(script.replaceAll("\n", "\r\n")))).toBe(true);
    expect(scriptMatchesChecksum(`${script} `, sha256(script))).toBe(false);
    const unpadded = [...createHash("sha256").update("x").digest()].map((b) => b.toString(16)).join("");
    expect(scriptMatchesChecksum("x", unpadded)).toBe(unpadded.length < 64);
  });
});

describe.each(databaseKinds())("migrate on %s", (kind) => {
  let blank: BlankDatabase;
  beforeEach(async () => {
    blank = await createBlankDatabase(kind);
  });
  afterEach(async () => {
    await blank?.close();
  });

  it("applies prisma/migrations once and records each like prisma migrate deploy", async () => {
    const names = (await readdir(defaultMigrationsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(names.length).toBeGreaterThan(0);

    expect(await migrate(blank.sql)).toEqual({ applied: names });

    const rows = await history(blank.sql);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      const script = await readFile(path.join(defaultMigrationsDir, row.migration_name, "migration.sql"), "utf8");
      expect(row).toMatchObject({ checksum: sha256(script), logs: null, rolled_back_at: null, applied_steps_count: 1 });
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    }
    expect(await tableExists(blank.sql, "ApiKey")).toBe(true);
  });

  it("creates _prisma_migrations with Prisma's own column types", async () => {
    await migrate(blank.sql, { migrationsDir: await migrationsDir({}) });
    const columns = await blank.sql.query(
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    const column = (column_name: string, data_type: string, length: number | null, is_nullable: string, column_default: string | null = null) => ({
      column_name,
      data_type,
      length,
      is_nullable,
      column_default,
    });
    expect(columns).toEqual([
      column("id", "character varying", 36, "NO"),
      column("checksum", "character varying", 64, "NO"),
      column("finished_at", "timestamp with time zone", null, "YES"),
      column("migration_name", "character varying", 255, "NO"),
      column("logs", "text", null, "YES"),
      column("rolled_back_at", "timestamp with time zone", null, "YES"),
      column("started_at", "timestamp with time zone", null, "NO", "now()"),
      column("applied_steps_count", "integer", null, "NO", "0"),
    ]);
  });

  it("is idempotent on restart and applies only what was added since", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First") });
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [FIRST] });

    const messages: string[] = [];
    const logger = { info: (_obj: object, msg?: string) => void messages.push(msg ?? "") };
    expect(await migrate(blank.connect(), { migrationsDir: dir, logger })).toEqual({ applied: [] });
    expect(messages).toEqual(["database schema up to date"]);

    await writeMigration(dir, SECOND, createTable("Second"));
    expect(await migrate(blank.connect(), { migrationsDir: dir })).toEqual({ applied: [SECOND] });
    expect((await history(blank.sql)).map((r) => r.migration_name)).toEqual([FIRST, SECOND]);
  });

  it("refuses a migration changed after it was applied, and applies nothing more", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First") });
    await migrate(blank.sql, { migrationsDir: dir });
    await writeMigration(dir, FIRST, `${createTable("First")}ALTER TABLE "First" ADD COLUMN "x" TEXT;\n`);
    await writeMigration(dir, SECOND, createTable("Second"));

    await expect(migrate(blank.sql, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(
        `^Migration ${FIRST} was modified after it was applied: ${FIRST}/migration.sql has checksum [0-9a-f]{64}, _prisma_migrations recorded [0-9a-f]{64}\\.`,
      ),
    );
    expect(await tableExists(blank.sql, "Second")).toBe(false);
  });

  it("accepts a migration whose only change is its line endings, as Prisma does", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First") });
    await migrate(blank.sql, { migrationsDir: dir });
    await writeMigration(dir, FIRST, createTable("First").replaceAll("\n", "\r\n"));
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [] });
  });

  it("refuses to start when an applied migration is missing from disk", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First"), [SECOND]: createTable("Second") });
    await migrate(blank.sql, { migrationsDir: dir });
    await rm(path.join(dir, SECOND), { recursive: true });

    await expect(migrate(blank.sql, { migrationsDir: dir })).rejects.toThrow(
      `Migration ${SECOND} is recorded as applied in _prisma_migrations but is missing from ${dir}`,
    );
  });

  it("refuses a failed or unfinished migration until it is resolved as rolled back", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First") });
    await migrate(blank.sql, { migrationsDir: await migrationsDir({}) });
    await blank.sql.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs) VALUES ('7d3b6a52-0000-4000-8000-000000000000', $1, $2, 'boom')`,
      [sha256(createTable("First")), FIRST],
    );

    await expect(migrate(blank.sql, { migrationsDir: dir })).rejects.toThrow(
      new RegExp(`^Migration ${FIRST} started at \\S+ but never finished \\(failed or interrupted\\).*migrate resolve --rolled-back ${FIRST}`),
    );
    expect(await tableExists(blank.sql, "First")).toBe(false);

    // What `prisma migrate resolve --rolled-back` writes; afterwards the migration is applied afresh.
    await blank.sql.query(`UPDATE _prisma_migrations SET rolled_back_at = now()`);
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [FIRST] });
  });

  it("rolls back a failing migration entirely: no partial tables, no history row", async () => {
    const failing = `${createTable("Partial")}INSERT INTO "Partial" VALUES ('x');\nSELECT * FROM "NoSuchTable";\n`;
    const dir = await migrationsDir({ [FIRST]: createTable("First"), [SECOND]: failing });

    await expect(migrate(blank.sql, { migrationsDir: dir })).rejects.toThrow(new RegExp(`^Migration ${SECOND} failed and was rolled back: .*NoSuchTable`));
    expect(await tableExists(blank.sql, "First")).toBe(true);
    expect(await tableExists(blank.sql, "Partial")).toBe(false);
    expect((await history(blank.sql)).map((r) => r.migration_name)).toEqual([FIRST]);

    await writeMigration(dir, SECOND, createTable("Partial"));
    expect(await migrate(blank.sql, { migrationsDir: dir })).toEqual({ applied: [SECOND] });
  });

  it("refuses a migrations folder locked to another provider", async () => {
    const dir = await migrationsDir({ [FIRST]: createTable("First") }, "sqlite");
    await expect(migrate(blank.sql, { migrationsDir: dir })).rejects.toThrow(/names provider "sqlite"/);
  });

  it.runIf(kind === "postgres")("applies each migration exactly once when several processes start at once", async () => {
    // The sleep keeps the first migration's transaction open while the others queue on the lock.
    const dir = await migrationsDir({
      [FIRST]: `${createTable("First")}SELECT pg_sleep(0.3);\n`,
      [SECOND]: createTable("Second"),
      [THIRD]: createTable("Third"),
    });
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(blank.connect(), { migrationsDir: dir })));

    expect(results.flatMap((r) => r.applied).sort()).toEqual([FIRST, SECOND, THIRD]);
    const rows = await history(blank.sql);
    expect(rows.map((r) => r.migration_name)).toEqual([FIRST, SECOND, THIRD]);
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
  });
});

describe.each(databaseKinds())("openDatabase on %s", (kind) => {
  it("returns a migrated database that Prisma and raw SQL share", async () => {
    const db = await createTestDatabase(kind);
    try {
      expect(db.kind).toBe(kind);
      await db.prisma.workspace.create({ data: { id: "T1", name: "secret-workspace-name" } });
      const [row] = await db.sql.query<{ name: string }>(`SELECT name FROM "Workspace" WHERE id = $1`, ["T1"]);
      expect(row?.name).toBe("secret-workspace-name");
      expect(await db.dump()).toContain("secret-workspace-name");
      const names = (await history(db.sql)).map((r) => r.migration_name);
      expect(names).toContain("20261127000000_init");
    } finally {
      await db.close();
    }
  });
});

describe("openDatabase with a PGlite data dir", () => {
  it("creates <dataDir>/pglite and keeps data and migration history across restarts", async () => {
    const dataDir = path.join(await tempDir(), "not", "yet", "there");
    const messages: string[] = [];
    const logger = { info: (_obj: object, msg?: string) => void messages.push(msg ?? "") };

    const first = await openDatabase({ dataDir, logger });
    await first.prisma.workspace.create({ data: { id: "T1" } });
    // Every shipped migration is recorded, whether the install's seed had it or this start applied it.
    expect(await appliedNames(first.sql)).toEqual(await shippedNames());
    await first.close();
    expect(existsSync(path.join(dataDir, "pglite", "PG_VERSION"))).toBe(true);

    messages.length = 0;
    const second = await openDatabase({ dataDir, logger });
    try {
      expect(await second.prisma.workspace.count()).toBe(1);
      expect(messages).not.toContain("applied migration");
    } finally {
      await second.close();
    }
  });
});

describe("the first start on an empty DATA_DIR", () => {
  it("copies the install's migrated seed (no migration to apply), and replaces a copy a killed start left half-done", async () => {
    const dataDir = await tempDir();
    // What a start killed in the middle of copying leaves: a side directory, never the real one.
    await mkdir(path.join(dataDir, "pglite.seeding", "base"), { recursive: true });
    await writeFile(path.join(dataDir, "pglite.seeding", "PG_VERSION"), "garbage");
    const appliedHere: unknown[] = [];
    const logger = { info: (obj: object, msg?: string) => void (msg === "applied migration" && appliedHere.push((obj as { migration?: unknown }).migration)) };
    const db = await openDatabase({ dataDir, logger });
    try {
      expect(await appliedNames(db.sql)).toEqual(await shippedNames());
      // The seed holds the migrations of its install; only ones added since (none in CI) run here.
      expect(appliedHere).not.toContain((await shippedNames())[0]);
      expect(existsSync(path.join(dataDir, "pglite.seeding"))).toBe(false);
    } finally {
      await db.close();
    }
  });
});

async function appliedNames(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1`);
  return rows.map((r) => r.migration_name);
}

async function shippedNames(): Promise<string[]> {
  return (await readdir(defaultMigrationsDir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}
