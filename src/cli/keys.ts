import { ConfigError, loadConfig, type Config } from "../config/config.ts";
import { resolveServerSecrets } from "../config/local-secrets.ts";
import type { Database } from "../db/database.ts";
import { DomainError, type ErrorCode } from "../domain/errors.ts";
import { dayIn } from "../domain/expiry.ts";
import { createDomainServices } from "../domain/index.ts";
import { checkPepper } from "../domain/pepper-check.ts";
import { createLogger } from "../logger.ts";
import { ControlError } from "../server/control-channel.ts";
import { createDomainContext } from "../server/domain-wiring.ts";
import { keyCommandHandlers, type KeyCommand, type OperatorKeyView } from "../server/key-commands.ts";
import { parseKeysArgs, usage, UsageError, type KeysArgs } from "./keys-args.ts";
import { createKey, type CliOutput } from "./keys-create.ts";
import { operatorName } from "./operator-name.ts";
import { CliError, openOwnerOrHere, type ControlSession } from "./owner-or-here.ts";

/**
 * `npm run -s keys -- create|list|delete …`: keys for an operator on the machine, without Slack (the
 * first key of an install). Output: the secret (once) and lists on stdout; what happened, and any
 * failure, in one line on stderr; logs (JSON) on stderr. While `npm start` runs on the embedded
 * database, the running keyward does the work over its control channel.
 */
async function main(argv: string[]): Promise<void> {
  const args = parseKeysArgs(argv);
  if (args.command === "help") return void (await write(process.stdout, `${usage}\n`));
  const config = loadConfig();
  // Logs go to stderr: stdout carries the secret alone, for `> file` or `$(…)` (with `npm run -s keys`
  // or `node dist/cli/keys.js`: a plain `npm run` prints its banner on stdout first). Unless LOG_LEVEL
  // says otherwise, only warnings: migrations and "database open" would bury the one line that matters.
  const logger = createLogger(config.logLevelSet ? config.logLevel : "warn", process.stderr);
  const session = await openOwnerOrHere<KeyCommand>(config, logger, (db) => handlersHere(config, db, args.command === "create"));
  try {
    await run(args, session, config);
  } finally {
    await session.close();
  }
}

type Session = ControlSession<KeyCommand>;
type Args<C extends KeysArgs["command"]> = Extract<KeysArgs, { command: C }>;

async function run(args: Exclude<KeysArgs, { command: "help" }>, session: Session, config: Config): Promise<void> {
  const osUser = operatorName();
  const by = session.ranBy === "this process" ? "" : ` (done by the running keyward, pid ${session.ranBy})`;
  if (args.command === "list") return list(session, osUser, args.workspace, by);
  if (args.command === "delete") return remove(session, osUser, args, by);
  return createKey(session, osUser, { ...args, timeZone: args.timeZone ?? config.defaultTimeZone }, by, output);
}

async function remove(session: Session, osUser: string | undefined, args: Args<"delete">, by: string): Promise<void> {
  const request = { command: "keys.delete" as const, osUser, workspace: args.workspace, ref: args.ref, endGrace: args.endGrace };
  const { key, workspaceId } = await session.send(request).catch((error: unknown) => {
    // Slack's rule: several keys of one name are not guessed between; the id says which (list shows ids).
    const severalKeys =
      (error instanceof ControlError || error instanceof DomainError) && error.code === "ambiguous_reference" && error.message.startsWith("Several keys");
    throw severalKeys ? new ControlError("ambiguous_reference", `${error.message} Give its id instead (npm run keys -- list shows them).`) : error;
  });
  await write(process.stdout, `Deleted API key ${JSON.stringify(key.name)} …${key.last4} in workspace ${workspaceId}${by}.\n`);
}

async function list(session: Session, osUser: string | undefined, workspace: string | undefined, by: string): Promise<void> {
  const keys: OperatorKeyView[] = [];
  let cursor: string | undefined;
  let workspaceId = workspace;
  do {
    const page = await session.send({ command: "keys.list", osUser, workspace, cursor });
    keys.push(...page.keys);
    workspaceId = page.workspaceId;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (keys.length === 0) return write(process.stdout, `No keys in workspace ${workspaceId}${by}.\n`);
  const rows = [["ID", "NAME", "LAST4", "ROLE", "EXPIRES", "STATUS"], ...keys.map((k) => [k.id, k.name, `…${k.last4}`, k.role, expiry(k), k.status])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
  await write(process.stdout, `Workspace ${workspaceId}${by}: ${keys.length} ${keys.length === 1 ? "key" : "keys"}\n${lines.join("\n")}\n`);
}

const expiry = (key: OperatorKeyView): string => {
  const at = new Date(key.expiresAt);
  return key.expiryTimeZone ? `${dayIn(at, key.expiryTimeZone)} ${key.expiryTimeZone}` : `${key.expiresAt.slice(0, 16).replace("T", " ")} UTC`;
};

/** No server holds the database: this process opens it, with the same secrets a server would read. */
async function handlersHere(config: Config, db: Database, creates: boolean) {
  const secrets = await resolveServerSecrets(config);
  const ctx = createDomainContext(config, db, secrets);
  // A key hashed with another pepper than the running instances' would never verify: refused first.
  // Only create hashes anything: list and delete compare with a check that exists, and write none.
  await checkPepper(ctx, { pepperFile: secrets.pepperFile, mayClaimUpgraded: false, mayClaim: creates });
  return keyCommandHandlers(createDomainServices(ctx).operator, ctx.clock);
}

// A failed write is reported to its callback, and then again as an 'error' event, which would crash
// the process before it could remove a key whose secret nobody saw: the callback is the one that counts.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

/** Resolves once the text reached the stream; a pipe closed under us (EPIPE) rejects. */
function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve())));
}

const output: CliOutput = { stdout: (text) => write(process.stdout, text), stderr: (text) => write(process.stderr, text) };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Refused input (2) is told apart from a failure (1): scripts retry the one, not the other. */
const refusedInput = new Set<ErrorCode>([
  "validation_failed",
  "malformed_request",
  "not_found",
  "ambiguous_reference",
  "conflict",
  "role_not_found",
  "role_exceeds_actor",
  "expiry_in_past",
  "invalid_time_zone",
]);

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return 2;
  return (error instanceof DomainError || error instanceof ControlError) && refusedInput.has(error.code) ? 2 : 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ConfigError || error instanceof CliError;
  const domain = error instanceof DomainError || error instanceof ControlError;
  console.error(known || domain ? messageOf(error) : `npm run keys failed: ${messageOf(error)}`);
  process.exitCode = exitCodeOf(error);
});
