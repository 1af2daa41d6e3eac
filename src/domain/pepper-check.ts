import { timingSafeEqual } from "node:crypto";
import type { DomainContext } from "./context.ts";
import { DomainError } from "./errors.ts";

/**
 * Every stored key hash is an HMAC with the pepper, so a process with another pepper (a command
 * without the server's KEYWARD_PEPPER, a second instance configured apart) would print keys that no
 * instance verifies, and find none of theirs. The database therefore keeps, once per installation,
 * the pepper's MAC of this constant, and each process that hashes compares its own before it starts.
 * A keyed MAC of a public constant reveals nothing about the key (HMAC is a pseudo-random function):
 * the row tells a reader of the database no more than the key hashes beside it already do.
 * Exported for the tests, which check that it never looks like a key.
 */
export const pepperCheckInput = "keyward pepper check v1";

/** This process's pepper is not the one the database was set up with (exported for the tests, which expect it). */
export class PepperMismatchError extends DomainError {
  constructor(message: string) {
    super("conflict", message);
    this.name = "PepperMismatchError";
  }
}

interface PepperCheckOptions {
  /** The file the pepper was read from (KEYWARD_PEPPER unset), for the refusal; never its content. */
  pepperFile?: string;
  /**
   * A database upgraded from before the check has data but no check yet, and whichever process
   * opens it first writes its own. The server may (it runs with the pepper the keys were made with,
   * or no key works anyway); a command run on the side (`npm run keys`) may not: its pepper could be
   * the stray one, and writing it would lock the server out. On a fresh install, anyone may.
   */
  mayClaimUpgraded: boolean;
  /**
   * False: compare with a check that exists, but write none (a command that hashes nothing, such as
   * `npm run keys -- list`, must not bind a fresh install to the pepper of the shell it ran in).
   */
  mayClaim?: boolean;
  /** Told when this process wrote the installation's check (never its value). */
  onClaimed?: () => void;
}

/**
 * Writes the installation's pepper check on the first open, and refuses, on every open, a pepper
 * that is not the one it was written with. Runs before anything is hashed or written.
 */
export async function checkPepper(ctx: Pick<DomainContext, "store" | "hasher" | "clock">, options: PepperCheckOptions): Promise<void> {
  // The hasher is HMAC-SHA-256 with the pepper, hex: this is HMAC-SHA-256(pepper, pepperCheckInput).
  const ours = ctx.hasher.hash(pepperCheckInput);
  let stored = await ctx.store.installation.pepperCheck();
  if (stored === null) {
    if (options.mayClaim === false) return;
    if (!options.mayClaimUpgraded && (await ctx.store.workspaces.list(1)).length > 0)
      throw new DomainError(
        "unavailable",
        "This database was upgraded and has no pepper check yet: start keyward once (npm start) so that it records its pepper, then run this again.",
      );
    stored = await ctx.store.installation.claimPepperCheck(ours, ctx.clock.now());
    if (sameHex(stored, ours)) options.onClaimed?.();
  }
  if (!sameHex(stored, ours)) throw new PepperMismatchError(mismatchMessage(options.pepperFile));
}

function mismatchMessage(pepperFile: string | undefined): string {
  // Neither pepper, nor either check value, is ever shown: the file's path says where to look.
  if (pepperFile === undefined) return "KEYWARD_PEPPER differs from the one this database was set up with: use the same pepper as the running instances.";
  return `KEYWARD_PEPPER is unset here, and the pepper in ${pepperFile} differs from the one this database was set up with: set KEYWARD_PEPPER to the same pepper as the running instances.`;
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
