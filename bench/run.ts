import { mkdir, readFile, writeFile } from "node:fs/promises";
import { benchKeyCore } from "./key-core.bench.ts";
import { benchReminderPass } from "./reminder-pass.bench.ts";
import { benchRestThroughput } from "./rest-throughput.bench.ts";
import { benchStartup } from "./startup.bench.ts";
import { createTestDatabase } from "../test/support/test-database.ts";
import { benchSlackAck } from "./slack-ack.bench.ts";

/**
 * `npm run bench`: every benchmark, each beside a baseline measured in the same run.
 * Results go to bench/results/latest.json and to stdout. `npm run bench -- key-core` runs one.
 * PostgreSQL figures too when TEST_DATABASE_URL is set (each run creates and drops its own database).
 */
const only = process.argv[2];
const resultsFile = new URL("./results/latest.json", import.meta.url);
// A partial run (`npm run bench -- rest`) updates its own section and keeps the others.
const previous = await readFile(resultsFile, "utf8").then(
  (t) => JSON.parse(t) as Record<string, unknown>,
  () => ({}),
);
const results: Record<string, unknown> = { ...previous, startedAt: new Date().toISOString(), node: process.version };

if (!only || only === "key-core") {
  results.keyCore = await benchKeyCore();
  console.log("key core", JSON.stringify(results.keyCore, null, 2));
}
if (!only || only === "slack-ack") {
  const runs = [];
  for (const concurrency of [1, 10]) runs.push(await benchSlackAck({ concurrency }));
  if (process.env.TEST_DATABASE_URL) {
    for (const concurrency of [1, 10]) {
      const db = await createTestDatabase("postgres");
      try {
        runs.push(await benchSlackAck({ concurrency, databaseUrl: db.url }));
      } finally {
        await db.close();
      }
    }
  }
  results.slackAck = runs;
  console.log("slack ack", JSON.stringify(runs, null, 2));
}
if (!only || only === "rest") {
  const runs = [await benchRestThroughput()];
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase("postgres");
    try {
      runs.push(await benchRestThroughput({ databaseUrl: db.url }));
    } finally {
      await db.close();
    }
  }
  results.rest = runs;
  console.log("rest", JSON.stringify(runs, null, 2));
}
if (!only || only === "reminders") {
  const runs = [];
  for (const rows of [1_000, 10_000, 100_000]) runs.push(await benchReminderPass(rows, 100));
  if (process.env.TEST_DATABASE_URL) runs.push(await benchReminderPass(100_000, 100, "postgres"));
  results.reminders = runs;
  console.log("reminders", JSON.stringify(runs, null, 2));
}
if (!only || only === "startup") {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase("postgres");
    try {
      results.startup = await benchStartup({ databaseUrl: db.url });
    } finally {
      await db.close();
    }
  } else results.startup = await benchStartup();
  console.log("startup", JSON.stringify(results.startup, null, 2));
}

await mkdir(new URL("./results/", import.meta.url), { recursive: true });
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
console.log("written to bench/results/latest.json");
process.exit(0);
