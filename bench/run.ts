import { mkdir, writeFile } from "node:fs/promises";
import { benchKeyCore } from "./key-core.bench.ts";
import { benchSlackAck } from "./slack-ack.bench.ts";

/**
 * `npm run bench`: every benchmark, each beside a baseline measured in the same run.
 * Results go to bench/results/latest.json and to stdout. `npm run bench -- key-core` runs one.
 * PostgreSQL figures need BENCH_DATABASE_URL (a database the run may fill).
 */
const only = process.argv[2];
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version };

if (!only || only === "key-core") {
  results.keyCore = await benchKeyCore();
  console.log("key core", JSON.stringify(results.keyCore, null, 2));
}
if (!only || only === "slack-ack") {
  const runs = [];
  for (const concurrency of [1, 10]) runs.push(await benchSlackAck({ concurrency }));
  results.slackAck = runs;
  console.log("slack ack", JSON.stringify(runs, null, 2));
}

await mkdir(new URL("./results/", import.meta.url), { recursive: true });
await writeFile(new URL("./results/latest.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log("written to bench/results/latest.json");
process.exit(0);
