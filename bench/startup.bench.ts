import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageScript } from "../test/support/package-script.ts";
import { median, round } from "./stats.ts";

const root = new URL("..", import.meta.url).pathname;
/** After /healthz answers, the process settles (timers, lazy compilation) before its memory is read. */
const settleMs = 2000;

interface Running {
  child: ChildProcess;
  url: string;
  msToHealthy: number;
}

/** Spawns a command and waits for GET <url>/healthz (or /) to answer 200; ms from spawn. */
async function startUntilHealthy(command: string, args: string[], env: Record<string, string>, port: number, path = "/healthz"): Promise<Running> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} ${args.join(" ")} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}${path}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, url, msToHealthy: performance.now() - started };
    if (performance.now() - started > 60_000) throw new Error("never became healthy");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stop(running: Running): Promise<void> {
  const exited = new Promise((r) => running.child.once("exit", r));
  running.child.kill("SIGTERM");
  await exited;
}

/** Resident memory of a process in MB, from /proc (Linux, where this runs). */
function rssMb(child: ChildProcess): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
  return round(kb / 1024, 1);
}

async function settledRss(running: Running): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs));
  return rssMb(running.child);
}

/** One Admin key, made with `npm run keys -- create` while the server is stopped, to drive its REST API. */
async function bootstrapAdminKey(env: Record<string, string>): Promise<string> {
  const keys = packageScript("keys");
  const args = [...keys.args, "create", "--name", "bench-admin", "--role", "Admin", "--expires", "2030-01-01"];
  const { status, stdout, stderr } = spawnSync(keys.command, args, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8" });
  if (status !== 0) throw new Error(`npm run keys -- create failed (${status}): ${stderr}`);
  return stdout.trim();
}

/** `count` keys created through the running server's REST API (4 at a time), then up to 1,000 verifies of them. */
async function load(url: string, adminKey: string, count = 10_000, first = 0): Promise<void> {
  const secrets: string[] = [];
  const headers = { authorization: `Bearer ${adminKey}`, "content-type": "application/json" };
  let next = first;
  const worker = async () => {
    while (next < first + count) {
      const i = next++;
      const body = JSON.stringify({ name: `k${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      const res = await fetch(`${url}/api/v1/api-keys`, { method: "POST", headers, body });
      if (res.status !== 201 && res.status !== 200) throw new Error(`create answered ${res.status}: ${await res.text()}`);
      const { secret } = (await res.json()) as { secret: string };
      if (secrets.length < 1000) secrets.push(secret);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  for (const key of secrets) {
    const res = await fetch(`${url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) });
    if (res.status !== 200) throw new Error(`verify answered ${res.status}`);
    await res.arrayBuffer();
  }
}

/** A bare node:http server started the same way: the floor every figure is read against. */
async function bareNode(port: number) {
  const src = `require("node:http").createServer((q,s)=>s.end("ok")).listen(${port})`;
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const running = await startUntilHealthy(process.execPath, ["-e", src], {}, port, "/");
    times.push(running.msToHealthy);
    if (i === 2) rss = await settledRss(running);
    await stop(running);
  }
  return { msToHealthy: round(median(times), 0), idleRssMb: rss };
}

/** `npm start`'s command (node on the compiled build) on one database: first start, restarts, idle, after load. */
async function keyward(env: Record<string, string>, port: number, withFirstStart: boolean) {
  const start = packageScript("start");
  const args = [...start.args];
  let firstStart: { msToHealthy: number; idleRssMb: number } | undefined;
  if (withFirstStart) {
    const first = await startUntilHealthy(start.command, args, env, port);
    firstStart = { msToHealthy: round(first.msToHealthy, 0), idleRssMb: await settledRss(first) };
    await stop(first);
  } else {
    await stop(await startUntilHealthy(start.command, args, env, port)); // migrates the new database
  }
  const adminKey = await bootstrapAdminKey(env);
  const restarts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const again = await startUntilHealthy(start.command, args, env, port);
    restarts.push(again.msToHealthy);
    await stop(again);
  }
  const running = await startUntilHealthy(start.command, args, env, port);
  restarts.push(running.msToHealthy);
  const idle = await settledRss(running);
  // One create and one verify: what the first requests load and compile, apart from what 10,000 keys add.
  await load(running.url, adminKey, 1, 10_000);
  const warmed = await settledRss(running);
  const loadStarted = performance.now();
  await load(running.url, adminKey);
  const loadSeconds = round((performance.now() - loadStarted) / 1000, 1);
  const afterLoad = await settledRss(running);
  await stop(running);
  return {
    command: `${start.script} (npm start)`,
    firstStart,
    restartMs: round(median(restarts), 0),
    restartsMs: restarts.map((t) => round(t, 0)),
    idleRssMb: idle,
    afterFirstRequestsRssMb: warmed,
    after10kKeys1kVerifiesRssMb: afterLoad,
    growthMb: round(afterLoad - idle, 1),
    growthAfterFirstRequestsMb: round(afterLoad - warmed, 1),
    loadSeconds,
  };
}

/**
 * Footprint of `npm start` (node on dist/, no transpiler): time from spawn to a 200 from /healthz,
 * on an empty DATA_DIR and on existing data, and resident memory idle and after 10,000 keys were
 * created and 1,000 verified through its REST API; beside a bare node:http process started the
 * same way in the same run. On PostgreSQL too when `databaseUrl` is given.
 */
export async function benchStartup(options: { databaseUrl?: string } = {}) {
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const bare = await bareNode(port);
  const dataDir = await mkdtemp(join(tmpdir(), "keyward-start-"));
  try {
    // The embedded database makes its own secrets in DATA_DIR; PostgreSQL needs them given.
    const base = { LOG_LEVEL: "warn" };
    const serverSecrets = { KEYWARD_PEPPER: "b".repeat(64), KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 7).toString("base64")}` };
    const pglite = await keyward({ ...base, DATA_DIR: dataDir }, port + 1, true);
    const postgres = options.databaseUrl ? await keyward({ ...base, ...serverSecrets, DATABASE_URL: options.databaseUrl }, port + 2, false) : undefined;
    const ratio = (ms: number) => round(ms / bare.msToHealthy, 1);
    return {
      bareNode: bare,
      pglite: { ...pglite, restartOfBareNode: ratio(pglite.restartMs) },
      ...(postgres ? { postgres: { ...postgres, restartOfBareNode: ratio(postgres.restartMs) } } : {}),
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
