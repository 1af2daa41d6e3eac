// A keyward started with another pepper than its database's is refused (issue 11, review item 1):
// `npm start` stops with one line and writes nothing; on PostgreSQL a second instance configured
// apart cannot start beside the first, whose keys keep working. Neither pepper is ever printed.
import { spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { lockFileName } from "../../src/db/data-dir-lock.ts";
import { PepperMismatchError } from "../../src/domain/pepper-check.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward, type Keyward } from "../../src/server/keyward.ts";
import { packageScript } from "../support/package-script.ts";
import { createTestDatabase, databaseKinds } from "../support/test-database.ts";
import { useTempDirs } from "../support/temp-dirs.ts";

const root = new URL("../..", import.meta.url).pathname;
const start = packageScript("start");
const pepperA = "a1".repeat(32);
const pepperB = "b2".repeat(32);
const ring = `1:${Buffer.alloc(32, 7).toString("base64")}`;
const keyInput = { name: "first", role: "Admin", expiresOn: new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10), timeZone: "UTC" };
const mismatch = "KEYWARD_PEPPER differs from the one this database was set up with: use the same pepper as the running instances.";
/** Every form a pepper could be printed in. */
const pepperForms = (hex: string) => [hex, Buffer.from(hex, "hex").toString("base64"), hex.slice(0, 16)];

const tempDir = useTempDirs("kw-pepper-");

function startIn(env: Record<string, string>, logs: string[] = []): Promise<Keyward> {
  const sink = new Writable({
    write(chunk, _e, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({ PORT: "0", KEYWARD_ENCRYPTION_KEYS: ring, LOG_LEVEL: "trace", ...env });
  return startKeyward({ config, logger: createLogger("trace", sink), reminderScheduler: false });
}

/** A key made and switched on by an operator, as `npm run keys` does. */
async function firstKey(app: Keyward): Promise<string> {
  const created = await app.services.operator.createKey("alice", undefined, keyInput);
  await app.services.operator.activateKey("alice", created.workspaceId, created.key.id);
  return created.secret;
}

/** `npm start` as its own process (node on dist/main.js), with only this environment, until it exits. */
function npmStart(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(start.command, start.args, { cwd: root, env: { PATH: process.env.PATH ?? "", HOME: os.homedir(), PORT: "0", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += String(d)));
  child.stderr.on("data", (d) => (stderr += String(d)));
  // A start that is not refused would serve on: it is stopped at a deadline, so the test fails instead of hanging.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("keyward start-up and the database's pepper", () => {
  it("on the embedded database: npm start with another pepper stops with one line, writes nothing, and gives DATA_DIR back", async () => {
    const dataDir = await tempDir();
    const first = await startIn({ DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA });
    const secret = await firstKey(first);
    await first.close();
    const before = await startIn({ DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA }).then(async (app) => {
      const dump = await app.db.prisma.apiKey.findMany();
      await app.close();
      return dump;
    });

    const other = await npmStart({ DATA_DIR: dataDir, KEYWARD_PEPPER: pepperB, KEYWARD_ENCRYPTION_KEYS: ring, LOG_LEVEL: "trace" });
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(`keyward could not start: ${mismatch}\n`);
    // KEYWARD_PEPPER unset: the generated DATA_DIR/secrets/pepper is named, never shown.
    const unset = await npmStart({ DATA_DIR: dataDir, KEYWARD_ENCRYPTION_KEYS: ring, LOG_LEVEL: "trace" });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toBe(
      `keyward could not start: KEYWARD_PEPPER is unset here, and the pepper in ${path.join(dataDir, "secrets", "pepper")} differs from the one this database was set up with: set KEYWARD_PEPPER to the same pepper as the running instances.\n`,
    );
    for (const run of [other, unset])
      for (const shown of [...pepperForms(pepperA), ...pepperForms(pepperB)]) expect(run.stdout + run.stderr).not.toContain(shown);
    expect(await readdir(dataDir)).not.toContain(lockFileName);

    // Nothing changed: the right pepper starts, and the key made before works.
    const again = await startIn({ DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA });
    try {
      expect(await again.db.prisma.apiKey.findMany()).toEqual(before);
      expect((await again.services.keys.verify(secret)).valid).toBe(true);
    } finally {
      await again.close();
    }
  }, 120_000);

  describe.runIf(databaseKinds().includes("postgres"))("on PostgreSQL", () => {
    it("refuses a second instance with another pepper; the first and its keys keep working, and one with the same pepper starts", async () => {
      const db = await createTestDatabase("postgres");
      const env = { DATA_DIR: await tempDir(), DATABASE_URL: db.url! };
      const first = await startIn({ ...env, KEYWARD_PEPPER: pepperA });
      try {
        const secret = await firstKey(first);
        const logs: string[] = [];
        const refused = await startIn({ ...env, KEYWARD_PEPPER: pepperB }, logs).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(PepperMismatchError);
        expect((refused as Error).message).toBe(mismatch);
        for (const shown of [...pepperForms(pepperA), ...pepperForms(pepperB)]) expect(logs.join("")).not.toContain(shown);
        expect((await first.services.keys.verify(secret)).valid).toBe(true);
        expect(await db.prisma.installation.count()).toBe(1);
        const same = await startIn({ ...env, KEYWARD_PEPPER: pepperA });
        try {
          expect((await same.services.keys.verify(secret)).valid).toBe(true);
        } finally {
          await same.close();
        }
      } finally {
        await first.close();
        await db.close();
      }
    }, 120_000);
  });
});
