// Opens keyward's storage: PGlite (embedded, in memory or under a data dir) or a PostgreSQL server.
// Prisma and the raw SQL connection share one PGlite instance or one pg.Pool, and the schema is
// migrated before anything is returned, so no caller ever sees an unmigrated database.
import { access, chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { SqlDriverAdapterFactory } from "@prisma/client/runtime/client";
import type pg from "pg";
import { acquireDataDirLock } from "./data-dir-lock.ts";
import { PrismaClient } from "./generated/client.ts";
import { migrate } from "./migrator.ts";
import { copySeed } from "./seed-directory.ts";
import { pgliteConnection, pgPoolConnection, type SqlConnection } from "./sql-connection.ts";

type PgModule = typeof import("pg").default;

interface DatabaseLogger {
  info(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

interface DatabaseOptions {
  /** postgres://… : use that server. Wins over dataDir. */
  databaseUrl?: string;
  /** PGlite keeps its files under <dataDir>/pglite. Neither option: in-memory PGlite. */
  dataDir?: string;
  /** In-memory PGlite only: start from this dumpDataDir() image instead of running initdb (~2 s); tests use it. */
  pgliteImage?: Blob;
  logger?: DatabaseLogger;
}

export type DatabaseKind = "pglite" | "postgres";

export interface ListenOptions {
  onListening?: (listening: boolean) => void;
}

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  sql: SqlConnection;
  /**
   * Calls `handler` with each NOTIFY payload on `channel`, from any instance sharing the database.
   * `onListening(false)`: the connection dropped, notifications may be missed from now on;
   * `onListening(true)`: listening again on a new connection (anything committed from now on is
   * heard). Never called on the embedded database, where no other instance can change anything.
   */
  listen(channel: string, handler: (payload: string) => void, options?: ListenOptions): Promise<void>;
  /** Disconnects Prisma, then closes the PGlite instance or pool. Safe to call twice. */
  close(): Promise<void>;
}

interface Driver {
  kind: DatabaseKind;
  sql: SqlConnection;
  adapter: SqlDriverAdapterFactory;
  listen: Database["listen"];
  /** Ends what listen() opened. */
  stopListening(): Promise<void>;
  /** After the connection is closed: gives up the data directory's lock. */
  release(): Promise<void>;
}

export async function openDatabase(opts: DatabaseOptions = {}): Promise<Database> {
  const driver = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.logger) : await openPglite(opts.dataDir, opts.pgliteImage);
  try {
    await migrate(driver.sql, { logger: opts.logger });
  } catch (error) {
    await driver.sql.close();
    await driver.release();
    throw error;
  }
  opts.logger?.info({ kind: driver.kind, dataDir: driver.kind === "pglite" ? (opts.dataDir ?? "(memory)") : undefined }, "database open");
  const prisma = new PrismaClient({ adapter: driver.adapter });
  return {
    kind: driver.kind,
    prisma,
    sql: driver.sql,
    listen: driver.listen,
    close: once(async () => {
      await driver.stopListening();
      await closeAll(prisma, driver.sql);
      await driver.release();
    }),
  };
}

/**
 * PGlite runs PostgreSQL's defaults, sized for a server of its own: 128 MB of shared buffers alone
 * is most of a small container's memory. keyward's working set (keys, roles, reminders) is a few
 * MB, so 8 MB of buffers hold it; measured here, resident memory of a PGlite on existing data
 * fell from 310 MB to 153 MB, and 10,000 keys plus 1,000 look-ups added 36 MB either way.
 */
const pgliteSettings = ["shared_buffers = 8MB", "work_mem = 2MB", "maintenance_work_mem = 8MB", "wal_buffers = 256kB"];

async function openPglite(dataDir: string | undefined, image: Blob | undefined): Promise<Driver> {
  if (dataDir !== undefined && image) throw new Error("openDatabase: pgliteImage is for in-memory PGlite; it cannot seed a dataDir");
  const postgresqlconf = pgliteSettings;
  // Each driver loads only when it is used: a process on PostgreSQL never loads PGlite, and back.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
  const driver = (pglite: PGlite, release: () => Promise<void>) => pgliteDriver(pglite, new PrismaPGlite(pglite), release);
  if (dataDir === undefined) return driver(await PGlite.create(image ? { loadDataDir: image, postgresqlconf } : { postgresqlconf }), async () => {});
  // Two PGlite instances writing one directory corrupt it: the lock comes before anything is read or copied.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(dataDir);
  try {
    const dir = path.join(dataDir, "pglite");
    // A first start copies the install's migrated seed (src/db/seed-directory.ts), else runs initdb.
    if (!(await exists(dir)) && !(await copySeed(dir))) await mkdir(dir, { recursive: true, mode: 0o700 });
    // PGlite writes its files world-readable and -writable: only this directory's mode keeps other
    // users out, whatever mode DATA_DIR was given by whoever made it.
    await chmod(dir, 0o700);
    return driver(await PGlite.create(dir, { postgresqlconf }), lock.release);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function pgliteDriver(pglite: PGlite, adapter: SqlDriverAdapterFactory, release: () => Promise<void>): Driver {
  // One process owns a PGlite directory (the lock), so there is no other instance to hear from.
  return { kind: "pglite", sql: pgliteConnection(pglite), adapter, listen: async () => {}, stopListening: async () => {}, release };
}

async function openPostgres(connectionString: string, logger: DatabaseLogger | undefined): Promise<Driver> {
  const [{ default: pg }, { PrismaPg }] = await Promise.all([import("pg"), import("@prisma/adapter-pg")]);
  const pool = new pg.Pool({ connectionString });
  // Without a listener, an idle client dropped by the server (restart, failover) crashes the process.
  pool.on("error", (error) => {
    const log = logger?.warn ?? logger?.info;
    log?.call(logger, { err: error }, "idle PostgreSQL connection failed");
  });
  const listeners = new PostgresListeners(pg, connectionString, logger);
  return {
    kind: "postgres",
    sql: pgPoolConnection(pool),
    adapter: new PrismaPg(pool),
    listen: (channel, handler, options) => listeners.listen(channel, handler, options),
    stopListening: () => listeners.stop(),
    // Instances share a server by design: nothing to lock.
    release: async () => {},
  };
}

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to queries). If the connection
 * drops it is re-opened after a second; notifications sent meanwhile are lost, and listen()'s
 * onListening says when that may have happened (the key service then asks the database on every
 * filter miss until its hash filter is reloaded; its verify cache's rows age out on their own).
 */
class PostgresListeners {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, (payload: string) => void>();
  private readonly stateListeners = new Set<(listening: boolean) => void>();
  private stopped = false;

  constructor(
    private readonly pg: PgModule,
    private readonly connectionString: string,
    private readonly logger: DatabaseLogger | undefined,
  ) {}

  async listen(channel: string, handler: (payload: string) => void, options: ListenOptions = {}): Promise<void> {
    this.handlers.set(channel, handler);
    if (options.onListening) this.stateListeners.add(options.onListening);
    const client = await this.connect();
    await client.query(`LISTEN ${this.pg.escapeIdentifier(channel)}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new this.pg.Client({ connectionString: this.connectionString });
    client.on("notification", (msg) => {
      if (msg.payload !== undefined) this.handlers.get(msg.channel)?.(msg.payload);
    });
    let failed = false;
    client.on("error", (error) => {
      if (failed || this.client !== client) return; // one connection fails once
      failed = true;
      (this.logger?.warn ?? this.logger?.info)?.call(this.logger, { err: error }, "LISTEN connection failed; reconnecting");
      this.client = undefined;
      if (this.stopped) return;
      this.announce(false);
      setTimeout(() => void this.resubscribe(), 1000).unref();
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private announce(listening: boolean): void {
    for (const onListening of this.stateListeners) onListening(listening);
  }

  private async resubscribe(): Promise<void> {
    try {
      const client = await this.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${this.pg.escapeIdentifier(channel)}`);
      this.announce(true);
    } catch {
      if (!this.stopped) setTimeout(() => void this.resubscribe(), 1000).unref();
    }
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

async function closeAll(prisma: PrismaClient, sql: SqlConnection): Promise<void> {
  // Prisma first: the adapters do not own the PGlite instance or the pool, so closing them is ours.
  await prisma.$disconnect();
  await sql.close();
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
