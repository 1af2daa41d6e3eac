// Proves that the hand-written migrations build exactly the schema that prisma/schema.prisma
// describes: both sides are rendered as sets of one-line facts ("column ApiKey.kind ApiKeyKind not
// null", "index ApiKey_expiresAt_idx on ApiKey(expiresAt)", ...), the expected ones derived from
// Prisma's DMMF with Prisma's own PostgreSQL conventions, the actual ones read from pg_catalog.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getDMMF, type GetDMMFError } from "@prisma/get-dmmf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlConnection } from "../../src/db/sql-connection.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

type Dmmf = Exclude<ReturnType<typeof getDMMF>, GetDMMFError>;
type Datamodel = Dmmf["datamodel"];
type Model = Datamodel["models"][number];
type Field = Model["fields"][number];
type Mutable<T> = T extends ReadonlyArray<infer U> ? Mutable<U>[] : T extends object ? { -readonly [K in keyof T]: Mutable<T[K]> } : T;

const schemaPath = fileURLToPath(new URL("../../prisma/schema.prisma", import.meta.url));
const HISTORY_TABLE = "_prisma_migrations";

// ---------------------------------------------------------------- expected, from the DMMF

function loadDatamodel(): Datamodel {
  const result = getDMMF({ datamodel: readFileSync(schemaPath, "utf8") });
  if ("reason" in result) throw new Error(`getDMMF failed: ${result.reason}: ${result.error.message}`);
  return result.datamodel;
}

/** How Prisma renders a scalar without @db.*, and the @db.* attributes keyward might use. */
const SCALAR_TYPES: Record<string, string> = {
  String: "text",
  Boolean: "boolean",
  Int: "integer",
  BigInt: "bigint",
  Float: "double precision",
  Decimal: "numeric(65,30)",
  DateTime: "timestamp(3) without time zone",
  Json: "jsonb",
  Bytes: "bytea",
};
const withPrecision = (base: string, zone: string) => (args: readonly string[]) => (args[0] === undefined ? `${base} ${zone}` : `${base}(${args[0]}) ${zone}`);
const NATIVE_TYPES: Record<string, (args: readonly string[]) => string> = {
  Timestamptz: withPrecision("timestamp", "with time zone"),
  Timestamp: withPrecision("timestamp", "without time zone"),
  Text: () => "text",
  VarChar: (args) => (args[0] ? `character varying(${args[0]})` : "character varying"),
  Uuid: () => "uuid",
  Integer: () => "integer",
  BigInt: () => "bigint",
  JsonB: () => "jsonb",
  Date: () => "date",
};

function columnName(field: Field): string {
  return field.dbName ?? field.name;
}

function tableName(model: Model): string {
  return model.dbName ?? model.name;
}

function expectedType(field: Field, datamodel: Datamodel): string {
  let base: string | undefined;
  if (field.kind === "enum") {
    const en = datamodel.enums.find((e) => e.name === field.type);
    base = en?.dbName ?? field.type;
  } else if (field.nativeType) {
    base = NATIVE_TYPES[field.nativeType[0]]?.(field.nativeType[1]);
  } else {
    base = SCALAR_TYPES[field.type];
  }
  if (!base) throw new Error(`schema-agreement: teach expectedType about ${field.name}: ${field.type} ${JSON.stringify(field.nativeType)}`);
  return field.isList ? `${base}[]` : base;
}

function expectedDefault(field: Field, type: string): string | undefined {
  const value = field.default;
  if (!field.hasDefaultValue || value === undefined) return undefined;
  if (typeof value === "object" && "name" in value) {
    if (value.name === "now") return "CURRENT_TIMESTAMP";
    if (value.name === "dbgenerated") return String(value.args[0]);
    // uuid(), cuid(), nanoid(), ulid() are filled in by Prisma Client, not by the database.
    if (["uuid", "cuid", "nanoid", "ulid"].includes(value.name)) return undefined;
  }
  if (typeof value === "string") return `'${value.replaceAll("'", "''")}'::${field.kind === "enum" ? `"${type}"` : type}`;
  if (typeof value === "boolean" || (typeof value === "number" && value >= 0)) return String(value);
  throw new Error(`schema-agreement: teach expectedDefault about ${field.name} @default(${JSON.stringify(value)})`);
}

/** Prisma's constraint names: <table>_<columns>_<suffix>, cut to PostgreSQL's 63 characters. */
function prismaName(table: string, columns: readonly string[], suffix: string): string {
  const base = [table, ...columns].join("_");
  return `${base.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

function expectedColumns(model: Model, datamodel: Datamodel): string[] {
  return model.fields
    .filter((field) => field.kind !== "object")
    .map((field) => {
      if (field.kind === "unsupported") throw new Error(`schema-agreement: Unsupported field ${model.name}.${field.name}`);
      const type = expectedType(field, datamodel);
      // Prisma creates list columns without NOT NULL, whatever the field says.
      const nullable = field.isList || !field.isRequired;
      const def = expectedDefault(field, type);
      return `column ${tableName(model)}.${columnName(field)} ${type} ${nullable ? "null" : "not null"}${def ? ` default ${def}` : ""}`;
    });
}

function expectedIndexes(model: Model, datamodel: Datamodel): string[] {
  const table = tableName(model);
  const columnOf = (name: string) => columnName(model.fields.find((f) => f.name === name)!);
  return datamodel.indexes
    .filter((index) => index.model === model.name)
    .map((index) => {
      const columns = index.fields.map((f) => columnOf(f.name));
      const rendered = index.fields.map((f) => `${columnOf(f.name)}${f.sortOrder === "desc" ? " DESC" : ""}`).join(", ");
      if (index.type === "id") return `primary key ${index.dbName ?? `${table.slice(0, 58)}_pkey`} on ${table}(${rendered})`;
      if (index.type === "unique") return `unique index ${index.dbName ?? prismaName(table, columns, "key")} on ${table}(${rendered})`;
      if (index.type === "normal") return `index ${index.dbName ?? prismaName(table, columns, "idx")} on ${table}(${rendered})`;
      throw new Error(`schema-agreement: ${index.type} indexes do not exist on PostgreSQL (${model.name})`);
    });
}

function expectedForeignKeys(model: Model, datamodel: Datamodel): string[] {
  const table = tableName(model);
  return model.fields
    .filter((field) => field.kind === "object" && field.relationFromFields?.length)
    .map((field) => {
      const target = datamodel.models.find((m) => m.name === field.type)!;
      const from = field.relationFromFields!.map((name) => columnName(model.fields.find((f) => f.name === name)!));
      const to = field.relationToFields!.map((name) => columnName(target.fields.find((f) => f.name === name)!));
      // Prisma's defaults: Restrict (SetNull when the scalar fields are optional) on delete, Cascade on update.
      const optional = field.relationFromFields!.some((name) => !model.fields.find((f) => f.name === name)!.isRequired);
      const onDelete = field.relationOnDelete ?? (optional ? "SetNull" : "Restrict");
      const onUpdate = field.relationOnUpdate ?? "Cascade";
      return `foreign key ${prismaName(table, from, "fkey")} on ${table}(${from.join(", ")}) references ${tableName(target)}(${to.join(", ")}) on delete ${onDelete} on update ${onUpdate}`;
    });
}

function expectedCatalog(datamodel: Datamodel): string[] {
  const enums = datamodel.enums.map((e) => `enum ${e.dbName ?? e.name} (${e.values.map((v) => v.dbName ?? v.name).join(", ")})`);
  const models = datamodel.models.flatMap((model) => [
    `table ${tableName(model)}`,
    ...expectedColumns(model, datamodel),
    ...expectedIndexes(model, datamodel),
    ...expectedForeignKeys(model, datamodel),
  ]);
  return [...enums, ...models].sort();
}

// ---------------------------------------------------------------- actual, from pg_catalog

const REFERENTIAL_ACTIONS: Record<string, string> = { a: "NoAction", r: "Restrict", c: "Cascade", n: "SetNull", d: "SetDefault" };

async function readCatalog(sql: SqlConnection): Promise<string[]> {
  // One after another: inside a transaction they share one pg client, which must not be sent concurrent queries.
  const lines: string[] = [];
  for (const read of [readEnums, readTables, readColumns, readIndexes, readConstraints]) lines.push(...(await read(sql)));
  return lines.sort();
}

async function readEnums(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = 'public'
       JOIN pg_enum e ON e.enumtypid = t.oid
      GROUP BY t.typname`,
  );
  return rows.map((r) => `enum ${r.name} (${r.labels.join(", ")})`);
}

/** Every relation in public (views, sequences too) except Prisma's history table. */
async function readTables(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname <> $1`,
    [HISTORY_TABLE],
  );
  return rows.map((r) => (r.kind === "r" ? `table ${r.name}` : `relation ${r.name} (relkind ${r.kind})`));
}

async function readColumns(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{ table: string; column: string; type: string; notnull: boolean; def: string | null }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND c.relname <> $1`,
    [HISTORY_TABLE],
  );
  // format_type quotes mixed-case enum names ("ApiKeyKind"); the DMMF side has them bare.
  return rows.map((r) => `column ${r.table}.${r.column} ${r.type.replaceAll('"', "")} ${r.notnull ? "not null" : "null"}${r.def ? ` default ${r.def}` : ""}`);
}

async function readIndexes(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{ table: string; name: string; primary: boolean; unique: boolean; partial: boolean; columns: string[] }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisprimary AS primary, x.indisunique AS unique,
            x.indpred IS NOT NULL AS partial,
            array_agg(COALESCE(a.attname::text, '<expression>') ||
                      CASE WHEN (x.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END ORDER BY k.ord) AS columns
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
       CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
      WHERE t.relname <> $1
      GROUP BY t.relname, i.relname, x.indisprimary, x.indisunique, x.indpred IS NOT NULL`,
    [HISTORY_TABLE],
  );
  return rows.map((r) => {
    const kind = r.primary ? "primary key" : r.unique ? "unique index" : "index";
    return `${kind} ${r.name} on ${r.table}(${r.columns.join(", ")})${r.partial ? " (partial)" : ""}`;
  });
}

/** Foreign keys, plus any CHECK or EXCLUDE constraint (Prisma never creates one, so each is drift). */
async function readConstraints(sql: SqlConnection): Promise<string[]> {
  const rows = await sql.query<{
    table: string;
    name: string;
    type: string;
    target: string | null;
    from: string[];
    to: string[] | null;
    del: string;
    upd: string;
  }>(
    `SELECT t.relname AS table, c.conname AS name, c.contype::text AS type, r.relname AS target,
            ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS from,
            ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS to,
            c.confdeltype::text AS del, c.confupdtype::text AS upd
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
       LEFT JOIN pg_class r ON r.oid = c.confrelid
      WHERE c.contype IN ('f', 'c', 'x') AND t.relname <> $1`,
    [HISTORY_TABLE],
  );
  return rows.map((r) =>
    r.type === "f"
      ? `foreign key ${r.name} on ${r.table}(${r.from.join(", ")}) references ${r.target}(${(r.to ?? []).join(", ")}) on delete ${REFERENTIAL_ACTIONS[r.del]} on update ${REFERENTIAL_ACTIONS[r.upd]}`
      : `constraint ${r.name} (contype ${r.type}) on ${r.table}`,
  );
}

// ---------------------------------------------------------------- comparison

interface CatalogDiff {
  /** In schema.prisma, absent or different in the database. */
  missing: string[];
  /** In the database, absent or different in schema.prisma. */
  unexpected: string[];
}

function compareCatalogs(expected: string[], actual: string[]): CatalogDiff {
  const have = new Set(actual);
  const want = new Set(expected);
  return { missing: expected.filter((line) => !have.has(line)), unexpected: actual.filter((line) => !want.has(line)) };
}

// ---------------------------------------------------------------- tests

describe("expectations derived from schema.prisma", () => {
  const datamodel = loadDatamodel();
  const expected = expectedCatalog(datamodel);

  it("cover every model, scalar field, enum, index and relation of the DMMF", () => {
    const count = (prefix: string) => expected.filter((line) => line.startsWith(prefix)).length;
    const models = datamodel.models;
    expect(count("table ")).toBe(models.length);
    expect(count("column ")).toBe(models.flatMap((m) => m.fields.filter((f) => f.kind !== "object")).length);
    expect(count("enum ")).toBe(datamodel.enums.length);
    expect(count("primary key ") + count("unique index ") + count("index ")).toBe(datamodel.indexes.length);
    expect(count("foreign key ")).toBe(models.flatMap((m) => m.fields.filter((f) => f.relationFromFields?.length)).length);
    expect(models.length).toBeGreaterThan(0);
  });

  it("follow Prisma's naming and type conventions", () => {
    expect(prismaName("Role", ["workspaceId", "name"], "key")).toBe("Role_workspaceId_name_key");
    expect(prismaName("T".repeat(70), ["a"], "idx")).toHaveLength(63);
    expect(compareCatalogs(["a", "b"], ["b", "c"])).toEqual({ missing: ["a"], unexpected: ["c"] });
  });
});

describe.each(databaseKinds())("schema agreement on %s", (kind) => {
  let db: TestDatabase;
  const datamodel = loadDatamodel();
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("the migrated database has exactly the schema's tables, columns, enums, keys, indexes and relations", async () => {
    const diff = compareCatalogs(expectedCatalog(datamodel), await readCatalog(db.sql));
    expect(diff).toEqual({ missing: [], unexpected: [] });
  });

  it("reports drift made in the database (the comparison can fail)", async () => {
    const diff = await db.sql
      .transaction(async (tx) => {
        await tx.exec(`
          ALTER TABLE "ApiKey" ALTER COLUMN "last4" DROP NOT NULL;
          ALTER TABLE "Role" ADD COLUMN "extra" TEXT;
          DROP INDEX "ApiKey_expiresAt_idx";
          ALTER TYPE "ApiKeyKind" ADD VALUE 'robot';
          ALTER TABLE "AuditEvent" DROP CONSTRAINT "AuditEvent_workspaceId_fkey",
            ADD CONSTRAINT "AuditEvent_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
          CREATE TABLE "Stray" ("id" INTEGER);`);
        throw new RolledBack(compareCatalogs(expectedCatalog(datamodel), await readCatalog(tx)));
      })
      .catch((error: unknown) => (error instanceof RolledBack ? error.diff : Promise.reject(error)));
    expect(diff.missing.sort()).toEqual([
      "column ApiKey.last4 text not null",
      "enum ApiKeyKind (service, personal)",
      "foreign key AuditEvent_workspaceId_fkey on AuditEvent(workspaceId) references Workspace(id) on delete Cascade on update Cascade",
      "index ApiKey_expiresAt_idx on ApiKey(expiresAt)",
    ]);
    expect(diff.unexpected.sort()).toEqual([
      "column ApiKey.last4 text null",
      "column Role.extra text null",
      "column Stray.id integer null",
      "enum ApiKeyKind (service, personal, robot)",
      "foreign key AuditEvent_workspaceId_fkey on AuditEvent(workspaceId) references Workspace(id) on delete Restrict on update Cascade",
      "table Stray",
    ]);
    // The drift was rolled back: the real database still agrees.
    expect(compareCatalogs(expectedCatalog(datamodel), await readCatalog(db.sql))).toEqual({ missing: [], unexpected: [] });
  });

  it("reports a schema.prisma the database does not implement (the comparison can fail)", async () => {
    const altered = structuredClone(datamodel) as Mutable<Datamodel>;
    const workspace = altered.models.find((m) => m.name === "Workspace")!;
    workspace.fields.find((f) => f.name === "name")!.isRequired = true;
    altered.indexes.push({ model: "Workspace", type: "unique", isDefinedOnField: true, fields: [{ name: "name" }] });
    const diff = compareCatalogs(expectedCatalog(altered as Datamodel), await readCatalog(db.sql));
    expect(diff).toEqual({
      missing: ["column Workspace.name text not null", "unique index Workspace_name_key on Workspace(name)"],
      unexpected: ["column Workspace.name text null"],
    });
  });
});

/** Carries a result out of a transaction that must not commit. */
class RolledBack extends Error {
  constructor(readonly diff: CatalogDiff) {
    super("rolled back on purpose");
  }
}
