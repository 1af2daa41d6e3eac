import { defaultMigrationsDir, readMigrations } from "../db/migrator.ts";
import type { SqlConnection } from "../db/sql-connection.ts";

type DatabaseState = "ok" | "unreachable" | "timeout" | "unchecked";
type MigrationState = "ok" | "pending" | "unchecked";

interface ReadinessReport {
  ready: boolean;
  checks: { database: DatabaseState; migrations: MigrationState; shutdown: "ok" | "stopping" };
  /** The checks that are not "ok", by name: what a 503 from /readyz says (codes only, never an error's text). */
  failed: Array<"database" | "migrations" | "shutdown">;
}

/** What Readiness checks, and how (exported for the tests, which stub each check). */
export interface ReadinessOptions {
  /** One cheap round trip (SELECT 1); rejects when the database does not answer. */
  ping(): Promise<unknown>;
  /** The shipped migrations the database has not applied (empty: none). */
  pendingMigrations(): Promise<string[]>;
  /** How long a ping may take before the database counts as away (default 1500 ms). */
  timeoutMs?: number;
  /** How long an answer is reused, so frequent probes cost at most one ping a second (default 1000 ms). */
  maxAgeMs?: number;
  // Monotonic time, not the domain's clock: a test that stops its clock must not stop the checks.
  now?: () => number;
}

/**
 * /readyz: whether this instance can serve. The database answers, this release's migrations are
 * applied, and close() has not begun. Never rejects. Probes share one ping in flight, and a ping
 * that hangs past the timeout is not started again until it settles, so a database that stops
 * answering ties up at most one connection, however often the load balancer asks.
 */
export class Readiness {
  private stopping = false;
  private last: { at: number; database: DatabaseState } | undefined;
  private probing: Promise<DatabaseState> | undefined;
  private pingHanging = false;
  private migrations: MigrationState = "unchecked";
  private readonly now: () => number;

  constructor(private readonly options: ReadinessOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** close() calls this first: from then on the instance is not ready, whatever the database says. */
  stop(): void {
    this.stopping = true;
  }

  get stopped(): boolean {
    return this.stopping;
  }

  async check(): Promise<ReadinessReport> {
    const database = this.stopping ? (this.last?.database ?? "unchecked") : await this.database();
    const checks = { database, migrations: this.migrations, shutdown: this.stopping ? ("stopping" as const) : ("ok" as const) };
    // Shutting down decides alone: the others are not asked any more, so they say nothing new.
    const failed = this.stopping ? ["shutdown" as const] : (Object.keys(checks) as Array<keyof typeof checks>).filter((name) => checks[name] !== "ok");
    return { ready: failed.length === 0, checks, failed };
  }

  /** For keyward_database_up: the same cached answer /readyz gives (the last one, once close() began: the database may be closed). */
  async databaseUp(): Promise<boolean> {
    return (this.stopping ? this.last?.database : await this.database()) === "ok";
  }

  private database(): Promise<DatabaseState> {
    const maxAge = this.options.maxAgeMs ?? 1000;
    if (this.last && this.now() - this.last.at < maxAge) return Promise.resolve(this.last.database);
    this.probing ??= this.probe().then((database) => {
      this.last = { at: this.now(), database };
      this.probing = undefined;
      return database;
    });
    return this.probing;
  }

  private async probe(): Promise<DatabaseState> {
    if (this.pingHanging) return "timeout";
    const ping = this.options.ping().then(
      () => "ok" as const,
      () => "unreachable" as const,
    );
    const database = await this.withinTimeout(ping);
    if (database === "timeout") {
      this.pingHanging = true;
      void ping.finally(() => {
        this.pingHanging = false;
      });
    }
    // Checked until it is found complete once: this instance's migrator ran before it listened, so
    // only a migration rolled back behind its back could make it incomplete later.
    if (database === "ok" && this.migrations !== "ok") {
      const pending = await this.withinTimeout(this.options.pendingMigrations().catch(() => undefined));
      this.migrations = Array.isArray(pending) ? (pending.length === 0 ? "ok" : "pending") : "unchecked";
    }
    return database;
  }

  private async withinTimeout<T>(work: Promise<T>): Promise<T | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.timeoutMs ?? 1500);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Readiness over keyward's database: SELECT 1 (on PGlite too), and the migration history against prisma/migrations. */
export function databaseReadiness(sql: SqlConnection, migrationsDir = defaultMigrationsDir): Readiness {
  let shipped: Promise<string[]> | undefined;
  return new Readiness({
    ping: () => sql.query("SELECT 1"),
    async pendingMigrations() {
      shipped ??= readMigrations(migrationsDir).then(
        (files) => files.map((f) => f.name),
        (error: unknown) => {
          shipped = undefined; // read again next time
          throw error;
        },
      );
      const rows = await sql.query<{ migration_name: string }>(
        "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
      );
      const applied = new Set(rows.map((row) => row.migration_name));
      // Names applied here but not shipped (a newer release migrated) are not counted: see the README.
      return (await shipped).filter((name) => !applied.has(name));
    },
  });
}
