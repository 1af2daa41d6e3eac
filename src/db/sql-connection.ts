// A deliberately small SQL surface shared by the migrator, openDatabase and the tests, so that
// they run unchanged over PGlite (embedded, one connection) and over a pg.Pool (a server).
import type { PGlite, Transaction as PGliteTransaction } from "@electric-sql/pglite";
import type pg from "pg";

export interface SqlConnection {
  /** One statement, with $1…$n parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements separated by semicolons, no parameters (a migration script). */
  exec(sql: string): Promise<void>;
  /** Runs fn on one connection between BEGIN and COMMIT; any throw rolls back. Nested calls use savepoints. */
  transaction<T>(fn: (tx: SqlConnection) => Promise<T>): Promise<T>;
  /** Closes the underlying PGlite instance or pool. */
  close(): Promise<void>;
}

/** What a transaction-scoped connection needs from its driver. */
interface Statements {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

export function pgliteConnection(db: PGlite): SqlConnection {
  const statements = pgliteStatements(db);
  return {
    ...statements,
    // PGlite serialises its own transactions; its tx object is the only way to run inside one.
    transaction: (fn) => db.transaction((tx) => fn(transactionConnection(pgliteStatements(tx), 1))),
    close: () => db.close(),
  };
}

export function pgPoolConnection(pool: pg.Pool): SqlConnection {
  return {
    ...pgStatements(pool),
    transaction: (fn) => poolTransaction(pool, fn),
    close: () => pool.end(),
  };
}

function pgliteStatements(db: PGlite | PGliteTransaction): Statements {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    exec: async (sql) => {
      await db.exec(sql);
    },
  };
}

function pgStatements(client: pg.Pool | pg.PoolClient): Statements {
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    // Without parameters pg uses the simple query protocol, which accepts several statements.
    exec: async (sql) => {
      await client.query(sql);
    },
  };
}

async function poolTransaction<T>(pool: pg.Pool, fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await fn(transactionConnection(oneAtATime(pgStatements(client)), 1));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    // A client whose ROLLBACK fails is in an unknown state: destroy it instead of pooling it.
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

/** pg deprecates sending a client a query while another is running (Promise.all inside a transaction). */
function oneAtATime(statements: Statements): Statements {
  let tail: Promise<unknown> = Promise.resolve();
  const queue = <T>(op: () => Promise<T>): Promise<T> => {
    const result = tail.then(op, op);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    query: (sql, params) => queue(() => statements.query(sql, params)),
    exec: (sql) => queue(() => statements.exec(sql)),
  };
}

function transactionConnection(statements: Statements, depth: number): SqlConnection {
  return {
    ...statements,
    transaction: (fn) => withSavepoint(statements, depth, fn),
    close: () => Promise.reject(new Error("close() called on a transaction; close the database instead")),
  };
}

async function withSavepoint<T>(statements: Statements, depth: number, fn: (tx: SqlConnection) => Promise<T>): Promise<T> {
  const name = `sp_${depth}`;
  await statements.exec(`SAVEPOINT ${name}`);
  try {
    const result = await fn(transactionConnection(statements, depth + 1));
    await statements.exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    await statements.exec(`ROLLBACK TO SAVEPOINT ${name}`);
    throw error;
  }
}
