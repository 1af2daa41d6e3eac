import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { botToken, signingSecret } from "../support/app-harness.ts";
import { startFakeSlack, type FakeSlack } from "../support/fake-slack.ts";
import { packageScript } from "../support/package-script.ts";
import { createSlackDriver } from "../support/slack-driver.ts";

const root = new URL("../..", import.meta.url).pathname;
// `node dist/main.js` (what `npm start` runs) is one process: a signal reaches the app itself.
const start = packageScript("start");
const appCommand = [start.command, start.args] as const;

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `npm start`'s command as its own process, on the embedded database in `dataDir`. */
async function startProcess(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  let output = "";
  // Port 0: the system picks a free one (a random fixed one could be an ephemeral port another process holds: EADDRINUSE).
  const child = spawn(appCommand[0], [...appCommand[1]], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += String(d)));
  child.stderr!.on("data", (d) => (output += String(d)));
  const deadline = Date.now() + 30_000;
  let url = "";
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited early: ${output}`);
    // Whole lines only (the last may still be arriving).
    const listening = output
      .split("\n")
      .slice(0, -1)
      .find((l) => l.includes('"msg":"keyward is listening"'));
    if (listening) {
      url = `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}`;
      try {
        if ((await fetch(`${url}/healthz`)).status === 200) break;
      } catch {
        // not yet
      }
    }
    if (Date.now() > deadline) throw new Error(`never healthy: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url, output: () => output };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));

describe("the process under signals", () => {
  let dataDir: string;
  let fake: FakeSlack;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "keyward-signals-"));
    fake = await startFakeSlack({ token: botToken });
  });
  afterAll(async () => {
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("stops cleanly on SIGTERM", async () => {
    const app = await startProcess(dataDir);
    app.child.kill("SIGTERM");
    expect(await exited(app.child)).toBe(0);
    expect(app.output()).toContain("shutting down");
    expect(app.output()).toContain("Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN");
  }, 60_000);

  it("refuses a bad configuration with one line and exit code 2", async () => {
    const child = spawn(appCommand[0], [...appCommand[1]], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, PORT: "not-a-port" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr!.on("data", (d) => (err += String(d)));
    expect(await exited(child)).toBe(2);
    expect(err.trim()).toBe("Configuration error: PORT must be a whole number from 0 to 65535.");
  }, 60_000);

  it("leaves no working key when killed (SIGKILL) while a new key's secret is being delivered", async () => {
    fake.addUser({ id: "UKILL0001", isAdmin: true, tz: "UTC" });
    fake.addChannel({ id: "C0KILL001", members: ["UKILL0001"], botIsMember: true });
    const env = { SLACK_SIGNING_SECRET: signingSecret, SLACK_BOT_TOKEN: botToken, SLACK_API_URL: fake.url };
    const app = await startProcess(dataDir, env);
    const driver = await createSlackDriver({ appUrl: `${app.url}/slack/events`, signingSecret, fakeSlack: fake });
    try {
      await driver.command({ userId: "UKILL0001", text: "create", channelId: "C0KILL001" });
      const [opened] = await fake.waitForCalls("views.open", 1, 10_000);
      await fake.waitForCalls("views.update", 1, 10_000);
      const view = fake.getView((opened!.response.view as { id: string }).id)!;
      const role = (
        (view.blocks as Array<Record<string, unknown>>).find((b) => b.block_id === "role")!.element as {
          options: Array<{ value: string; text: { text: string } }>;
        }
      ).options.find((o) => o.text.text === "Admin")!;
      // Slack takes its time answering the delivery: the process dies meanwhile.
      fake.failNext("chat.postEphemeral", { delayMs: 5_000 });
      const submitted = await driver.viewSubmission({
        userId: "UKILL0001",
        view,
        answers: { name: { value: "killed-mid-delivery" }, role: { value: role.value } },
      });
      expect(submitted.status).toBe(200);
      const delivery = fake.waitForCalls("chat.postEphemeral", 1, 10_000);
      await new Promise((r) => setTimeout(r, 500));
      app.child.kill("SIGKILL");
      await exited(app.child);
      const secret = /kw_[0-9A-Za-z]{40}/.exec(JSON.stringify((await delivery)[0]!.args))![0];
      // Back up on the same data: the key whose delivery never finished does not work.
      const again = await startProcess(dataDir, env);
      try {
        const verdict = await (
          await fetch(`${again.url}/api/v1/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key: secret }) })
        ).json();
        expect(verdict).toMatchObject({ valid: false, reason: "unknown" });
      } finally {
        again.child.kill("SIGTERM");
        await exited(again.child);
      }
    } finally {
      await driver.close();
      if (app.child.exitCode === null) app.child.kill("SIGKILL");
    }
  }, 120_000);
});
