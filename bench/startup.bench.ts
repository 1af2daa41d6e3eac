import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { round } from "./stats.ts";

const root = new URL("..", import.meta.url).pathname;

/** Spawns a command and returns ms until GET <url> answers 200 (then stops it). */
async function timeToHealthy(command: string, args: string[], env: Record<string, string>, url: string): Promise<number> {
  const start = performance.now();
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: "ignore" });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      try {
        if ((await fetch(url)).status === 200) return performance.now() - start;
      } catch {
        // not listening yet
      }
      if (performance.now() - start > 60_000) throw new Error("never became healthy");
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

/**
 * Cold start of `npm start`'s command to a 200 from /healthz on the embedded database (first
 * start with initdb, and a restart on existing data), beside a bare node:http server started
 * the same way; and resident memory idle and after 10k keys.
 */
export async function benchStartup() {
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const bareSrc = `require("node:http").createServer((q,s)=>s.end("ok")).listen(${port})`;
  const bare = await timeToHealthy(process.execPath, ["-e", bareSrc], {}, `http://127.0.0.1:${port}/`);
  const dataDir = await mkdtemp(join(tmpdir(), "keyward-start-"));
  const env = { DATA_DIR: dataDir, PORT: String(port + 1), LOG_LEVEL: "warn" };
  const start = ["--import", "tsx", "src/main.ts"];
  const first = await timeToHealthy(process.execPath, start, env, `http://127.0.0.1:${port + 1}/healthz`);
  const again = await timeToHealthy(process.execPath, start, env, `http://127.0.0.1:${port + 1}/healthz`);
  await rm(dataDir, { recursive: true, force: true });

  // Memory in a fresh process of its own, so earlier benchmarks in this one do not count.
  const probe = spawnSync(process.execPath, ["--import", "tsx", "bench/memory-probe.ts"], { cwd: root, encoding: "utf8", timeout: 600_000 });
  const memoryMb = JSON.parse(probe.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, number>;
  return {
    coldStart: {
      command: "node --import tsx src/main.ts (npm start)",
      firstStartMs: round(first, 0),
      restartMs: round(again, 0),
      bareNodeHttpMs: round(bare, 0),
    },
    memoryMb,
  };
}
