import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copySeed, seedPath } from "../../src/db/seed-directory.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A stand-in seed: the two files that make a PGlite data directory complete, modes as given. */
async function fakeSeed(mode = 0o644): Promise<{ seed: string; target: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), "keyward-seed-"));
  dirs.push(base);
  const seed = path.join(base, "seed");
  await mkdir(path.join(seed, "global"), { recursive: true, mode: 0o755 });
  await writeFile(path.join(seed, "PG_VERSION"), "17\n");
  await writeFile(path.join(seed, "global", "pg_control"), "control");
  await chmod(path.join(seed, "global", "pg_control"), mode);
  return { seed, target: path.join(base, "data", "pglite") };
}

describe("the install's seed directory", () => {
  it("is copied closed to other users (0700), through a side directory", async () => {
    const { seed, target } = await fakeSeed();
    await mkdir(path.dirname(target));
    expect(await copySeed(target, seed)).toBe(true);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(target, "global", "pg_control"))).toBe(true);
    expect(existsSync(`${target}.seeding`)).toBe(false);
  });

  it("is not used when anyone but its owner could have written one of its files (PGlite writes 0666)", async () => {
    const { seed, target } = await fakeSeed(0o666);
    await mkdir(path.dirname(target));
    expect(await copySeed(target, seed)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it("is not used when incomplete", async () => {
    const { seed, target } = await fakeSeed();
    await rm(path.join(seed, "global", "pg_control"));
    await mkdir(path.dirname(target));
    expect(await copySeed(target, seed)).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it("is named by the migrations it holds: a changed migration names another seed", async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), "keyward-migrations-"));
    dirs.push(base);
    await writeFile(path.join(base, "migration_lock.toml"), 'provider = "postgresql"\n');
    await mkdir(path.join(base, "20260101000000_one"));
    await writeFile(path.join(base, "20260101000000_one", "migration.sql"), "SELECT 1;\n");
    const before = await seedPath(base);
    await writeFile(path.join(base, "20260101000000_one", "migration.sql"), "SELECT 2;\n");
    expect(await seedPath(base)).not.toBe(before);
    expect(path.basename(before)).toMatch(/^pglite-\d+\.\d+\.\d+-[0-9a-f]{16}$/);
  });
});
