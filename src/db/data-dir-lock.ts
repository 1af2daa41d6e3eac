// One process owns an embedded database directory: two PGlite instances writing the same files
// corrupt it. The owner holds DATA_DIR/pglite.lock, a JSON file naming it (pid, host, command,
// since when); it is published with link(2), which is atomic and refuses an existing name, so a
// lock is never seen half-written (the draft is fsynced first, so a power loss leaves no empty lock
// behind a link). A lock whose process is gone is stale and is taken over.
// The holder also refreshes the lock's mtime (a heartbeat): a holder this host cannot check (another
// hostname, as every new container has, or a pid whose liveness cannot be decided) is alive while
// its lock is younger than the lease, and stale after; so is a lock that is not a keyward lock.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, open, readFile, stat, unlink, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** What the lock file says about its holder (exported for the tests, which write stale and foreign ones). */
export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  /** ISO time the holder took the lock. */
  since: string;
  /** Linux: the kernel boot and the process's start tick, so a reused pid or a reboot is not mistaken for the holder. */
  bootId?: string;
  startTicks?: string;
  /** Unique per acquisition: a takeover removes exactly the stale lock it judged, never a newer one. */
  nonce: string;
}

interface DataDirLock {
  path: string;
  holder: LockHolder;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): Promise<void>;
}

/** Someone else holds the lock: `message` is the one line to show, naming the holder and what to do. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
    message: string,
  ) {
    super(message);
  }
}

// The lock's name and timings are exported for the tests, which find, age and take over locks.
export const lockFileName = "pglite.lock";

/** How often the holder refreshes its lock's mtime, and how old an unverifiable lock may be before it is stale. */
export const lockHeartbeatMs = 10_000;
export const lockLeaseMs = 60_000;

interface LockOptions {
  /** Milliseconds since the epoch, compared with the lock's mtime (default Date.now). */
  now?: () => number;
  leaseMs?: number;
  heartbeatMs?: number;
}

/** What is at the lock's path: the holder (undefined when it is not a keyward lock), its age, and an identity for a takeover. */
interface LockState {
  holder: LockHolder | undefined;
  mtimeMs: number;
  /** The holder's nonce; for an unparsable file, its inode and a hash of its content. */
  identity: string;
}

/** Locks this process holds, by nonce: a second opener in the same process is refused like any other. */
const heldHere = new Set<string>();

/** `command` names the opener in the refusal another process sees (default: this process's command line). */
export async function acquireDataDirLock(dataDir: string, command = describeCommand(), options: LockOptions = {}): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, lockFileName);
  const holder = describeSelf(command);
  const lease = leaseOf(options);
  const holderPath = await acquire(lockPath, holder, 0, lease);
  return lockHandle(holderPath, holder, options.heartbeatMs ?? lockHeartbeatMs);
}

/** The current holder of `dataDir`'s lock if it is alive, else undefined (no lock, or a stale one). */
export async function readLiveHolder(dataDir: string, options: LockOptions = {}): Promise<LockHolder | undefined> {
  const state = await readLock(path.join(dataDir, lockFileName));
  return state?.holder && isAlive(state, leaseOf(options)) ? state.holder : undefined;
}

interface Lease {
  now: () => number;
  ms: number;
}

const leaseOf = (options: LockOptions): Lease => ({ now: options.now ?? Date.now, ms: options.leaseMs ?? lockLeaseMs });

async function acquire(lockPath: string, self: LockHolder, depth: number, lease: Lease): Promise<string> {
  const draft = `${lockPath}.${self.pid}.${self.nonce}.tmp`;
  await writeDurably(draft, `${JSON.stringify(self)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, lockPath);
        heldHere.add(self.nonce);
        return lockPath;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const state = await readLock(lockPath);
      if (!state) continue; // released meanwhile: try again
      if (isAlive(state, lease)) throw lockedError(lockPath, state, lease);
      if (attempt >= 20 || depth >= 3)
        throw new Error(
          `could not take over the stale lock ${lockPath}${state.holder ? ` of pid ${state.holder.pid}` : ""}; remove it by hand if no keyward runs on this data`,
        );
      await takeOver(lockPath, state, self, depth, lease);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/** Written and fsynced before it is linked: after a power loss the lock is complete or absent, never empty. */
async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes a stale lock, but only the one judged stale: whoever creates `<lock>.takeover-<nonce>`
 * first (the same algorithm, one level down, so a taker that dies is itself stale) re-reads the
 * lock and unlinks it if it still carries that nonce. Two takers can therefore never both win:
 * the loser finds the guard held, or a lock with another nonce.
 */
async function takeOver(lockPath: string, stale: LockState, self: LockHolder, depth: number, lease: Lease): Promise<void> {
  const guardHolder = { ...self, nonce: randomBytes(12).toString("hex") };
  let guard: string;
  try {
    guard = await acquire(`${lockPath}.takeover-${stale.identity}`, guardHolder, depth + 1, lease);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    await new Promise((r) => setTimeout(r, 10)); // another process is taking it over right now
    return;
  }
  try {
    // Still the lock judged stale, and still stale (a slow holder may have refreshed it since).
    const current = await readLock(lockPath);
    if (current?.identity === stale.identity && !isAlive(current, lease)) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
    heldHere.delete(guardHolder.nonce);
  }
}

function lockHandle(lockPath: string, holder: LockHolder, heartbeatMs: number): DataDirLock {
  // A process that exits without closing (process.exit after a fatal error) still leaves no lock.
  const onExit = () => {
    try {
      if (heldHere.has(holder.nonce) && parseHolder(readFileSync(lockPath, "utf8"))?.nonce === holder.nonce) unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
  process.once("exit", onExit);
  // The heartbeat: a fresh mtime is what tells another host (or a new container) that we still run.
  // Only our own lock is touched; a failed refresh is retried on the next beat.
  const heartbeat = setInterval(() => {
    void (async () => {
      if ((await readLock(lockPath))?.identity !== holder.nonce) return;
      const now = new Date();
      await utimes(lockPath, now, now);
    })().catch(() => undefined);
  }, heartbeatMs);
  heartbeat.unref();
  let released: Promise<void> | undefined;
  return {
    path: lockPath,
    holder,
    release: () =>
      (released ??= (async () => {
        clearInterval(heartbeat);
        process.off("exit", onExit);
        if ((await readLock(lockPath))?.identity === holder.nonce) await unlink(lockPath).catch(() => undefined);
        heldHere.delete(holder.nonce);
      })()),
  };
}

async function readLock(lockPath: string): Promise<LockState | undefined> {
  let text: string;
  let info: { mtimeMs: number; ino: number };
  try {
    // stat first: a heartbeat between the two makes the lock look younger, never older.
    info = await stat(lockPath);
    text = await readFile(lockPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const holder = parseHolder(text);
  const identity = holder?.nonce ?? `raw-${createHash("sha256").update(`${info.ino}:${text}`).digest("hex").slice(0, 24)}`;
  return { holder, mtimeMs: info.mtimeMs, identity };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === "number" && typeof value.nonce === "string" && typeof value.hostname === "string") return value as LockHolder;
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * On this host: alive = the same process still runs. Anything this host cannot decide (a holder on
 * another host, a pid we may not signal, a file that is not a keyward lock) is alive while its
 * heartbeat is fresh: its mtime is younger than the lease.
 */
function isAlive(state: LockState, lease: Lease): boolean {
  const fresh = lease.now() - state.mtimeMs < lease.ms;
  const { holder } = state;
  if (!holder || holder.hostname !== os.hostname()) return fresh;
  if (holder.pid === process.pid) return heldHere.has(holder.nonce);
  const here = linuxIdentity(holder.pid);
  if (holder.bootId && here.bootId && holder.bootId !== here.bootId) return false; // rebooted since
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    // EPERM: some process of another user has that pid; without start times to compare, only the heartbeat can tell.
    return holder.startTicks && here.startTicks ? holder.startTicks === here.startTicks : fresh;
  }
  // Alive, but is it the same process? In a container keyward is pid 1 after every restart.
  return !(holder.startTicks && here.startTicks && holder.startTicks !== here.startTicks);
}

/** Whole seconds until an unverifiable lock is stale unless its holder refreshes it. */
const secondsToStale = (state: LockState, lease: Lease): number => Math.max(1, Math.ceil((state.mtimeMs + lease.ms - lease.now()) / 1000));

function describeSelf(command: string): LockHolder {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    command,
    since: new Date().toISOString(),
    ...linuxIdentity(process.pid),
    nonce: randomBytes(12).toString("hex"),
  };
}

function linuxIdentity(pid: number): { bootId?: string; startTicks?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const startTicks = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return { bootId: readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim(), startTicks };
  } catch {
    return {};
  }
}

/** `npm start`, `npm run rekey` when npm ran it; else the script (`src/main.ts`), not node's flags. */
function describeCommand(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const arg = argv.slice(1).find((a) => /\.(ts|js|mjs)$/.test(a));
  const script = arg ? path.relative(process.cwd(), arg) || arg : undefined;
  // npm's variables are inherited by everything below it: they name us only if npm's script runs this very file.
  const npmScript = env.npm_lifecycle_event;
  if (npmScript && script && env.npm_lifecycle_script?.includes(script)) return npmScript === "start" ? "npm start" : `npm run ${npmScript}`;
  return script ?? argv.join(" ");
}

function lockedError(lockPath: string, state: LockState, lease: Lease): DataDirLockedError | Error {
  const dir = path.dirname(lockPath);
  const { holder } = state;
  const staleIn = `${secondsToStale(state, lease)} s`;
  // Not a keyward lock (edited by hand, or an older keyward's torn write): not a holder to name or ask.
  if (!holder) return new Error(`${lockPath} is not a keyward lock file; it counts as stale in ${staleIn} (remove it now if no keyward runs on this data).`);
  const sameHost = holder.hostname === os.hostname();
  const message =
    holder.pid === process.pid && sameHost
      ? `${dir} is already open in this process (since ${holder.since}); close that database first.`
      : sameHost
        ? `${dir} is in use by keyward pid ${holder.pid} (${holder.command}, since ${holder.since}): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database.`
        : `${dir} is in use by keyward pid ${holder.pid} on host ${holder.hostname} (${holder.command}, since ${holder.since}): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database. Unless that keyward refreshes its lock, it counts as stale in ${staleIn}.`;
  return new DataDirLockedError(lockPath, holder, message);
}
