import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { acquireDataDirLock, DataDirLockedError, lockFileName, lockHeartbeatMs, lockLeaseMs, type LockHolder } from "../../src/db/data-dir-lock.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { createLogger } from "../../src/logger.ts";
import { startKeyward } from "../../src/server/keyward.ts";
import { createTestDatabase, databaseKinds } from "../support/test-database.ts";

const root = new URL("../..", import.meta.url).pathname;
const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "keyward-lock-"));
  tempDirs.push(dir);
  return dir;
}

/** The pid of a process that has exited: a lock naming it is stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

function staleLock(pid: number, extra: Partial<LockHolder> = {}): LockHolder {
  return { pid, hostname: os.hostname(), command: "npm start", since: "2026-11-30T10:00:00.000Z", nonce: `stale${pid}`, ...extra };
}

const readLock = async (dir: string) => JSON.parse(await readFile(path.join(dir, lockFileName), "utf8")) as LockHolder;

describe("the embedded database's lock", () => {
  it("refuses a second openDatabase on the same dataDir in this process, and the first keeps working", async () => {
    const dir = await tempDir();
    const first = await openDatabase({ dataDir: dir });
    try {
      const before = await readLock(dir);
      const second = openDatabase({ dataDir: dir });
      await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(second).rejects.toThrow(`${dir} is already open in this process`);
      // Nothing was written by the refused opener: the lock is still the first one's, and so is the data.
      expect(await readLock(dir)).toEqual(before);
      expect((await readdir(dir)).sort()).toEqual(["pglite", lockFileName].sort());
      expect(await first.sql.query<{ n: number }>("SELECT 1 AS n")).toEqual([{ n: 1 }]);
    } finally {
      await first.close();
    }
    // Closing gives the directory up.
    expect((await readdir(dir)).includes(lockFileName)).toBe(false);
    const again = await openDatabase({ dataDir: dir });
    await again.close();
  });

  it("names the holder (pid, command, since) in one line when another live process holds it", async () => {
    const dir = await tempDir();
    const holder = staleLock(process.ppid, { nonce: "live-holder" }); // the vitest main process: alive
    await writeFile(path.join(dir, lockFileName), JSON.stringify(holder));
    const refusal = await acquireDataDirLock(dir).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    const message = (refusal as Error).message;
    expect(message).toBe(
      `${dir} is in use by keyward pid ${process.ppid} (npm start, since 2026-11-30T10:00:00.000Z): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database.`,
    );
    expect(await readLock(dir)).toEqual(holder);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, lockFileName), JSON.stringify(staleLock(deadPid())));
    const db = await openDatabase({ dataDir: dir });
    try {
      expect((await readLock(dir)).pid).toBe(process.pid);
    } finally {
      await db.close();
    }
  });

  it("takes over a lock whose pid is alive but belongs to another process now (a container's pid 1 after a restart)", async () => {
    const dir = await tempDir();
    // Our own pid, but not a lock this process took: a previous life of the same pid.
    await writeFile(path.join(dir, lockFileName), JSON.stringify(staleLock(process.pid)));
    const lock = await acquireDataDirLock(dir);
    expect((await readLock(dir)).nonce).toBe(lock.holder.nonce);
    await lock.release();
    if (!lock.holder.startTicks) return; // not Linux: no start time to compare
    // A live pid whose start time differs from the recorded one was reused.
    await writeFile(path.join(dir, lockFileName), JSON.stringify(staleLock(process.ppid, { bootId: lock.holder.bootId, startTicks: "1" })));
    const taken = await acquireDataDirLock(dir);
    expect((await readLock(dir)).nonce).toBe(taken.holder.nonce);
    await taken.release();
  });

  it("lets exactly one of several processes racing for a stale lock win it", async () => {
    const dir = await tempDir();
    for (let round = 0; round < 6; round++) {
      await writeFile(path.join(dir, lockFileName), JSON.stringify(staleLock(deadPid(), { nonce: `stale-round-${round}` })));
      const racers = await Promise.all(Array.from({ length: 6 }, () => startRacer(dir)));
      // All are loaded and waiting; "go" reaches them within the same few milliseconds.
      for (const racer of racers) racer.child.stdin!.write("go\n");
      const verdicts = await Promise.all(racers.map((r) => r.verdict));
      expect(
        verdicts.filter((v) => v === "won"),
        `round ${round}: ${verdicts.join(", ")}`,
      ).toHaveLength(1);
      expect(verdicts.filter((v) => v === "refused")).toHaveLength(5);
      for (const racer of racers) racer.child.stdin!.end();
      await Promise.all(racers.map((r) => r.exited));
      expect(await readdir(dir)).toEqual([]);
    }
  }, 120_000);

  describe("a lock this host cannot check (another container's, or not a keyward lock)", () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const now = Date.parse("2026-12-01T12:00:00.000Z");
    /** A lock whose mtime, the holder's last heartbeat, is `ageMs` before `now`. */
    async function lockAged(dir: string, content: string, ageMs: number): Promise<void> {
      const file = path.join(dir, lockFileName);
      await writeFile(file, content);
      const when = new Date(now - ageMs);
      await utimes(file, when, when);
    }
    const foreign = (extra: Partial<LockHolder> = {}) => staleLock(1, { hostname: "keyward-7f9c-old-container", nonce: "foreign-holder", ...extra });

    it("takes over a lock from another hostname once its heartbeat is older than the lease (a SIGKILLed container)", async () => {
      const dir = await tempDir();
      await lockAged(dir, JSON.stringify(foreign()), lockLeaseMs + 1_000);
      const lock = await acquireDataDirLock(dir, "npm start", { now: () => now });
      expect(await readLock(dir)).toMatchObject({ nonce: lock.holder.nonce, hostname: os.hostname(), pid: process.pid });
      await lock.release();
      expect(await readdir(dir)).toEqual([]);
    });

    it("refuses a lock from another hostname whose heartbeat is fresh, saying when it would count as stale; nothing is written", async () => {
      const dir = await tempDir();
      const holder = foreign();
      await lockAged(dir, JSON.stringify(holder), 20_000);
      const before = await stat(path.join(dir, lockFileName));
      const refusal = await acquireDataDirLock(dir, "npm start", { now: () => now }).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(DataDirLockedError);
      expect((refusal as Error).message).toBe(
        `${dir} is in use by keyward pid 1 on host keyward-7f9c-old-container (npm start, since 2026-11-30T10:00:00.000Z): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database. Unless that keyward refreshes its lock, it counts as stale in 40 s.`,
      );
      expect(await readLock(dir)).toEqual(holder);
      expect((await stat(path.join(dir, lockFileName))).mtimeMs).toBe(before.mtimeMs);
      expect(await readdir(dir)).toEqual([lockFileName]);
    });

    it("takes over an empty or unparsable lock (a torn write after a power loss) older than the lease, and refuses a young one", async () => {
      for (const content of ["", '{"pid": 12', "not a lock"]) {
        const dir = await tempDir();
        await lockAged(dir, content, 5_000);
        const refusal = await acquireDataDirLock(dir, "npm start", { now: () => now }).catch((e: unknown) => e);
        expect((refusal as Error).message).toBe(
          `${path.join(dir, lockFileName)} is not a keyward lock file; it counts as stale in 55 s (remove it now if no keyward runs on this data).`,
        );
        expect(await readFile(path.join(dir, lockFileName), "utf8")).toBe(content);
        await lockAged(dir, content, lockLeaseMs);
        const lock = await acquireDataDirLock(dir, "npm start", { now: () => now });
        expect((await readLock(dir)).nonce).toBe(lock.holder.nonce);
        await lock.release();
      }
    });

    it("refreshes the lock's mtime every heartbeat while held, and stops on release", async () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
      const dir = await tempDir();
      const file = path.join(dir, lockFileName);
      const lock = await acquireDataDirLock(dir);
      const old = new Date(Date.now() - 3 * lockLeaseMs);
      await utimes(file, old, old);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(lockHeartbeatMs);
      await expect.poll(async () => (await stat(file)).mtimeMs).toBeGreaterThan(Date.now() - lockLeaseMs);
      expect(await readLock(dir)).toEqual(lock.holder);
      await lock.release();
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it("gives the directory back when keyward fails to start after opening it (the port is taken)", async () => {
    const dir = await tempDir();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const config = loadConfig({
        KEYWARD_PEPPER: "d".repeat(64),
        KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 7).toString("base64")}`,
        PORT: String((taken.address() as AddressInfo).port),
        DATA_DIR: dir,
      });
      const sink = new Writable({ write: (_chunk, _e, done) => done() });
      const failed = await startKeyward({ config, logger: createLogger("info", sink), reminderScheduler: false }).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: "EADDRINUSE" });
      expect((await readdir(dir)).includes(lockFileName)).toBe(false);
      const again = await openDatabase({ dataDir: dir });
      await again.close();
    } finally {
      taken.close();
    }
  });

  it.runIf(databaseKinds().includes("postgres"))("takes no lock on PostgreSQL: several instances share a server by design", async () => {
    const db = await createTestDatabase("postgres");
    const dir = await tempDir();
    try {
      const second = await openDatabase({ databaseUrl: db.url!, dataDir: dir });
      expect(await second.sql.query<{ n: number }>("SELECT 1 AS n")).toEqual([{ n: 1 }]);
      expect(await readdir(dir)).toEqual([]);
      await second.close();
    } finally {
      await db.close();
    }
  });
});

/** A process that takes the lock on "go", prints won/refused, and holds it until its stdin closes. */
async function startRacer(dir: string): Promise<{ child: ChildProcess; verdict: Promise<string>; exited: Promise<void> }> {
  const script = `
    import { acquireDataDirLock, DataDirLockedError } from "./src/db/data-dir-lock.ts";
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      try {
        const lock = await acquireDataDirLock(${JSON.stringify(dir)});
        process.stdout.write("won\\n");
        process.stdin.on("end", () => void lock.release());
      } catch (error) {
        process.stdout.write(error instanceof DataDirLockedError ? "refused\\n" : "error " + error.message + "\\n");
      }
    });
    process.stdin.resume();`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const lines: Array<(line: string) => void> = [];
  child.stdout!.on("data", (d) => {
    out += String(d);
    for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n")) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      lines.shift()?.(line);
    }
  });
  const next = () => new Promise<string>((resolve) => lines.push(resolve));
  const ready = next();
  const verdict = ready.then(next);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  expect(await ready).toBe("ready");
  return { child, verdict, exited };
}
