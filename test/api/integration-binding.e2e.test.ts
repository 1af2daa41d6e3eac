// Issue 9, item 14, end to end: a row sealed by an older keyward (ciphertext bound to its row id
// only) is re-encrypted with the full binding when the app starts, still reads back over REST, and
// once moved to another alias answers a clear error (not a 500, no details).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app-harness.ts";
import { sealLegacy } from "../support/legacy-cipher.ts";
import { createTestDatabase, databaseKinds, type TestDatabase } from "../support/test-database.ts";

const masterKey = Buffer.alloc(32, 9);
const secret = "ghp_bindingSecretFromBefore0123456789abcd";

describe.each(databaseKinds())("integration secrets bound at start-up, on %s", (kind) => {
  let dataDir: string;
  let server: TestDatabase | undefined;
  let app: TestApp | undefined;
  const env = () => ({ DATA_DIR: dataDir, KEYWARD_PEPPER: "b".repeat(64), KEYWARD_ENCRYPTION_KEYS: `1:${masterKey.toString("base64")}` });
  const start = () => startTestApp({ env: env(), databaseUrl: server?.url });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "keyward-binding-"));
    if (kind === "postgres") server = await createTestDatabase("postgres");
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function reveal(key: string, alias: string) {
    const res = await fetch(`${app!.keyward.url}/api/v1/integrations/github/configurations/${alias}?reveal=true`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return { status: res.status, text: await res.text() };
  }

  it("re-encrypts an old row when the app starts; the row then reads only where it belongs", async () => {
    app = await start();
    const admin = await app.keyward.services.access.actorForUser(app.fake.teamId, "UBINDING1", { isWorkspaceAdmin: true }, "slack");
    const apiKey = (await app.keyward.services.keys.create(admin, { name: "binding-admin", role: "Admin", expiresOn: "2030-01-01", timeZone: "UTC" })).secret;
    const config = await app.keyward.services.integrations.add(admin, "github", { alias: "cortex-github", secret });
    // As an older keyward wrote it.
    await app.keyward.db.prisma.integrationConfig.update({
      where: { id: config.id },
      data: { ciphertext: sealLegacy(masterKey, secret, config.id), binding: 1 },
    });
    await app.close();

    app = await start();
    expect(await app.keyward.db.prisma.integrationConfig.findUniqueOrThrow({ where: { id: config.id } })).toMatchObject({ binding: 2, keyVersion: 1 });
    expect(app.logs.some((line) => line.includes("integration secrets re-encrypted with their full binding"))).toBe(true);
    expect(app.logs.join("\n")).not.toContain(secret);
    const read = await reveal(apiKey, "cortex-github");
    expect(read.status).toBe(200);
    expect(JSON.parse(read.text)).toMatchObject({ alias: "cortex-github", secret });

    await app.keyward.db.prisma.integrationConfig.update({ where: { id: config.id }, data: { alias: "impostor" } });
    const moved = await reveal(apiKey, "impostor");
    expect(moved.status).toBe(503);
    expect(JSON.parse(moved.text)).toEqual({ error: { code: "unavailable", message: "A stored secret failed its integrity check and cannot be read." } });
    expect(moved.text).not.toContain(secret);
    // The refused read wrote no audit event of a reveal.
    expect(await app.keyward.db.prisma.auditEvent.count({ where: { action: "integration.reveal" } })).toBe(1);
  });
});
