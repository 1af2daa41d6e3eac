import type { Config } from "../config/config.ts";
import { DataDirLockedError } from "../db/data-dir-lock.ts";
import { openDatabase, type Database } from "../db/database.ts";
import type { Logger } from "../logger.ts";
import {
  controlSocketPath,
  notServing,
  sendControlRequest,
  type ControlCommand,
  type ControlRequestOf,
  type ControlResults,
} from "../server/control-channel.ts";

/** A failure whose message is the one line to print. */
export class CliError extends Error {
  override name = "CliError";
}

export interface Outcome<C extends ControlCommand> {
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

async function askOwner<C extends ControlCommand>(dataDir: string, locked: DataDirLockedError, request: ControlRequestOf<C>): Promise<ControlResults[C]> {
  const { holder } = locked;
  const who = `DATA_DIR ${dataDir} is in use by keyward pid ${holder.pid} (${holder.command}, since ${holder.since})`;
  const socket = controlSocketPath(dataDir);
  if (!socket.usable) throw new CliError(`${who}, whose control channel is off (${socket.reason}): stop it, run this again, then start it again.`);
  try {
    return await sendControlRequest(socket.path, request);
  } catch (error) {
    if (!notServing(error)) throw error;
    throw new CliError(
      `${who}, which does not answer on ${socket.path} (only a fully started npm start does): wait until it has started or finished, then run this again.`,
    );
  }
}
