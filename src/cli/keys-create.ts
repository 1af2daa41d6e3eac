import { ControlError } from "../server/control-channel.ts";
import type { KeyCommand } from "../server/key-commands.ts";
import { DomainError } from "../domain/errors.ts";
import type { KeysArgs } from "./keys-args.ts";
import { CliError, type ControlSession } from "./owner-or-here.ts";

/** Where the command writes: each resolves once the text reached its stream, and rejects when it cannot. */
export interface CliOutput {
  stdout(text: string): Promise<void>;
  stderr(text: string): Promise<void>;
}

/** `npm run keys create`, as parsed, in the operator's zone (exported for the tests, which build them). */
export type CreateArgs = Extract<KeysArgs, { command: "create" }> & { timeZone: string };

interface Settle {
  osUser: string | undefined;
  workspace: string;
  keyId: string;
}

/**
 * `npm run keys -- create`: created pending, printed, then switched on, so that a secret nobody saw
 * never works (SPEC rule 4). What became of the key is said only as far as keyward confirmed it: a
 * removal only once keyward answered that it removed it, and otherwise the key id and how to look.
 */
export async function createKey(session: ControlSession<KeyCommand>, osUser: string | undefined, args: CreateArgs, by: string, out: CliOutput): Promise<void> {
  const { command: _, workspace, ...input } = args;
  const created = await session.send({ command: "keys.create", osUser, workspace, ...input });
  const settle = { osUser, workspace: created.workspaceId, keyId: created.key.id };
  try {
    await out.stdout(`${created.secret}\n`);
  } catch (error) {
    const removal = await discard(session, settle);
    if (removal === "removed") throw new CliError(`The secret could not be printed (${messageOf(error)}), so the key was removed again; run this again.`);
    throw new CliError(
      `The secret could not be printed (${messageOf(error)}), and key ${settle.keyId} could not be removed (${removal}): it was never switched on, so it does not work, and a running keyward removes it after 10 minutes.`,
    );
  }
  const failure = await activate(session, settle);
  if (failure !== null) {
    const removal = await discard(session, settle);
    if (removal === "removed")
      throw new CliError(`The key could not be switched on (${messageOf(failure)}): the secret printed does not work and was removed; run this again.`);
    throw new CliError(
      `Whether the secret printed works is unknown: key ${settle.keyId} could not be confirmed as switched on (${messageOf(failure)}), nor removed (${removal}). It works if npm run keys -- list shows it; then keep it, or delete it with npm run keys -- delete ${settle.keyId}.`,
    );
  }
  const { key } = created;
  await out.stderr(
    `Created API key ${JSON.stringify(key.name)} …${key.last4} (role ${key.role}) in workspace ${created.workspaceId}; it expires at the end of ${input.expiresOn} in ${input.timeZone}${by}. Its secret, on stdout, is shown this once: keyward keeps only a keyed hash and the last 4.\n`,
  );
}

/**
 * Null once keyward confirmed the key is on. An answer lost on the way (the connection or database
 * dropped) may hide an activation that committed: asked once more, an active key is confirmed.
 */
async function activate(session: ControlSession<KeyCommand>, settle: Settle): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.send({ command: "keys.activate", ...settle });
      return null;
    } catch (error) {
      if (attempt === 2 || refused(error)) return error;
    }
  }
}

/** "removed" only when keyward says it removed the key; else why it could not say so. */
async function discard(session: ControlSession<KeyCommand>, settle: Settle): Promise<"removed" | string> {
  try {
    const { discarded } = await session.send({ command: "keys.discard", ...settle });
    return discarded ? "removed" : "it was no longer waiting to be switched on";
  } catch (error) {
    return messageOf(error);
  }
}

/** keyward answered, and said no: asking again gets the same answer. "unavailable" may hide a commit. */
const refused = (error: unknown): boolean => (error instanceof DomainError || error instanceof ControlError) && error.code !== "unavailable";

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
