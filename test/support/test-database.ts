// Test databases of both kinds. PGlite: a fresh in-memory instance. PostgreSQL: a fresh, uniquely
// named database on the server named by TEST_DATABASE_URL, dropped again on close, so parallel test
// files and runs never see each other's rows.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isMainThread } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { openDatabase, type Database, type DatabaseKind } from "../../src/db/database.ts";
import { pgliteConnection, pgPoolConnection, type SqlConnection } from "../../src/db/sql-connection.ts";

export type TestDatabase = Database & {
  /** Every row of every public table as text (one line per row), for "is this secret stored anywhere" checks. */
  dump(): Promise<string>;
  /** PostgreSQL only: the database's URL, for a second connection (a second "instance"). */
  url?: string;
};

/** An empty, unmigrated database, for tests of the migrator itself. */
export interface BlankDatabase {
  kind: DatabaseKind;
  sql: SqlConnection;
  /** Another connection to the same database (postgres: its own pool; pglite: the one instance again). */
  connect(): SqlConnection;
  close(): Promise<void>;
}

export function databaseKinds(): DatabaseKind[] {
  if (process.env.TEST_DATABASE_URL) return ["pglite", "postgres"];
  warnPostgresSkippedOnce();
  return ["pglite"];
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") return withDump(await openDatabase({ pgliteImage: await blankPgliteImage() }), async () => {});
  const server = await createServerDatabase(testDatabaseUrl());
  try {
    return { ...withDump(await openDatabase({ databaseUrl: server.url }), server.drop), url: server.url };
  } catch (error) {
    await server.drop();
    throw error;
  }
}

export async function createBlankDatabase(kind: DatabaseKind): Promise<BlankDatabase> {
  if (kind === "pglite") {
    const pglite = await PGlite.create({ loadDataDir: await blankPgliteImage() });
    const sql = pgliteConnection(pglite);
    return { kind, sql, connect: () => sql, close: () => sql.close() };
  }
  const server = await createServerDatabase(testDatabaseUrl());
  const pools: pg.Pool[] = [];
  const connect = () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    // pool.end() resolves before its sockets close; DROP DATABASE … WITH (FORCE) may then terminate
    // one, and a pool with no error listener turns that into an uncaught exception.
    pool.on("error", () => {});
    pools.push(pool);
    return pgPoolConnection(pool);
  };
  const sql = connect();
  const close = async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await server.drop();
  };
  return { kind, sql, connect, close };
}

let blankImage: Promise<Blob> | undefined;

/** PGlite runs initdb on every create (~2 s); loading a dump of a fresh cluster takes a fraction of that. */
function blankPgliteImage(): Promise<Blob> {
  blankImage ??= (async () => {
    const pglite = await PGlite.create();
    try {
      return await pglite.dumpDataDir("none");
    } finally {
      await pglite.close();
    }
  })();
  return blankImage;
}

/** Every row of every table in the public schema, each column cast to text, one line per row. */
export async function dumpTables(sql: SqlConnection): Promise<string> {
  const tables = await sql.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p')
      GROUP BY c.relname ORDER BY c.relname`,
  );
  const lines: string[] = [];
  for (const { table, columns } of tables) {
    const select = columns.map((column, i) => `${quoteIdent(column)}::text AS c${i}`).join(", ");
    const rows = await sql.query<Record<string, string | null>>(`SELECT ${select} FROM ${quoteIdent(table)}`);
    for (const row of rows) {
      lines.push(`${table}: ${columns.map((column, i) => `${column}=${row[`c${i}`] ?? "NULL"}`).join(" | ")}`);
    }
  }
  return lines.join("\n");
}

function withDump(db: Database, afterClose: () => Promise<void>): TestDatabase {
  let closing: Promise<void> | undefined;
  return {
    ...db,
    dump: () => dumpTables(db.sql),
    close: () => (closing ??= db.close().then(afterClose)),
  };
}

function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("PostgreSQL test database requested but TEST_DATABASE_URL is not set (e.g. postgres://root@127.0.0.1:5432/test)");
  return url;
}

async function createServerDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  // Unique per call: test files run in parallel workers against the same server.
  const name = `keyward_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await runAdmin(adminUrl, `CREATE DATABASE ${quoteIdent(name)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  // FORCE: a test that failed half-way may still hold connections; the database must go anyway.
  return { url: url.toString(), drop: () => runAdmin(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`) };
}

async function runAdmin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function warnPostgresSkippedOnce(): void {
  // Vitest loads this module afresh in every test file's worker; a marker file named after the run's
  // main process makes the banner appear once per run instead of once per file.
  try {
    writeFileSync(path.join(os.tmpdir(), `keyward-pg-skipped-${vitestRunId()}`), "", { flag: "wx" });
  } catch {
    return;
  }
  const bar = "!".repeat(78);
  console.warn(
    [
      "",
      bar,
      "!!  PostgreSQL tests are SKIPPED: TEST_DATABASE_URL is not set. Only PGlite ran.",
      "!!  To run every database test against a PostgreSQL server as well:",
      "!!    TEST_DATABASE_URL=postgres://root@127.0.0.1:5432/test npx vitest run",
      "!!  (each test creates and drops its own database on that server)",
      bar,
      "",
    ].join("\n"),
  );
}

/** The pid of vitest's main process (worker forks are its children), plus its start time so a reused pid differs. */
function vitestRunId(): string {
  const pid = isMainThread ? process.ppid : process.pid;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return `${pid}-${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`;
  } catch {
    return String(pid);
  }
}
