import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseKeyRing } from "../../src/config/config.ts";
import { lockFileName, lockLeaseMs } from "../../src/db/data-dir-lock.ts";
import { openDatabase } from "../../src/db/database.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import type { DomainContext } from "../../src/domain/context.ts";
import { createDomainServices } from "../../src/domain/index.ts";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import { cryptoRandom } from "../../src/domain/runtime.ts";
import { createSecretCipher, keyFingerprint, type KeyRing } from "../../src/domain/secret-cipher.ts";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.ts";
import { packageScript } from "../support/package-script.ts";

const root = new URL("../..", import.meta.url).pathname;
const token = "xoxb-data-dir-lock";
const pepper = "e".repeat(64);
const key = (n: number) => Buffer.alloc(32, n).toString("base64");
const ringV1 = `1:${key(1)}`;
const ringV2 = `1:${key(1)},2:${key(2)}`;

interface Proc {
  child: ChildProcess;
  output: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** An npm script (`start`, `rekey`, `reminders`) as package.json runs it, without npm. */
function run(npmScript: string, dataDir: string, env: Record<string, string>): Proc {
  let output = "";
  let stderr = "";
  const { command, args } = packageScript(npmScript);
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "info", KEYWARD_PEPPER: pepper, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => {
    output += String(d);
    stderr += String(d);
  });
  return { child, output: () => output, stderr: () => stderr, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

/** `npm start` as its own process, healthy. */
async function startServer(dataDir: string, env: Record<string, string>): Promise<Proc> {
  // Port 0: the system picks a free one (a random fixed one could be an ephemeral port another process holds: EADDRINUSE).
  const app = run("start", dataDir, { PORT: "0", ...env });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (app.child.exitCode !== null) throw new Error(`exited early: ${app.output()}`);
    // Healthy and serving the control channel: both come before "keyward is listening".
    if (app.output().includes("keyward is listening")) break;
    if (Date.now() > deadline) throw new Error(`never listening: ${app.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return app;
}

async function stop(app: Proc): Promise<void> {
  if (app.child.exitCode === null) app.child.kill("SIGTERM");
  await app.exited;
}

/** The last pino line with this msg, parsed. */
function logLine(output: string, msg: string): Record<string, unknown> {
  const line = output.split("\n").findLast((l) => l.includes(`"msg":"${msg}"`));
  if (!line) throw new Error(`no "${msg}" in: ${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** Data put into DATA_DIR before any server runs: one GitHub secret, sealed with the ring's newest key. */
async function seedIntegration(
  dataDir: string,
  ring: KeyRing,
  input: { alias: string; expiresOn: string; reminderChannel?: string; addedDaysAgo?: number },
): Promise<string> {
  const db = await openDatabase({ dataDir });
  try {
    const shift = (input.addedDaysAgo ?? 0) * 86_400_000;
    const ctx: DomainContext = {
      store: createPrismaStore(db.prisma),
      clock: { now: () => new Date(Date.now() - shift) },
      random: cryptoRandom,
      hasher: createKeyHasher(Buffer.from(pepper, "hex")),
      adminUserIds: new Set(),
      cipher: createSecretCipher(ring),
      reminderDays: [30, 14, 7, 3, 1, 0],
    };
    const services = createDomainServices(ctx);
    const ws = "T0LOCKTEST";
    await services.access.ensureWorkspace(ws);
    const admin = await ctx.store.roles.findBuiltIn(ws, "admin");
    await ctx.store.roles.assign(ws, "U0LOCKADM", admin!.id, "setup", ctx.clock.now());
    const actor = await services.access.actorForUser(ws, "U0LOCKADM", { isWorkspaceAdmin: false }, "slack");
    const config = await services.integrations.add(actor, "github", {
      alias: input.alias,
      secret: `ghp_${"l".repeat(36)}`,
      expiresOn: input.expiresOn,
      timeZone: "UTC",
      reminderChannel: input.reminderChannel,
    });
    return config.id;
  } finally {
    await db.close();
  }
}

async function keyVersionOf(dataDir: string, id: string): Promise<number | undefined> {
  const db = await openDatabase({ dataDir });
  try {
    return (await db.prisma.integrationConfig.findFirst({ where: { id }, select: { keyVersion: true } }))?.keyVersion;
  } finally {
    await db.close();
  }
}

const ring = (text: string) => parseKeyRing(text) as KeyRing;
const dayFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe("one process owns an embedded database", () => {
  const dirs: string[] = [];
  let fake: FakeSlack;
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "keyward-lock-e2e-"));
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    fake = await startFakeSlack({ token });
  });
  afterAll(async () => {
    await fake?.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("refuses a second npm start at once with one line naming the holder's pid; a SIGKILLed holder's lock is taken over", async () => {
    const dir = await dataDir();
    const env = { KEYWARD_ENCRYPTION_KEYS: ringV1 };
    const first = await startServer(dir, env);
    try {
      const started = performance.now();
      const second = run("start", dir, { ...env, PORT: "0" });
      expect(await second.exited).toBe(1);
      const ms = Math.round(performance.now() - started);
      const lines = second.stderr().trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `keyward could not start: ${dir} is in use by keyward pid ${first.child.pid} (${packageScript("start").script}, since ${JSON.parse(await readFile(join(dir, lockFileName), "utf8")).since}): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database.`,
      );
      console.info(`second npm start refused after ${ms} ms (process start included)`);
      expect(first.child.exitCode).toBe(null);

      first.child.kill("SIGKILL");
      await first.exited;
      expect(JSON.parse(await readFile(join(dir, lockFileName), "utf8")).pid).toBe(first.child.pid);
      const third = await startServer(dir, env);
      try {
        expect(JSON.parse(await readFile(join(dir, lockFileName), "utf8")).pid).toBe(third.child.pid);
      } finally {
        await stop(third);
      }
      expect(await third.exited).toBe(0);
      expect(existsSync(join(dir, lockFileName))).toBe(false);
    } finally {
      if (first.child.exitCode === null) first.child.kill("SIGKILL");
    }
  }, 180_000);

  it("takes over a lock a SIGKILLed container left under another hostname once its heartbeat is older than the lease, and refuses it before", async () => {
    const dir = await dataDir();
    const env = { KEYWARD_ENCRYPTION_KEYS: ringV1 };
    const first = await startServer(dir, env);
    first.child.kill("SIGKILL");
    await first.exited;
    // The same lock as seen by the next container: same volume, new hostname.
    const lockPath = join(dir, lockFileName);
    const left = { ...JSON.parse(await readFile(lockPath, "utf8")), hostname: "keyward-5d8f-old-pod" };
    await writeFile(lockPath, JSON.stringify(left));
    const early = run("start", dir, { ...env, PORT: "0" });
    expect(await early.exited).toBe(1);
    expect(early.stderr().trim()).toMatch(
      new RegExp(
        `^keyward could not start: .+ is in use by keyward pid ${first.child.pid} on host keyward-5d8f-old-pod \\(dist/main\\.js, since .+\\): stop it first, or point DATA_DIR elsewhere; only one process may open an embedded database\\. Unless that keyward refreshes its lock, it counts as stale in \\d+ s\\.$`,
      ),
    );
    expect(JSON.parse(await readFile(lockPath, "utf8"))).toEqual(left);
    const lastBeat = new Date(Date.now() - lockLeaseMs - 1_000);
    await utimes(lockPath, lastBeat, lastBeat);
    const next = await startServer(dir, env);
    try {
      expect(JSON.parse(await readFile(lockPath, "utf8")).pid).toBe(next.child.pid);
    } finally {
      await stop(next);
    }
    expect(existsSync(lockPath)).toBe(false);
  }, 180_000);

  it("npm run rekey while npm start runs: the server re-encrypts, and refuses a ring that is not its own", async () => {
    const dir = await dataDir();
    const id = await seedIntegration(dir, ring(ringV1), { alias: "lock-rekey", expiresOn: dayFromNow(200) });
    const server = await startServer(dir, { KEYWARD_ENCRYPTION_KEYS: ringV2 });
    try {
      // Rings this server does not seal with (a newer version; the same version with another key): one line each saying what to do; nothing re-encrypted.
      const fingerprintOf = (text: string) => keyFingerprint(ring(text));
      const otherV2 = `1:${key(1)},2:${key(9)}`;
      for (const [wrongRing, version] of [
        [`${ringV2},3:${key(3)}`, 3],
        [otherV2, 2],
      ] as const) {
        const wrong = run("rekey", dir, { KEYWARD_ENCRYPTION_KEYS: wrongRing });
        expect(await wrong.exited).toBe(1);
        expect(wrong.stderr().trim()).toBe(
          `re-encryption failed: The running keyward (pid ${server.child.pid}) and this command have different key rings: keyward seals with key version 2 (fingerprint ${fingerprintOf(ringV2)}), this command's KEYWARD_ENCRYPTION_KEYS ends at version ${version} (fingerprint ${fingerprintOf(wrongRing)}). Restart keyward with the same key ring, then run npm run rekey again.`,
        );
        // The fingerprint names the key without being it.
        expect(wrong.stderr()).not.toContain(key(9));
      }
      const rekey = run("rekey", dir, { KEYWARD_ENCRYPTION_KEYS: ringV2 });
      expect(await rekey.exited, rekey.output()).toBe(0);
      expect(logLine(rekey.output(), "re-encryption done")).toMatchObject({ reencrypted: 1, skipped: 0, keyVersion: 2, ranBy: server.child.pid });
      expect(server.output()).toContain('"command":"rekey"');
    } finally {
      await stop(server);
    }
    expect(await keyVersionOf(dir, id)).toBe(2);
  }, 180_000);

  it("npm run reminders while npm start runs: the server runs the pass; without a bot token it says what to do", async () => {
    const dir = await dataDir();
    fake.addChannel({ id: "C0LOCKREM", members: [], botIsMember: true });
    // Added ten days ago, expiring in four: the 7-day threshold is due.
    await seedIntegration(dir, ring(ringV1), { alias: "lock-reminder", expiresOn: dayFromNow(4), reminderChannel: "C0LOCKREM", addedDaysAgo: 10 });
    const env = { KEYWARD_ENCRYPTION_KEYS: ringV1, SLACK_BOT_TOKEN: token, SLACK_API_URL: fake.url };

    const silent = await startServer(dir, { KEYWARD_ENCRYPTION_KEYS: ringV1 });
    try {
      const refused = run("reminders", dir, env);
      expect(await refused.exited).toBe(1);
      expect(refused.stderr().trim()).toBe(
        `reminder pass failed: The running keyward (pid ${silent.child.pid}) has no SLACK_BOT_TOKEN, so it posts no reminders: set it and restart it.`,
      );
    } finally {
      await stop(silent);
    }
    expect(fake.callsTo("chat.postMessage")).toHaveLength(0);

    const server = await startServer(dir, env);
    try {
      const pass = run("reminders", dir, env);
      expect(await pass.exited, pass.output()).toBe(0);
      // The weekly digests' pass ran too (none is set here, so it claimed nothing).
      expect(logLine(pass.output(), "reminder pass done")).toMatchObject({
        ranBy: server.child.pid,
        report: { retryLater: 0, undeliverable: 0, digests: { claimed: 0, failed: 0 } },
      });
      // The server's own timer may have run the pass first; either way it was posted once, by the server.
      await fake.waitForCalls("chat.postMessage", 1, 10_000);
      expect(fake.callsTo("chat.postMessage").filter((c) => JSON.stringify(c.args).includes("lock-reminder"))).toHaveLength(1);
    } finally {
      await stop(server);
    }
  }, 180_000);
});
