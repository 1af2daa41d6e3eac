import { randomBytes } from "node:crypto";
import type { Installation } from "@slack/oauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reencryptSecrets } from "../../src/domain/rekey-service.ts";
import { createSecretCipher } from "../../src/domain/secret-cipher.ts";
import type { SlackInstallRecord } from "../../src/domain/slack-install-service.ts";
import { createLogger } from "../../src/logger.ts";
import { createAuthorize, createInstallationStore, servedByInstall } from "../../src/slack/oauth-installs.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { SlackInstallService } from "../../src/domain/slack-install-service.ts";

const silent = createLogger("silent");

const teamInstall = (teamId: string, token: string, extra: Partial<Installation> = {}): Installation =>
  ({
    team: { id: teamId, name: "Alpha" },
    enterprise: undefined,
    user: { id: "UINSTALL1", token: undefined, scopes: undefined },
    bot: { token, scopes: ["commands", "chat:write"], id: "B0001", userId: "U0BOT1" },
    appId: "A0001",
    tokenType: "bot",
    isEnterpriseInstall: false,
    authVersion: "v2",
    ...extra,
  }) as Installation;

describe("the InstallationStore adapter over the database", () => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture("pglite");
  });
  afterAll(async () => {
    await f?.close();
  });

  it("stores a team install sealed, finds it by team only, and updates it in place", async () => {
    const store = createInstallationStore(f.services.slackInstalls, silent);
    const teamId = f.workspace();
    await store.storeInstallation(teamInstall(teamId, "xoxb-first-secret-token"));
    const fetched = await store.fetchInstallation({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
    expect(fetched).toMatchObject({
      team: { id: teamId, name: "Alpha" },
      bot: { token: "xoxb-first-secret-token", userId: "U0BOT1", id: "B0001" },
      authVersion: "v2",
    });
    // Nothing in the clear, and a refresh stores the same installation again: one row, new token.
    const row = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: teamId } });
    expect(JSON.stringify(row)).not.toContain("xoxb-first-secret-token");
    await store.storeInstallation(
      teamInstall(teamId, "xoxb-second-token", { bot: { ...fetched.bot!, token: "xoxb-second-token", refreshToken: "xoxe-1-r", expiresAt: 1_900_000_000 } }),
    );
    expect(await f.db.prisma.slackInstall.count({ where: { workspaceId: teamId } })).toBe(1);
    const again = await store.fetchInstallation({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
    expect(again.bot).toMatchObject({ token: "xoxb-second-token", refreshToken: "xoxe-1-r", expiresAt: 1_900_000_000 });
    // Another team, or the same id asked as an org, finds nothing.
    await expect(store.fetchInstallation({ teamId: f.workspace(), enterpriseId: undefined, isEnterpriseInstall: false })).rejects.toThrow(/not installed/);
    await expect(store.fetchInstallation({ teamId: undefined, enterpriseId: teamId, isEnterpriseInstall: true })).rejects.toThrow(/not installed/);
  });

  it("stores an org-wide install by its enterprise, whatever team the installer names", async () => {
    const store = createInstallationStore(f.services.slackInstalls, silent);
    const enterpriseId = `E${f.workspace().slice(1)}`;
    await store.storeInstallation(
      teamInstall("T0STRAY001", "xoxb-org-token", { team: undefined, enterprise: { id: enterpriseId, name: "Grid" }, isEnterpriseInstall: true }),
    );
    const row = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: enterpriseId } });
    expect([row.teamId, row.enterpriseId, row.isEnterpriseInstall]).toEqual([null, enterpriseId, true]);
    // Any team of the org asks with is_enterprise_install true and finds it.
    const found = await store.fetchInstallation({ teamId: "T0ANYTEAM1", enterpriseId, isEnterpriseInstall: true } as never);
    expect(found.bot?.token).toBe("xoxb-org-token");
    expect(servedByInstall((await f.services.slackInstalls.find(enterpriseId))!)).toEqual({ enterpriseId, isEnterpriseInstall: true });
  });

  it("deletes idempotently, and a ciphertext moved onto another row does not open", async () => {
    const store = createInstallationStore(f.services.slackInstalls, silent);
    const [a, b] = [f.workspace(), f.workspace()];
    await store.storeInstallation(teamInstall(a, "xoxb-token-of-a"));
    await store.storeInstallation(teamInstall(b, "xoxb-token-of-b"));
    const rowA = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: a } });
    await f.db.prisma.slackInstall.update({ where: { workspaceId: b }, data: { ciphertext: rowA.ciphertext } });
    await expect(f.services.slackInstalls.find(b)).rejects.toThrow(/integrity/);
    await store.deleteInstallation!({ teamId: a, enterpriseId: undefined, isEnterpriseInstall: false });
    await store.deleteInstallation!({ teamId: a, enterpriseId: undefined, isEnterpriseInstall: false });
    expect(await f.services.slackInstalls.find(a)).toBeNull();
  });

  it("npm run rekey re-seals installation tokens under the newest key", async () => {
    const store = createInstallationStore(f.services.slackInstalls, silent);
    const ws = f.workspace();
    await store.storeInstallation(teamInstall(ws, "xoxb-rekeyed-token"));
    // The fixture's ring is version 1; a ring with a version 2 that still holds key 1 re-seals every row.
    const key1 = randomBytes(32);
    const v1 = createSecretCipher({ current: 1, keys: new Map([[1, key1]]) });
    const v2 = createSecretCipher({
      current: 2,
      keys: new Map([
        [1, key1],
        [2, randomBytes(32)],
      ]),
    });
    await new SlackInstallService({ ...f.ctx, cipher: v1 }).save({ ...(await f.services.slackInstalls.find(ws))!, tokens: { bot: "xoxb-rekeyed-token" } });
    const result = await reencryptSecrets({ store: f.ctx.store, cipher: v2 });
    // Rows of the other tests were sealed with the fixture's own key: they are reported, not fatal.
    expect(result.failed).not.toContain(`slack-install:${ws}`);
    expect(result.reencrypted).toBeGreaterThanOrEqual(1);
    expect((await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } })).keyVersion).toBe(2);
    expect((await new SlackInstallService({ ...f.ctx, cipher: v2 }).find(ws))?.tokens.bot).toBe("xoxb-rekeyed-token");
  });
});

describe("authorize: every request from its workspace's current installation", () => {
  const record = (token: string): SlackInstallRecord => ({
    workspaceId: "T0ONE00001",
    teamId: "T0ONE00001",
    enterpriseId: null,
    isEnterpriseInstall: false,
    appId: "A1",
    botId: "B1",
    botUserId: "U1",
    installerUserId: "U2",
    details: {},
    tokens: { bot: token },
    botExpiresAt: null,
  });
  const query = { teamId: "T0ONE00001", enterpriseId: undefined, isEnterpriseInstall: false as const };

  it("answers with the token current() gives (refreshed there), for the workspace the request names", async () => {
    const asked: string[] = [];
    const authorize = createAuthorize({
      current: async (workspaceId) => {
        asked.push(workspaceId);
        return record("xoxb-current");
      },
    });
    const result = await authorize(query);
    expect(result.botToken).toBe("xoxb-current");
    expect(asked).toEqual(["T0ONE00001"]);
    expect(result.servedWorkspace).toEqual({ teamId: "T0ONE00001", enterpriseId: undefined, isEnterpriseInstall: false });
  });

  it("refuses a workspace that is not installed, one of the other kind, and one that names none", async () => {
    await expect(createAuthorize({ current: async () => null })(query)).rejects.toThrow(/not installed/);
    await expect(
      createAuthorize({ current: async () => record("x") })({ ...query, isEnterpriseInstall: true, enterpriseId: "T0ONE00001" } as never),
    ).rejects.toThrow(/not installed/);
    await expect(
      createAuthorize({ current: async () => record("x") })({ teamId: undefined, enterpriseId: undefined, isEnterpriseInstall: false } as never),
    ).rejects.toThrow(/names no workspace/);
  });
});
