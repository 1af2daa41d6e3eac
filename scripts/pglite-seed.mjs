// Builds, once per install, an image of a freshly initialised PGlite data directory, so that the
// app's very first start on the embedded database copies it instead of running initdb (≈ 1.5 s
// saved). Without it (a failed or skipped install step) the app simply runs initdb itself.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(await readFile(`${root}node_modules/@electric-sql/pglite/package.json`, "utf8"));
const target = `${root}node_modules/.cache/keyward/pglite-${version}-initdb.tar.gz`;
try {
  const { PGlite } = await import("@electric-sql/pglite");
  const pg = await PGlite.create();
  const image = await pg.dumpDataDir("gzip");
  await pg.close();
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, Buffer.from(await image.arrayBuffer()));
  console.log(`PGlite seed image written (${Math.round(image.size / 1024)} KiB)`);
} catch (error) {
  console.warn(`PGlite seed image not built (${error instanceof Error ? error.message : String(error)}); first starts will run initdb`);
}
