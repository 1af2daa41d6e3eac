import type { Config } from "../config/config.ts";
import { DataDirLockedError } from "../db/data-dir-lock.ts";
import { openDatabase, type Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import {
  checkControlRequest,
  controlSocketPath,
  notServing,
  sendControlRequest,
  type ControlCommand,
  type ControlHandlers,
  type ControlRequestOf,
  type ControlResults,
} from "../server/control-channel.ts";

/** A failure whose message is the one line to print. */
export class CliError extends Error {
  override name = "CliError";
}

interface Outcome<C extends ControlCommand> {
  result: ControlResults[C];
  /** "this process", or the pid of the running keyward that did the work. */
  ranBy: "this process" | number;
}

/**
 * On the embedded database only one process may open DATA_DIR. When a running keyward holds it,
 * the work is sent to that process over its control channel (src/server/control-channel.ts);
 * otherwise (nobody holds it, or PostgreSQL) this process opens the database and does it itself.
 */
export async function runOnOwnerOrHere<C extends ControlCommand>(
  config: Config,
  logger: Logger,
  request: ControlRequestOf<C>,
  here: (db: Database) => Promise<ControlResults[C]>,
): Promise<Outcome<C>> {
  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    return { result: await askOwner(config.dataDir, error, request), ranBy: error.holder.pid };
  }
  try {
    return { result: await here(db), ranBy: "this process" };
  } finally {
    await db.close();
  }
}

/** Several requests on one footing: the running keyward's control channel, or one database opened here. */
export interface ControlSession<K extends ControlCommand> {
  ranBy: "this process" | number;
  send<C extends K>(request: ControlRequestOf<C>): Promise<ControlResults[C]>;
  close(): Promise<void>;
}

/**
 * runOnOwnerOrHere for a command that sends several requests (`npm run keys create`: create, then
 * activate once the secret is printed). Here, the requests are checked against the channel's own
 * schema and run by the same handlers the running keyward would use.
 */
export async function openOwnerOrHere<K extends ControlCommand>(
  config: Config,
  logger: Logger,
  handlersOn: (db: Database) => Promise<Pick<ControlHandlers, K>>,
): Promise<ControlSession<K>> {
  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    return { ranBy: error.holder.pid, send: (request) => askOwner(config.dataDir, error, request), close: async () => {} };
  }
  try {
    const handlers = await handlersOn(db);
    return {
      ranBy: "this process",
      send: async <C extends K>(request: ControlRequestOf<C>) => {
        // Checked as the running keyward would: a request it would refuse is refused here too, in the same words.
        const checked = checkControlRequest(request) as ControlRequestOf<C>;
        return (handlers[checked.command as K] as unknown as (r: ControlRequestOf<C>) => Promise<ControlResults[C]>)(checked);
      },
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function askOwner<C extends ControlCommand>(dataDir: string, locked: DataDirLockedError, request: ControlRequestOf<C>): Promise<ControlResults[C]> {
  const { holder } = locked;
  const who = `DATA_DIR ${dataDir} is in use by keyward pid ${holder.pid} (${holder.command}, since ${holder.since})`;
  const socket = controlSocketPath(dataDir);
  if (!socket.usable) throw new CliError(`${who}, whose control channel is off (${socket.reason}): stop it, run this again, then start it again.`);
  try {
    return await sendControlRequest(socket.path, request);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES")
      throw new CliError(`${who}, whose control channel ${socket.path} only its own user can open: run this as that user.`);
    if (!notServing(error)) throw error;
    throw new CliError(
      `${who}, which does not answer on ${socket.path} (only a fully started npm start does): wait until it has started or finished, then run this again.`,
    );
  }
}
