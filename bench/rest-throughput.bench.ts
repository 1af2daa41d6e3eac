import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../src/config/config.ts";
import { createLogger } from "../src/logger.ts";
import { generateKey } from "../src/domain/key-format.ts";
import { cryptoRandom } from "../src/domain/runtime.ts";
import { startKeyward, type Keyward } from "../src/server/keyward.ts";
import type { Actor } from "../src/domain/types.ts";
import type { UsageCounter } from "../src/domain/usage-counter.ts";
import { round } from "./stats.ts";

const run = promisify(execFile);

interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /**
   * CPU time this process (the server: wrk is another process) spent per request, user + system, in
   * microseconds. Steadier than req/s on a shared 2-core machine, where wrk and the server compete.
   */
  cpuUsPerRequest: number;
}

/** Runs wrk (Debian's package: compiled, so the client is not the bottleneck) and reads its summary. */
async function wrk(url: string, options: { seconds: number; connections: number; script?: string; headers?: Record<string, string> }): Promise<WrkResult> {
  const args = ["-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--latency"];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}: ${v}`);
  if (options.script) args.push("-s", options.script);
  const cpuBefore = process.cpuUsage();
  const { stdout } = await run("wrk", [...args, url], { maxBuffer: 1 << 20 });
  const cpu = process.cpuUsage(cpuBefore);
  const ms = (label: string) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === "us" ? v / 1000 : m[2] === "s" ? v * 1000 : v;
  };
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  return {
    requests,
    requestsPerSecond: round(Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN), 0),
    p50Ms: round(ms("50%")),
    p99Ms: round(ms("99%")),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
    cpuUsPerRequest: round((cpu.user + cpu.system) / requests, 1),
  };
}

/** The key's uses as its usage counts say, after a flush. */
async function usageOf(app: Keyward, actor: Actor, keyId: string): Promise<number> {
  await app.services.usageCounter.flush();
  return (await app.services.usage.daily(actor, keyId)).reduce((sum, d) => sum + d.count, 0);
}

/** A wrk script that POSTs /verify with each of `keys` in turn. */
function verifyScript(keys: string[]): string {
  return [
    `local keys = {${keys.map((k) => `"${k}"`).join(",")}}`,
    "local i = 0",
    "request = function()",
    "  i = i % #keys + 1",
    `  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, '{"key":"' .. keys[i] .. '"}')`,
    "end",
    "",
  ].join("\n");
}

/**
 * REST throughput and p99 of `POST /verify` (a valid key, its uses counted as in production and the
 * count reported beside wrk's, which may trail it by the requests in flight when wrk stopped; forged
 * well-formed keys, 1,000 in turn, which the negative cache answers; forged keys never repeated,
 * each a database read) and an authenticated `GET /api-keys`, each beside a bare node:http server
 * answering a constant, on this machine in the same run.
 */
export async function benchRestThroughput(options: { seconds?: number; connections?: number; databaseUrl?: string } = {}) {
  const seconds = options.seconds ?? 8;
  const connections = options.connections ?? 16;
  const work = await mkdtemp(join(tmpdir(), "keyward-bench-"));
  try {
    const bare = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => bare.listen(0, "127.0.0.1", () => r()));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
    await wrk(bareUrl, { seconds: 2, connections }); // warm-up
    const bareBefore = await wrk(bareUrl, { seconds, connections });

    const config = loadConfig({
      PORT: "0",
      DATA_DIR: work,
      LOG_LEVEL: "warn",
      ...(options.databaseUrl
        ? { DATABASE_URL: options.databaseUrl, KEYWARD_PEPPER: "b".repeat(64), KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 3).toString("base64")}` }
        : {}),
    });
    const app = await startKeyward({ config, logger: createLogger("warn") });
    try {
      const admin = await app.services.access.actorForUser("TBENCH", "UBENCH", { isWorkspaceAdmin: true }, "slack");
      const { key: benchKey, secret } = await app.services.keys.create(admin, { name: "bench", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" });
      for (let i = 0; i < 200; i++) await app.services.keys.create(admin, { name: `listed-${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
      const script = join(work, "verify.lua");
      await writeFile(script, `wrk.method = "POST"\nwrk.body = '${JSON.stringify({ key: secret })}'\nwrk.headers["Content-Type"] = "application/json"\n`);
      const base = `${app.url}/api/v1`;
      await wrk(`${base}/verify`, { seconds: 2, connections, script });
      const countedBefore = await usageOf(app, admin, benchKey.id);
      const verify = await wrk(`${base}/verify`, { seconds, connections, script });
      // Usage counting is on (as in production: counted per verify, flushed every 10 s): every verify of the run was counted.
      const counted = (await usageOf(app, admin, benchKey.id)) - countedBefore;
      const usageCounting = await countingOnAndOff(app, () => wrk(`${base}/verify`, { seconds: Math.max(2, seconds / 2), connections, script }));
      // Anyone can make well-formed keys (the checksum is public): a flood of them must not cost a database read each.
      const forged = join(work, "verify-forged.lua");
      const forgedKeys = Array.from({ length: 1000 }, () => generateKey(cryptoRandom));
      await writeFile(forged, verifyScript(forgedKeys));
      for (const k of forgedKeys) await app.services.keys.verify(k); // each costs one read, once
      await wrk(`${base}/verify`, { seconds: 2, connections, script: forged });
      const verifyForged = await wrk(`${base}/verify`, { seconds, connections, script: forged });
      // Never repeated: no cache can answer these, so this is the cost of a miss (HMAC and an indexed read).
      const distinct = join(work, "verify-distinct.lua");
      await writeFile(distinct, verifyScript(Array.from({ length: 200_000 }, () => generateKey(cryptoRandom))));
      const verifyDistinct = await wrk(`${base}/verify`, { seconds, connections, script: distinct });
      const auth = { authorization: `Bearer ${secret}` };
      await wrk(`${base}/api-keys?limit=50`, { seconds: 2, connections, headers: auth });
      const list = await wrk(`${base}/api-keys?limit=50`, { seconds, connections, headers: auth });
      // The bare server again, last: this machine's figure drifts over a run, so ratios use the mean of both.
      const bareAfter = await wrk(bareUrl, { seconds, connections });
      const baseline = {
        ...bareAfter,
        requestsPerSecond: round((bareBefore.requestsPerSecond + bareAfter.requestsPerSecond) / 2, 0),
        cpuUsPerRequest: round((bareBefore.cpuUsPerRequest + bareAfter.cpuUsPerRequest) / 2, 1),
        before: bareBefore,
        after: bareAfter,
      };
      return {
        loadGenerator: `wrk -t1 -c${connections} -d${seconds}s`,
        database: app.db.kind,
        bareNodeHttp: baseline,
        verify: {
          ...verify,
          ofBaseline: round(verify.requestsPerSecond / baseline.requestsPerSecond, 3),
          cpuOfBaseline: round(verify.cpuUsPerRequest / baseline.cpuUsPerRequest, 2),
          usageCounted: counted,
        },
        usageCounting,
        verifyUnknownForged1000: {
          ...verifyForged,
          ofBaseline: round(verifyForged.requestsPerSecond / baseline.requestsPerSecond, 3),
          ofValidKey: round(verifyForged.requestsPerSecond / verify.requestsPerSecond, 3),
        },
        verifyUnknownNeverRepeated: {
          ...verifyDistinct,
          ofBaseline: round(verifyDistinct.requestsPerSecond / baseline.requestsPerSecond, 3),
          ofValidKey: round(verifyDistinct.requestsPerSecond / verify.requestsPerSecond, 3),
        },
        listApiKeys50: { ...list, ofBaseline: round(list.requestsPerSecond / baseline.requestsPerSecond, 3) },
      };
    } finally {
      await app.close();
      await new Promise<void>((r) => bare.close(() => r()));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * What counting uses costs, in the same run: `POST /verify` of a valid key with the counter's
 * count() replaced by a no-op on this instance (off) and as in production (on), four runs each in
 * an order balanced against drift; medians of each. CPU per request is this process's: with PGlite it
 * includes the database's work, with PostgreSQL not.
 */
async function countingOnAndOff(app: Keyward, measure: () => Promise<WrkResult>) {
  const counter = app.services.usageCounter as { count: UsageCounter["count"] };
  const runs: Record<"on" | "off", WrkResult[]> = { on: [], off: [] };
  const run = async (mode: "on" | "off") => {
    if (mode === "off") counter.count = () => {};
    else delete (counter as { count?: unknown }).count; // the class's own count() again
    runs[mode].push(await measure());
  };
  // off, on, on, off, on, off, off, on: each holds the same positions on average, so a drift over the run falls on both.
  for (const mode of ["off", "on", "on", "off", "on", "off", "off", "on"] as const) await run(mode);
  delete (counter as { count?: unknown }).count;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const off = { requestsPerSecond: median(runs.off.map((r) => r.requestsPerSecond)), cpuUsPerRequest: median(runs.off.map((r) => r.cpuUsPerRequest)) };
  const on = { requestsPerSecond: median(runs.on.map((r) => r.requestsPerSecond)), cpuUsPerRequest: median(runs.on.map((r) => r.cpuUsPerRequest)) };
  return {
    off,
    on,
    onOverOff: round(on.requestsPerSecond / off.requestsPerSecond, 3),
    cpuOnOverOff: round(on.cpuUsPerRequest / off.cpuUsPerRequest, 3),
    runs: { off: runs.off.map((r) => r.requestsPerSecond), on: runs.on.map((r) => r.requestsPerSecond) },
  };
}
