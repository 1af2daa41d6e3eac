import { parseArgs } from "node:util";
import { isCalendarDay, isValidTimeZone } from "../domain/expiry.ts";
import { isWorkspaceId } from "../domain/operator-service.ts";

/** Bad input on the command line: one line, exit code 2, before anything is opened. */
export class UsageError extends Error {
  override name = "UsageError";
}

export type KeysArgs =
  | { command: "create"; name: string; role: string; expiresOn: string; timeZone?: string; description?: string; workspace?: string }
  | { command: "list"; workspace?: string }
  | { command: "delete"; ref: string; endGrace: boolean; workspace?: string }
  | { command: "help" };

const options = {
  name: { type: "string" },
  role: { type: "string" },
  expires: { type: "string" },
  tz: { type: "string" },
  description: { type: "string" },
  workspace: { type: "string" },
  "end-grace": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Option = keyof typeof options;

const allowed: Record<"create" | "list" | "delete", Option[]> = {
  create: ["name", "role", "expires", "tz", "description", "workspace"],
  list: ["workspace"],
  delete: ["end-grace", "workspace"],
};

export const usage = `Usage: npm run -s keys -- <command> [options]    (or: node dist/cli/keys.js <command> [options])

  create --name <name> --role <role> --expires <YYYY-MM-DD> [--tz <zone>] [--description <text>] [--workspace <id>]
      Issues a service key and prints its secret once, on stdout (keyward keeps only a keyed hash and
      the last 4). Keep the -s: without it npm prints its own banner on stdout ahead of the secret,
      and > key.txt or $(…) would catch more than the secret. It expires at the end of that day in
      --tz, an IANA zone (default DEFAULT_TIME_ZONE, UTC unless set).
      Roles: Viewer, Member, Manager, Admin, or a custom role of the workspace.
  list [--workspace <id>]
      The workspace's keys: id, name, last 4, role, expiry, status. Never a secret.
  delete <name|id> [--end-grace] [--workspace <id>]
      Deletes a key at once. A name several keys share is refused: give the id (see list).
      --end-grace: the key was rolled; stop it now, its replacement keeps working.

  --workspace: the Slack team id (T…) the keys belong to. Default: the only workspace keyward has data
  for; on an install that has none yet, T0LOCAL (give your team id instead to see the keys in Slack later).
  While npm start runs on the embedded database, the running keyward does the work.
  Exit codes: 0 done, 1 failed, 2 bad input (nothing was written).`;

/** `npm run keys -- …`'s arguments, checked as far as they can be without the database. */
export function parseKeysArgs(argv: string[]): KeysArgs {
  const { values, positionals, tokens } = parseStrict(argv);
  if (values.help) return { command: "help" };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError("Say what to do: create, list or delete (npm run keys -- --help shows how).");
  if (command !== "create" && command !== "list" && command !== "delete")
    throw new UsageError(`There is no "${command.slice(0, 40)}" command: use create, list or delete (npm run keys -- --help shows how).`);
  const given = tokens.flatMap((t) => (t.kind === "option" ? [t.name as Option] : []));
  const repeated = given.find((name, i) => given.indexOf(name) !== i);
  if (repeated) throw new UsageError(`Give --${repeated} once.`);
  const stray = given.find((name) => !allowed[command].includes(name));
  if (stray) throw new UsageError(`${command} takes no --${stray} (npm run keys -- --help shows its options).`);
  const workspace = values.workspace;
  if (workspace !== undefined && !isWorkspaceId(workspace))
    throw new UsageError(`--workspace must be a Slack team id such as T0123ABCD (T or E, then capitals and digits), not "${workspace.slice(0, 40)}".`);
  if (command === "list") {
    if (rest.length > 0) throw new UsageError("list takes no arguments besides --workspace.");
    return { command, workspace };
  }
  if (command === "delete") {
    if (rest.length !== 1) throw new UsageError('delete takes one key: its name or id (npm run keys -- delete "deploy bot").');
    return { command, ref: rest[0]!, endGrace: values["end-grace"] === true, workspace };
  }
  if (rest.length > 0)
    throw new UsageError(`create takes options only; "${rest[0]!.slice(0, 40)}" is not one (quote a name with spaces: --name "deploy bot").`);
  return { command, ...createOptions(values), workspace };
}

function createOptions(values: ReturnType<typeof parseStrict>["values"]) {
  const missing = (["name", "role", "expires"] as const).find((name) => !values[name]?.trim());
  if (missing)
    throw new UsageError(`create needs --${missing} (${{ name: "the key's name", role: "a role such as Viewer", expires: "a day, YYYY-MM-DD" }[missing]}).`);
  const expiresOn = values.expires!.trim();
  if (!isCalendarDay(expiresOn)) throw new UsageError(`--expires must be a calendar day, YYYY-MM-DD such as 2027-01-31, not "${expiresOn.slice(0, 40)}".`);
  const timeZone = values.tz?.trim();
  if (timeZone !== undefined && !isValidTimeZone(timeZone))
    throw new UsageError(`--tz must be an IANA time zone such as Europe/Paris or UTC, not "${timeZone.slice(0, 60)}".`);
  return { name: values.name!, role: values.role!, expiresOn, timeZone, description: values.description };
}

function parseStrict(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'(-[^' ]+)/.exec((error as Error).message)?.[1] ?? "that option";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`Unknown option ${option} (npm run keys -- --help lists them).`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const takesNone = (error as Error).message.includes("does not take an argument");
      throw new UsageError(takesNone ? `${option} takes no value.` : `${option} needs a value (write ${option}=<value> for one that starts with -).`);
    }
    throw error;
  }
}
