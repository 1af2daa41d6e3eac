// `npm run keys` (issue 11 item 6) as an operator runs it: a child process, on the embedded database
// with no server (it opens DATA_DIR itself), beside a running keyward (through its control channel),
// and on PostgreSQL. The secret is printed once, on stdout, and found nowhere else: not in stderr, the
// logs, the database (rows and files), the audit. Bad input: one line, exit 2, nothing written; so is
// a pepper other than the one the database was set up with.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { operatorActorId } from "../../src/domain/directory-service.ts";
import { channelId, startTestApp, type TestApp } from "../support/app-harness.ts";
import { packageScript } from "../support/package-script.ts";
import { createTestDatabase, databaseKinds, dumpTables } from "../support/test-database.ts";
import { useTempDirs } from "../support/temp-dirs.ts";

const root = new URL("../..", import.meta.url).pathname;
// package.json's own command: node on the compiled build (test/support/global-build.ts keeps it current).
const command = packageScript("keys");
const operator = operatorActorId(os.userInfo().username);
const operatorShown = operator === "cli" ? "an operator" : `operator ${operator.slice(4)}`;
const day = (daysAhead: number) => new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
const secretShape = /^kw_[0-9A-Za-z]{40}$/;
const pepperA = "a1".repeat(32);
const pepperB = "b2".repeat(32);
const mismatch = "KEYWARD_PEPPER differs from the one this database was set up with: use the same pepper as the running instances.";
/** Every form a pepper could be printed in (hex as given, its bytes in base64, a prefix). */
const pepperForms = (hex: string) => [hex, Buffer.from(hex, "hex").toString("base64"), hex.slice(0, 16)];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run keys -- …` with only the environment given (the developer's DATABASE_URL or pepper must not leak in). */
function keys(args: string[], env: Record<string, string>, options: { closeStdout?: boolean } = {}): Promise<Run> {
  const child = spawn(command.command, [...command.args, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: os.homedir(), LOG_LEVEL: "trace", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  // A terminal closed under the command, before it prints anything.
  if (options.closeStdout) child.stdout.destroy();
  else child.stdout.on("data", (d) => (stdout += String(d)));
  child.stderr.on("data", (d) => (stderr += String(d)));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

/** The one line a refusal prints, after whatever the logs said. */
const lastLine = (text: string) => text.trim().split("\n").at(-1)!;

async function rest(app: TestApp, secret: string, method = "GET", route = "/api-keys") {
  const res = await fetch(`${app.keyward.url}/api/v1${route}`, { method, headers: { authorization: `Bearer ${secret}` } });
  return { status: res.status, json: (await res.json()) as { data?: Array<Record<string, unknown>>; error?: { code: string } } };
}

/** Every file under `dir` that holds `needle`, bytes compared (the database's own files included). */
function filesHolding(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}

function expectSecretOnlyOnStdout(run: Run, ...elsewhere: string[]) {
  const secret = run.stdout.trim();
  expect(run.stdout).toBe(`${secret}\n`);
  expect(secret).toMatch(secretShape);
  // The body too: a log scrubbed of `kw_…` must not hold the rest of it either.
  for (const text of [run.stderr, ...elsewhere]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(3, 30));
  }
  return secret;
}

describe("npm run keys", () => {
  const tempDir = useTempDirs("kw-keys-");

  it("with no server on the embedded database: creates the first key in T0LOCAL, prints its secret once, and the app started afterwards accepts it", async () => {
    const dataDir = path.join(await tempDir(), "data");
    const created = await keys(["create", "--name", "first", "--role", "Admin", "--expires", day(200), "--tz", "Europe/Paris"], { DATA_DIR: dataDir });
    expect(created.code, created.stderr).toBe(0);
    const secret = expectSecretOnlyOnStdout(created);
    expect(lastLine(created.stderr)).toBe(
      `Created API key "first" …${secret.slice(-4)} (role Admin) in workspace T0LOCAL; it expires at the end of ${day(200)} in Europe/Paris. Its secret, on stdout, is shown this once: keyward keeps only a keyed hash and the last 4.`,
    );
    // The command made DATA_DIR, owner-only, and no file in it holds the secret.
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(filesHolding(dataDir, secret)).toEqual([]);
    expect(filesHolding(dataDir, secret.slice(3))).toEqual([]);

    const listed = await keys(["list"], { DATA_DIR: dataDir });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^Workspace T0LOCAL: 1 key\nID +NAME +LAST4 +ROLE +EXPIRES +STATUS\n[0-9a-f-]{36}  first  …${secret.slice(-4)}  Admin  ${day(200)} Europe/Paris  active\n$`,
      ),
    );
    expect(listed.stdout + listed.stderr).not.toContain(secret.slice(3, 30));

    const app = await startTestApp({ env: { DATA_DIR: dataDir } });
    try {
      const answer = await rest(app, secret);
      expect(answer.status).toBe(200);
      expect(answer.json.data).toMatchObject([{ name: "first", role: "Admin", kind: "service", last4: secret.slice(-4), createdBy: operator }]);
      const audit = await app.keyward.db.prisma.auditEvent.findMany();
      expect(audit).toMatchObject([{ action: "api_key.create", actorId: operator, source: "cli", workspaceId: "T0LOCAL", targetName: "first" }]);
      expect(JSON.stringify(audit)).not.toContain(secret.slice(3, 30));
      expect(await app.dump()).not.toContain(secret.slice(3, 30));
      expect(app.logs.join("")).not.toContain(secret.slice(3, 30));
    } finally {
      await app.close();
    }
  }, 120_000);

  it("beside a running keyward on the embedded database: works through its control channel, and the key works there at once", async () => {
    const dataDir = await tempDir();
    const app = await startTestApp({ env: { DATA_DIR: dataDir } });
    try {
      // Slack has been used: its team is the only workspace with data, so the command needs no --workspace.
      // A key of the same name expired there: the name is free again, but a delete by name must not guess.
      const admin = app.addUser({ id: "UKEYSADMIN", isOwner: true });
      const adminActor = await app.keyward.services.access.actorForUser(app.fake.teamId, admin, { isWorkspaceAdmin: true }, "slack");
      const expired = await app.keyward.services.keys.create(adminActor, { name: "first", role: "Viewer", expiresOn: day(1), timeZone: "UTC" });
      await app.keyward.db.prisma.apiKey.update({ where: { id: expired.key.id }, data: { expiresAt: new Date(Date.now() - 86_400_000) } });
      const created = await keys(["create", "--name", "first", "--role", "viewer", "--expires", day(30)], { DATA_DIR: dataDir });
      expect(created.code, created.stderr).toBe(0);
      const secret = expectSecretOnlyOnStdout(created, app.logs.join(""), await app.dump());
      expect(lastLine(created.stderr)).toContain(
        `in workspace ${app.fake.teamId}; it expires at the end of ${day(30)} in UTC (done by the running keyward, pid ${process.pid}).`,
      );
      const requests = app.logs.filter((l) => l.includes('"msg":"control request"')).map((l) => JSON.parse(l).command as string);
      expect(requests).toEqual(["keys.create", "keys.activate"]);
      // The running keyward made the key itself: its verify filter and cache know it already, no retry needed.
      expect((await rest(app, secret, "GET", "/roles")).status).toBe(200);
      const row = await app.keyward.db.prisma.auditEvent.findFirstOrThrow({ where: { action: "api_key.create", source: "cli" } });
      expect(row).toMatchObject({ actorId: operator, source: "cli", workspaceId: app.fake.teamId });

      // Slack shows who did it as a reader would say it, in the audit log and the key list.
      const seen = app.driver.responses.length;
      await app.driver.command({ userId: admin, text: "audit 5", channelId });
      await app.driver.command({ userId: admin, text: "list", channelId });
      const [audit, list] = (await app.driver.waitForResponses(seen + 2)).slice(-2).map((r) => JSON.stringify(r.body));
      expect(audit).toContain(`${operatorShown} created key *first*  _via cli_`);
      expect(list).toContain(`Created by ${operatorShown}`);

      const listed = await keys(["list"], { DATA_DIR: dataDir });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain(`Workspace ${app.fake.teamId} (done by the running keyward, pid ${process.pid}): 2 keys`);
      expect(listed.stdout).toMatch(new RegExp(`\n${expired.key.id}  first  …${expired.key.last4}  Viewer  ${day(-1)} UTC  expired\n`));
      const id = new RegExp(`\n([0-9a-f-]{36})  first  …${secret.slice(-4)}  Viewer  ${day(30)} UTC  active\n`).exec(listed.stdout)?.[1];
      expect(id).toBeDefined();

      const ambiguous = await keys(["delete", "first"], { DATA_DIR: dataDir });
      expect(ambiguous.code).toBe(2);
      const refusal = lastLine(ambiguous.stderr);
      expect(refusal).toMatch(/^Several keys are named "first": …\w{4} \(expire[sd] .+\)\. Give its id instead \(npm run keys -- list shows them\)\.$/);
      expect(refusal).toContain(`…${secret.slice(-4)} (expires `);
      expect(refusal).toContain(`…${expired.key.last4} (expired `);
      expect((await rest(app, secret, "GET", "/roles")).status).toBe(200);
      const deleted = await keys(["delete", id!], { DATA_DIR: dataDir });
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stdout).toBe(
        `Deleted API key "first" …${secret.slice(-4)} in workspace ${app.fake.teamId} (done by the running keyward, pid ${process.pid}).\n`,
      );
      expect((await rest(app, secret, "GET", "/roles")).status).toBe(401);
      expect(await app.keyward.db.prisma.auditEvent.findMany({ where: { action: "api_key.delete" } })).toMatchObject([
        { actorId: operator, source: "cli", targetId: id },
      ]);
      expect(app.logs.join("")).not.toContain(secret.slice(3, 30));
    } finally {
      await app.close();
    }
  }, 120_000);

  it("removes the key again when its secret cannot be printed (stdout closed): no live key whose secret nobody saw", async () => {
    const dataDir = await tempDir();
    const app = await startTestApp({ env: { DATA_DIR: dataDir } });
    try {
      const run = await keys(["create", "--name", "unseen", "--role", "Admin", "--expires", day(30)], { DATA_DIR: dataDir }, { closeStdout: true });
      expect(run.code).toBe(1);
      expect(lastLine(run.stderr)).toMatch(/^The secret could not be printed \(.*EPIPE.*\), so the key was removed again; run this again\.$/);
      const rows = await app.keyward.db.prisma.apiKey.findMany();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.deletedAt).not.toBeNull();
      const audit = await app.keyward.db.prisma.auditEvent.findMany({ orderBy: { createdAt: "asc" } });
      expect(audit.map((e) => [e.action, e.source, (e.details as { reason?: string } | null)?.reason ?? null])).toEqual([
        ["api_key.create", "cli", null],
        ["api_key.delete", "cli", "delivery_failed"],
      ]);
      // Its name is free again.
      const again = await keys(["create", "--name", "unseen", "--role", "Admin", "--expires", day(30)], { DATA_DIR: dataDir });
      expect(again.code, again.stderr).toBe(0);
    } finally {
      await app.close();
    }
  }, 120_000);

  it("refuses bad input with one line and exit code 2, and writes nothing", async () => {
    const dataDir = await tempDir();
    const env = { DATA_DIR: dataDir };
    const good = ["--name", "ok", "--role", "Viewer", "--expires", day(30)];
    // Refused before anything is opened: the one line is all there is, and DATA_DIR stays empty.
    const early: Array<[string[], string]> = [
      [["create", ...good, "--bogus"], "Unknown option --bogus (npm run keys -- --help lists them)."],
      [["create", "--role", "Viewer", "--expires", day(30)], "create needs --name (the key's name)."],
      [
        ["create", "--name", "ok", "--role", "Viewer", "--expires", "31/01/2027"],
        '--expires must be a calendar day, YYYY-MM-DD such as 2027-01-31, not "31/01/2027".',
      ],
      [["create", ...good, "--tz", "Mars/Olympus"], '--tz must be an IANA time zone such as Europe/Paris or UTC, not "Mars/Olympus".'],
      [["create", ...good, "--workspace", "acme"], '--workspace must be a Slack team id such as T0123ABCD (T or E, then capitals and digits), not "acme".'],
      [["create", ...good, "--name", "twice"], "Give --name once."],
      [["list", "--name", "x"], "list takes no --name (npm run keys -- --help shows its options)."],
      [["delete"], 'delete takes one key: its name or id (npm run keys -- delete "deploy bot").'],
      [["rotate"], 'There is no "rotate" command: use create, list or delete (npm run keys -- --help shows how).'],
      [[], "Say what to do: create, list or delete (npm run keys -- --help shows how)."],
    ];
    const runs = await Promise.all(early.map(([args]) => keys(args, env)));
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toBe(`${early[i]![1]}\n`);
      expect(run.stdout).toBe("");
    });
    expect(readdirSync(dataDir)).toEqual([]);

    // Refused by the domain: the database is opened, and nothing is written in it (not even the workspace).
    const late: Array<[string[], string]> = [
      [
        ["create", "--name", "ok", "--role", "Owner", "--expires", day(30)],
        'There is no role "Owner" in workspace T0LOCAL; its roles: Viewer, Member, Manager, Admin.',
      ],
      [["create", "--name", "ok", "--role", "Viewer", "--expires", day(-2)], `The expiry date ${day(-2)} is already past in UTC.`],
      [["delete", "nothing-by-that-name"], 'A key named "nothing-by-that-name" was not found.'],
    ];
    for (const [args, line] of late) {
      const run = await keys(args, env);
      expect(run.code, run.stderr).toBe(2);
      expect(lastLine(run.stderr)).toBe(line);
      expect(run.stdout).toBe("");
    }
    const db = await openDatabase({ dataDir });
    try {
      const p = db.prisma;
      expect(await Promise.all([p.workspace.count(), p.role.count(), p.apiKey.count(), p.auditEvent.count()])).toEqual([0, 0, 0, 0]);
      // Several workspaces, none named: the command will not guess.
      await p.workspace.createMany({ data: [{ id: "T0TEAMONE" }, { id: "T0TEAMTWO" }] });
    } finally {
      await db.close();
    }
    const ambiguous = await keys(["create", ...good], env);
    expect(ambiguous.code).toBe(2);
    expect(lastLine(ambiguous.stderr)).toBe("Several workspaces have data (T0TEAMONE, T0TEAMTWO): say which one with --workspace.");
    const after = await openDatabase({ dataDir });
    try {
      expect(await Promise.all([after.prisma.apiKey.count(), after.prisma.auditEvent.count()])).toEqual([0, 0]);
    } finally {
      await after.close();
    }
  }, 180_000);

  it("refuses, with no server on the embedded database, a pepper other than the one the database was set up with: one line, exit 2, nothing written, no pepper shown", async () => {
    const dataDir = await tempDir();
    const good = ["create", "--name", "first", "--role", "Admin", "--expires", day(30)];
    // The service's unit gives it KEYWARD_PEPPER; its first start writes the database's pepper check.
    const server = await startTestApp({ env: { DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA } });
    await server.close();
    const runs = {
      other: await keys(good, { DATA_DIR: dataDir, KEYWARD_PEPPER: pepperB }),
      // An operator's shell without the unit's variable: the command would make DATA_DIR/secrets/pepper.
      unset: await keys(good, { DATA_DIR: dataDir }),
      quiet: await keys(good, { DATA_DIR: dataDir, KEYWARD_PEPPER: pepperB, LOG_LEVEL: "warn" }),
    };
    const pepperFile = path.join(dataDir, "secrets", "pepper");
    expect(lastLine(runs.other.stderr)).toBe(mismatch);
    expect(lastLine(runs.unset.stderr)).toBe(
      `KEYWARD_PEPPER is unset here, and the pepper in ${pepperFile} differs from the one this database was set up with: set KEYWARD_PEPPER to the same pepper as the running instances.`,
    );
    // Without trace logs, the refusal is all there is.
    expect(runs.quiet.stderr).toBe(`${mismatch}\n`);
    const made = readFileSync(pepperFile, "utf8").trim();
    for (const run of Object.values(runs)) {
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      for (const shown of [...pepperForms(pepperA), ...pepperForms(pepperB), made]) expect(run.stderr).not.toContain(shown);
    }
    const db = await openDatabase({ dataDir });
    try {
      const p = db.prisma;
      expect(await Promise.all([p.workspace.count(), p.apiKey.count(), p.auditEvent.count(), p.installation.count()])).toEqual([0, 0, 0, 1]);
    } finally {
      await db.close();
    }
    // With the server's pepper, the command works, and so does its key on the server.
    const created = await keys(good, { DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA });
    expect(created.code, created.stderr).toBe(0);
    const secret = expectSecretOnlyOnStdout(created);
    const app = await startTestApp({ env: { DATA_DIR: dataDir, KEYWARD_PEPPER: pepperA } });
    try {
      expect((await rest(app, secret, "GET", "/roles")).status).toBe(200);
    } finally {
      await app.close();
    }
  }, 120_000);

  describe.runIf(databaseKinds().includes("postgres"))("on PostgreSQL", () => {
    it("opens the database itself; a running instance hears of the key and of its deletion", async () => {
      const db = await createTestDatabase("postgres");
      const app = await startTestApp({ databaseUrl: db.url! });
      try {
        // The harness's secrets: every instance and command shares them.
        const env = {
          DATA_DIR: await tempDir(),
          DATABASE_URL: db.url!,
          KEYWARD_PEPPER: "a".repeat(64),
          KEYWARD_ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 7).toString("base64")}`,
        };
        const unpeppered = await keys(["create", "--name", "first", "--role", "Admin", "--expires", day(30)], { ...env, KEYWARD_PEPPER: "" });
        expect(unpeppered.code).toBe(2);
        expect(lastLine(unpeppered.stderr)).toBe("Configuration error: KEYWARD_PEPPER is required with DATABASE_URL (every instance must share it).");

        // Another pepper than the instances': refused before anything is hashed or written.
        const otherPepper = await keys(["create", "--name", "first", "--role", "Admin", "--expires", day(30)], { ...env, KEYWARD_PEPPER: pepperB });
        expect(otherPepper.code).toBe(2);
        expect(otherPepper.stdout).toBe("");
        expect(lastLine(otherPepper.stderr)).toBe(mismatch);
        for (const shown of [...pepperForms(env.KEYWARD_PEPPER), ...pepperForms(pepperB)]) expect(otherPepper.stderr).not.toContain(shown);
        expect(await Promise.all([db.prisma.apiKey.count(), db.prisma.auditEvent.count()])).toEqual([0, 0]);

        const created = await keys(["create", "--name", "first", "--role", "Admin", "--expires", day(30), "--workspace", app.fake.teamId], env);
        expect(created.code, created.stderr).toBe(0);
        const secret = expectSecretOnlyOnStdout(created, app.logs.join(""), await dumpTables(db.sql));
        expect(lastLine(created.stderr)).not.toContain("done by the running keyward");
        // Another process's key reaches this instance by NOTIFY (milliseconds): wait for it, within a deadline.
        expect(await statusWithin(() => rest(app, secret, "GET", "/roles"), 200)).toBe(200);
        expect(await db.prisma.auditEvent.findFirst({ where: { action: "api_key.create" } })).toMatchObject({ actorId: operator, source: "cli" });

        const deleted = await keys(["delete", "first", "--workspace", app.fake.teamId], env);
        expect(deleted.code, deleted.stderr).toBe(0);
        expect(await statusWithin(() => rest(app, secret, "GET", "/roles"), 401)).toBe(401);
        expect(await dumpTables(db.sql)).not.toContain(secret.slice(3, 30));
      } finally {
        await app.close();
        await db.close();
      }
    }, 120_000);
  });
});

/** Polls until the status is `wanted` or 10 s passed; returns the last status. */
async function statusWithin(call: () => Promise<{ status: number }>, wanted: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status } = await call();
    if (status === wanted || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
}
