// One process owns an embedded database directory: two PGlite instances writing the same files
// corrupt it. The owner holds DATA_DIR/pglite.lock, a JSON file naming it (pid, host, command,
// since when); it is published with link(2), which is atomic and refuses an existing name, so a
// lock is never seen half-written. A lock whose process is gone is stale and is taken over.
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

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

export interface DataDirLock {
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

export const lockFileName = "pglite.lock";

/** Locks this process holds, by nonce: a second opener in the same process is refused like any other. */
const heldHere = new Set<string>();

/** `command` names the opener in the refusal another process sees (default: this process's command line). */
export async function acquireDataDirLock(dataDir: string, command = describeCommand()): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, lockFileName);
  const holder = describeSelf(command);
  const holderPath = await acquire(lockPath, holder, 0);
  return lockHandle(holderPath, holder);
}

/** The current holder of `dataDir`'s lock if it is alive, else undefined (no lock, or a stale one). */
export async function readLiveHolder(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path.join(dataDir, lockFileName));
  return holder && isAlive(holder) ? holder : undefined;
}

async function acquire(lockPath: string, self: LockHolder, depth: number): Promise<string> {
  const draft = `${lockPath}.${self.pid}.${self.nonce}.tmp`;
  await writeFile(draft, `${JSON.stringify(self)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, lockPath);
        heldHere.add(self.nonce);
        return lockPath;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = await readHolder(lockPath);
      if (!holder) continue; // released (or unreadable and removed) meanwhile: try again
      if (isAlive(holder)) throw lockedError(lockPath, holder);
      if (attempt >= 20 || depth >= 3) throw new Error(`could not take over the stale lock ${lockPath} of pid ${holder.pid}; remove it by hand if no keyward runs on this data`);
      await takeOver(lockPath, holder, self, depth);
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/**
 * Removes a stale lock, but only the one judged stale: whoever creates `<lock>.takeover-<nonce>`
 * first (the same algorithm, one level down, so a taker that dies is itself stale) re-reads the
 * lock and unlinks it if it still carries that nonce. Two takers can therefore never both win:
 * the loser finds the guard held, or a lock with another nonce.
 */
async function takeOver(lockPath: string, stale: LockHolder, self: LockHolder, depth: number): Promise<void> {
  const guardHolder = { ...self, nonce: randomBytes(12).toString("hex") };
  let guard: string;
  try {
    guard = await acquire(`${lockPath}.takeover-${stale.nonce}`, guardHolder, depth + 1);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    await new Promise((r) => setTimeout(r, 10)); // another process is taking it over right now
    return;
  }
  try {
    const current = await readHolder(lockPath);
    if (current?.nonce === stale.nonce) await unlink(lockPath).catch(() => undefined);
  } finally {
    await unlink(guard).catch(() => undefined);
    heldHere.delete(guardHolder.nonce);
  }
}

function lockHandle(lockPath: string, holder: LockHolder): DataDirLock {
  // A process that exits without closing (process.exit after a fatal error) still leaves no lock.
  const onExit = () => {
    try {
      if (heldHere.has(holder.nonce) && parseHolder(readFileSync(lockPath, "utf8"))?.nonce === holder.nonce) unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
  process.once("exit", onExit);
  let released: Promise<void> | undefined;
  return {
    path: lockPath,
    holder,
    release: () =>
      (released ??= (async () => {
        process.off("exit", onExit);
        if ((await readHolder(lockPath))?.nonce === holder.nonce) await unlink(lockPath).catch(() => undefined);
        heldHere.delete(holder.nonce);
      })()),
  };
}

async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const holder = parseHolder(text);
  // Written by link(2) from a complete draft, so unparsable means someone edited it: refuse to guess.
  if (!holder) throw new Error(`${lockPath} is not a keyward lock file; remove it if no keyward runs on this data`);
  return holder;
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

/** Alive = the same process still runs. A holder on another host cannot be checked, so it counts as alive. */
function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(holder.nonce);
  const here = linuxIdentity(holder.pid);
  if (holder.bootId && here.bootId && holder.bootId !== here.bootId) return false; // rebooted since
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH"; // EPERM: alive, someone else's
  }
  // Alive, but is it the same process? In a container keyward is pid 1 after every restart.
  return !(holder.startTicks && here.startTicks && holder.startTicks !== here.startTicks);
}

function describeSelf(command: string): LockHolder {
  return { pid: process.pid, hostname: os.hostname(), command, since: new Date().toISOString(), ...linuxIdentity(process.pid), nonce: randomBytes(12).toString("hex") };
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
export function describeCommand(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const arg = argv.slice(1).find((a) => /\.(ts|js|mjs)$/.test(a));
  const script = arg ? path.relative(process.cwd(), arg) || arg : undefined;
  // npm's variables are inherited by everything below it: they name us only if npm's script runs this very file.
  const npmScript = env.npm_lifecycle_event;
  if (npmScript && script && env.npm_lifecycle_script?.includes(script)) return npmScript === "start" ? "npm start" : `npm run ${npmScript}`;
  return script ?? argv.join(" ");
}

function lockedError(lockPath: string, holder: LockHolder): DataDirLockedError {
  const where = holder.hostname === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.hostname}`;
  const message =
    holder.pid === process.pid && holder.hostname === os.hostname()
      ? `${path.dirname(lockPath)} is already open in this process (since ${holder.since}); close that database first.`
      : `${path.dirname(lockPath)} is in use by keyward ${where} (${holder.command}, since ${holder.since}): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database.`;
  return new DataDirLockedError(lockPath, holder, message);
}
