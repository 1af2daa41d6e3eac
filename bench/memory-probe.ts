import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config/config.ts";
import { createLogger } from "../src/logger.ts";
import { startKeyward } from "../src/server/keyward.ts";

/**
 * Run as its own process by startup.bench.ts: resident memory of a fresh keyward process, idle
 * after start and after 10k keys were created and listed. Prints one JSON line.
 */
const dir = await mkdtemp(join(tmpdir(), "keyward-mem-"));
const mb = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
const beforeApp = mb();
const app = await startKeyward({ config: loadConfig({ DATA_DIR: dir, PORT: "0", LOG_LEVEL: "warn" }), logger: createLogger("warn") });
await new Promise((r) => setTimeout(r, 500));
const idle = mb();
const admin = await app.services.access.actorForUser("TMEM", "UMEM", { isWorkspaceAdmin: true }, "slack");
for (let i = 0; i < 10_000; i++) await app.services.keys.create(admin, { name: `k${i}`, role: "Viewer", expiresOn: "2030-01-01", timeZone: "UTC" });
let cursor: string | undefined;
do cursor = (await app.services.keys.list(admin, { cursor, limit: 200 })).nextCursor ?? undefined;
while (cursor);
const after10k = mb();
await app.close();
await rm(dir, { recursive: true, force: true });
console.log(JSON.stringify({ processBeforeApp: beforeApp, idle, after10kKeys: after10k }));
process.exit(0);
