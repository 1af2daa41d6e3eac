// The pepper check (issue 11, review item 1): the database keeps, once per installation, the pepper's
// HMAC of a constant; the first open writes it, every later one compares, and a process with another
// pepper is refused before it hashes anything, with a line that shows neither pepper nor check value.
import { createHmac, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { createPrismaStore } from "../../src/db/prisma-store.ts";
import { checkKeyShape } from "../../src/domain/key-format.ts";
import { createKeyHasher } from "../../src/domain/key-hasher.ts";
import { checkPepper, pepperCheckInput, PepperMismatchError } from "../../src/domain/pepper-check.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";
import { ManualClock } from "../support/fixed-runtime.ts";

const at = new Date("2026-12-01T20:00:00Z");
const expectedCheck = (pepper: Buffer) => createHmac("sha256", pepper).update("keyward pepper check v1").digest("hex");

describe.each(databaseKinds())("pepper check on %s", (kind) => {
  const open: Array<Pick<Database, "close">> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
  });
  const database = async () => {
    const db = await createTestDatabase(kind);
    open.push(db);
    return db;
  };
  /** One process's view: its pepper, over the shared database. */
  const processWith = (db: Pick<Database, "prisma">, pepper: Buffer) => ({
    store: createPrismaStore(db.prisma),
    hasher: createKeyHasher(pepper),
    clock: new ManualClock(at),
  });
  const rows = (db: TestDatabase) => db.prisma.installation.findMany();

  it("is written by the first open (no migration writes it), as HMAC-SHA-256(pepper, the constant) in hex, and a second open with that pepper passes", async () => {
    const db = await database();
    expect(pepperCheckInput).toBe("keyward pepper check v1");
    expect(await rows(db)).toEqual([]);
    const pepper = randomBytes(32);
    await checkPepper(processWith(db, pepper), { mayClaimUpgraded: false });
    expect(await rows(db)).toEqual([{ id: 1, pepperCheck: expectedCheck(pepper), createdAt: at }]);
    await checkPepper({ ...processWith(db, pepper), clock: new ManualClock(new Date("2027-01-01T00:00:00Z")) }, { mayClaimUpgraded: false });
    await checkPepper(processWith(db, Buffer.from(pepper)), { mayClaimUpgraded: true });
    expect(await rows(db)).toEqual([{ id: 1, pepperCheck: expectedCheck(pepper), createdAt: at }]);
  });

  it("a command that hashes nothing (mayClaim: false) writes no check on a fresh install, and still compares with one that exists", async () => {
    const db = await database();
    const stray = randomBytes(32);
    await checkPepper(processWith(db, stray), { mayClaimUpgraded: false, mayClaim: false });
    expect(await rows(db)).toEqual([]);
    const real = randomBytes(32);
    let claimed = 0;
    await checkPepper(processWith(db, real), { mayClaimUpgraded: true, onClaimed: () => claimed++ });
    expect(claimed).toBe(1);
    const refused = await checkPepper(processWith(db, stray), { mayClaimUpgraded: false, mayClaim: false }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PepperMismatchError);
  });

  it("refuses another pepper with one line naming what to do, and shows neither pepper nor check value", async () => {
    const db = await database();
    const theirs = randomBytes(32);
    const ours = randomBytes(32);
    await checkPepper(processWith(db, theirs), { mayClaimUpgraded: true });
    const fromEnv = await checkPepper(processWith(db, ours), { mayClaimUpgraded: true }).catch((e: unknown) => e);
    expect(fromEnv).toBeInstanceOf(PepperMismatchError);
    expect(fromEnv).toMatchObject({
      code: "conflict",
      message: "KEYWARD_PEPPER differs from the one this database was set up with: use the same pepper as the running instances.",
    });
    const fromFile = await checkPepper(processWith(db, ours), { mayClaimUpgraded: false, pepperFile: "/srv/keyward/secrets/pepper" }).catch((e: unknown) => e);
    expect((fromFile as Error).message).toBe(
      "KEYWARD_PEPPER is unset here, and the pepper in /srv/keyward/secrets/pepper differs from the one this database was set up with: set KEYWARD_PEPPER to the same pepper as the running instances.",
    );
    for (const message of [(fromEnv as Error).message, (fromFile as Error).message]) {
      for (const secret of [theirs, ours]) {
        for (const shown of [secret.toString("hex"), secret.toString("base64"), expectedCheck(secret), expectedCheck(secret).slice(0, 16)])
          expect(message).not.toContain(shown);
      }
    }
    // The first pepper's check stays: nothing was overwritten.
    expect(await rows(db)).toEqual([{ id: 1, pepperCheck: expectedCheck(theirs), createdAt: at }]);
  });

  it("lets exactly one of two first opens with different peppers win, and refuses the other", async () => {
    const db = await database();
    // Two processes: on PostgreSQL each with its own pool, as two instances starting together.
    const second = kind === "postgres" ? await openDatabase({ databaseUrl: db.url! }) : db;
    if (second !== db) open.unshift(second);
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const results = await Promise.allSettled([
      checkPepper(processWith(db, a), { mayClaimUpgraded: true }),
      checkPepper(processWith(second, b), { mayClaimUpgraded: true }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const winner = results[0]!.status === "fulfilled" ? a : b;
    const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(PepperMismatchError);
    expect(await rows(db)).toEqual([{ id: 1, pepperCheck: expectedCheck(winner), createdAt: at }]);
  });

  it("on a database upgraded from before the check (data, no check): the server writes its own; a command beside it is refused and writes nothing", async () => {
    const db = await database();
    await db.prisma.workspace.create({ data: { id: "T0UPGRADED" } });
    const pepper = randomBytes(32);
    const refused = await checkPepper(processWith(db, pepper), { mayClaimUpgraded: false }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: "unavailable",
      message: "This database was upgraded and has no pepper check yet: start keyward once (npm start) so that it records its pepper, then run this again.",
    });
    expect(await rows(db)).toEqual([]);
    await checkPepper(processWith(db, pepper), { mayClaimUpgraded: true });
    expect(await rows(db)).toEqual([{ id: 1, pepperCheck: expectedCheck(pepper), createdAt: at }]);
    // Once written, the command passes with the same pepper.
    await checkPepper(processWith(db, pepper), { mayClaimUpgraded: false });
  });
});

describe("the pepper check's constant", () => {
  it("can never be presented as a key: its MAC is the hash a key with that secret would have, and the key shape refuses it", () => {
    expect(checkKeyShape(pepperCheckInput)).not.toBe("ok");
  });
});
