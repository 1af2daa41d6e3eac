import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSecretCipher } from "../../src/domain/secret-cipher.ts";
import {
  resealSlackInstalls,
  type SlackInstallRecord,
  SlackInstallService,
  type SlackTokenRefresh,
  TokenRefreshError,
} from "../../src/domain/slack-install-service.ts";
import { createDomainFixture, type DomainFixture } from "../support/domain-fixture.ts";
import { databaseKinds } from "../support/test-database.ts";
import { seededRandom } from "../support/fixed-runtime.ts";
import { signal } from "../support/waits.ts";

/** A refresh port whose answers wait for `release()`, counting the refresh tokens it was given. */
function gatedRefresh() {
  const spent: string[] = [];
  const gate = signal();
  const began = signal();
  const refresh: SlackTokenRefresh = async (refreshToken) => {
    spent.push(refreshToken);
    began.resolve();
    await gate.promise;
    return { botToken: `xoxb-new-${spent.length}`, refreshToken: `xoxe-new-${spent.length}`, expiresInSeconds: 43_200 };
  };
  return { refresh, spent, release: gate.resolve, began: began.promise };
}

/** Token rotation across instances (issue 13 review): one spend of each single-use refresh token, and never a resurrected row. */
describe.each(databaseKinds())("bot token refresh over one database, on %s", (kind) => {
  let f: DomainFixture;
  beforeAll(async () => {
    f = await createDomainFixture(kind);
  });
  afterAll(async () => {
    await f?.close();
  });

  /** An "instance": its own service, so its own in-process state (flights, lease holder). */
  const instance = (refresh: SlackTokenRefresh, sleep?: (ms: number) => Promise<void>) =>
    new SlackInstallService({ ...f.ctx, random: seededRandom(randomUUID()), slackTokenRefresh: refresh, sleep });

  async function installed(expiresInMs: number): Promise<string> {
    const workspaceId = f.workspace();
    await f.services.access.ensureWorkspace(workspaceId);
    const record: SlackInstallRecord = {
      workspaceId,
      teamId: workspaceId,
      enterpriseId: null,
      isEnterpriseInstall: false,
      appId: "A1",
      botId: "B1",
      botUserId: "U0BOT1",
      installerUserId: "U2",
      details: {},
      tokens: { bot: "xoxb-old", botRefresh: "xoxe-old" },
      botExpiresAt: new Date(f.clock.now().getTime() + expiresInMs),
    };
    await f.services.slackInstalls.save(record);
    return workspaceId;
  }

  it("an install committing while a pass finds the workspace uninstalled leaves it installed and unpaused", async () => {
    const ws = f.workspace();
    await f.services.access.ensureWorkspace(ws);
    const now = f.clock.now();
    const sealed = f.ctx.cipher.seal("{}", { workspaceId: ws, integration: "@slack-install", alias: "tokens", id: ws });
    const gate = signal();
    const inside = signal();
    // The install's transaction as SlackInstallService.save runs it, held open after its writes.
    const install = f.ctx.store.transaction(async (tx) => {
      await tx.slackInstalls.lockWorkspace(ws);
      await tx.slackInstalls.save({
        workspaceId: ws,
        teamId: ws,
        enterpriseId: null,
        isEnterpriseInstall: false,
        appId: "A1",
        botId: "B1",
        botUserId: "U0BOT1",
        installerUserId: "U2",
        details: {},
        sealed,
        botExpiresAt: null,
        installedAt: now,
        lastInstalledAt: now,
        updatedAt: now,
      });
      await tx.slackInstalls.resume(ws);
      inside.resolve();
      await gate.promise;
    });
    await inside.promise;
    // A pass finds no token for it meanwhile (the install has not committed yet), and pauses it if still uninstalled.
    const pausing = f.services.slackInstalls.pauseIfUninstalled(ws);
    // Give a pause that does not wait for the install the time to land; then the install commits.
    await Promise.race([pausing, new Promise((resolve) => setTimeout(resolve, 300))]);
    gate.resolve();
    await install;
    await pausing;
    const row = await f.db.prisma.workspace.findUniqueOrThrow({ where: { id: ws } });
    expect(row.slackPausedAt).toBeNull();
    expect(await f.ctx.store.slackInstalls.find(ws)).not.toBeNull();
  });

  it("two instances refreshing at once spend the refresh token once; both then use the new token", async () => {
    const ws = await installed(60_000);
    const port = gatedRefresh();
    const [one, two] = [instance(port.refresh), instance(port.refresh)];
    const first = one.tokenFor(ws);
    await port.began;
    // The other instance finds the lease taken: it goes on with the stored token, which has not expired yet.
    expect(await two.tokenFor(ws)).toBe("xoxb-old");
    port.release();
    expect(await first).toBe("xoxb-new-1");
    expect(port.spent).toEqual(["xoxe-old"]);
    expect(await two.tokenFor(ws)).toBe("xoxb-new-1");
    expect(port.spent).toHaveLength(1);
    const row = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } });
    expect([row.refreshHolder, row.refreshUntil]).toEqual([null, null]);
    expect(row.botExpiresAt!.getTime()).toBe(f.clock.now().getTime() + 43_200_000);
  });

  it("an instance that takes the lease after another's refresh uses that one's token (it reads the row again)", async () => {
    const ws = await installed(60_000);
    const port = gatedRefresh();
    port.release();
    const stale = instance(port.refresh);
    expect(await instance(port.refresh).tokenFor(ws)).toBe("xoxb-new-1");
    // Its own look-up saw the old row; under the lease it sees the new one and spends nothing.
    const before = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } });
    expect(await (stale as unknown as { refresh: (w: string, r: SlackTokenRefresh) => Promise<SlackInstallRecord> }).refresh(ws, port.refresh)).toMatchObject({
      tokens: { bot: "xoxb-new-1" },
    });
    expect(port.spent).toEqual(["xoxe-old"]);
    expect((await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } })).ciphertext).toBe(before.ciphertext);
  });

  it("a refresh finishing after the uninstall stores nothing: the row stays deleted and the workspace paused", async () => {
    const ws = await installed(60_000);
    const port = gatedRefresh();
    const refreshing = instance(port.refresh).tokenFor(ws);
    await port.began;
    expect(await f.services.slackInstalls.remove(ws)).toBe(true);
    port.release();
    expect(await refreshing).toBeNull();
    expect(await f.db.prisma.slackInstall.count({ where: { workspaceId: ws } })).toBe(0);
    expect((await f.db.prisma.workspace.findUniqueOrThrow({ where: { id: ws } })).slackPausedAt).not.toBeNull();
  });

  it("a reinstall while a refresh is under way keeps the reinstall's token", async () => {
    const ws = await installed(60_000);
    const port = gatedRefresh();
    const refreshing = instance(port.refresh).tokenFor(ws);
    await port.began;
    const current = (await f.services.slackInstalls.find(ws))!;
    await f.services.slackInstalls.save({ ...current, tokens: { bot: "xoxb-reinstalled", botRefresh: "xoxe-reinstalled" } });
    port.release();
    expect(await refreshing).toBe("xoxb-reinstalled");
    expect((await f.services.slackInstalls.find(ws))!.tokens.bot).toBe("xoxb-reinstalled");
  });

  it("a failed refresh keeps the stored token and backs off: nobody tries again for two minutes", async () => {
    const ws = await installed(60_000);
    let attempts = 0;
    const refused: string[] = [];
    const failing = () =>
      new SlackInstallService({
        ...f.ctx,
        random: seededRandom(randomUUID()),
        onRefreshRefused: (w) => refused.push(w),
        slackTokenRefresh: async () => {
          attempts++;
          throw new TokenRefreshError("ratelimited");
        },
      });
    const one = failing();
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    expect(await failing().tokenFor(ws)).toBe("xoxb-old");
    expect(attempts).toBe(1);
    expect(refused).toEqual([]);
    const row = await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } });
    const [dbNow] = await f.db.prisma.$queryRawUnsafe<Array<{ now: Date }>>("SELECT now() AS now");
    expect(row.refreshUntil!.getTime() - dbNow!.now.getTime()).toBeGreaterThan(100_000);
    expect(row.refreshUntil!.getTime() - dbNow!.now.getTime()).toBeLessThanOrEqual(120_000);
  });

  it("a refused refresh token is told once, naming the workspace, and never tried again until a reinstall", async () => {
    const ws = await installed(-1_000);
    let attempts = 0;
    const refused: Array<[string, string]> = [];
    const refusing = () =>
      new SlackInstallService({
        ...f.ctx,
        random: seededRandom(randomUUID()),
        onRefreshRefused: (w, code) => refused.push([w, code]),
        sleep: async () => undefined,
        slackTokenRefresh: async (token) => {
          attempts++;
          if (token === "xoxe-old") throw new TokenRefreshError("invalid_refresh_token");
          return { botToken: "xoxb-after-reinstall-refresh", refreshToken: "xoxe-next", expiresInSeconds: 43_200 };
        },
      });
    const one = refusing();
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    expect(await refusing().tokenFor(ws)).toBe("xoxb-old");
    expect(attempts).toBe(1);
    expect(refused).toEqual([[ws, "invalid_refresh_token"]]);
    // The reinstall's new pair (expiring soon too) is refreshed again.
    const current = (await f.services.slackInstalls.find(ws))!;
    await f.services.slackInstalls.save({ ...current, tokens: { bot: "xoxb-reinstalled", botRefresh: "xoxe-reinstalled" } });
    expect(await one.tokenFor(ws)).toBe("xoxb-after-reinstall-refresh");
    expect(attempts).toBe(2);
  });

  it("a token with an hour left is served at once while one refresh runs behind it; the next call after it uses the new one", async () => {
    const ws = await installed(3600_000);
    const port = gatedRefresh();
    const one = instance(port.refresh);
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    await port.began;
    expect(await one.tokenFor(ws)).toBe("xoxb-old");
    expect(port.spent).toEqual(["xoxe-old"]);
    port.release();
    await one.refreshesSettled();
    expect(await one.tokenFor(ws)).toBe("xoxb-new-1");
    expect(port.spent).toHaveLength(1);
  });

  it("an expired token's caller stops waiting as soon as the other instance's refresh fails (its back-off), going on with the stored token", async () => {
    const ws = await installed(-1_000);
    const port = gatedRefresh();
    const holder = instance(async (token) => {
      await port.refresh(token);
      throw new Error("token refresh failed: ratelimited");
    });
    const failing = holder.tokenFor(ws);
    await port.began;
    const slept: number[] = [];
    const own = gatedRefresh();
    own.release();
    const waiter = instance(own.refresh, async (ms) => {
      slept.push(ms);
      port.release();
      await holder.refreshesSettled();
    });
    expect(await waiter.tokenFor(ws)).toBe("xoxb-old");
    expect(slept).toEqual([250]);
    // The failure backs off for everyone: the waiter does not spend the refresh token either.
    expect(own.spent).toEqual([]);
    expect(await failing).toBe("xoxb-old");
  });

  it("an expired token's caller waits at most 1.5 s for another instance's refresh, then goes on with the stored token", async () => {
    const ws = await installed(-1_000);
    const port = gatedRefresh();
    void instance(port.refresh).tokenFor(ws);
    await port.began;
    const slept: number[] = [];
    const waiter = instance(port.refresh, async (ms) => {
      slept.push(ms);
    });
    expect(await waiter.tokenFor(ws)).toBe("xoxb-old");
    expect(slept.reduce((a, b) => a + b, 0)).toBe(1_500);
    expect(port.spent).toHaveLength(1);
    port.release();
  });

  it("npm run rekey during a refresh skips that row, so the refreshed pair is stored (its refresh token is spent); the next rekey seals it", async () => {
    const key1 = randomBytes(32);
    const v1 = createSecretCipher({ current: 1, keys: new Map([[1, key1]]) });
    const v2 = createSecretCipher({
      current: 2,
      keys: new Map([
        [1, key1],
        [2, randomBytes(32)],
      ]),
    });
    const ws = await installed(60_000);
    const seeded = new SlackInstallService({ ...f.ctx, cipher: v1 });
    await seeded.save({ ...(await f.services.slackInstalls.find(ws))! });
    const port = gatedRefresh();
    const refreshing = new SlackInstallService({ ...f.ctx, cipher: v1, random: seededRandom(randomUUID()), slackTokenRefresh: port.refresh }).tokenFor(ws);
    await port.began;
    const during = await resealSlackInstalls({ store: f.ctx.store, cipher: v2 });
    expect(during.failed).not.toContain(`slack-install:${ws}`);
    expect((await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } })).keyVersion).toBe(1);
    port.release();
    expect(await refreshing).toBe("xoxb-new-1");
    await resealSlackInstalls({ store: f.ctx.store, cipher: v2 });
    expect((await f.db.prisma.slackInstall.findUniqueOrThrow({ where: { workspaceId: ws } })).keyVersion).toBe(2);
    expect((await new SlackInstallService({ ...f.ctx, cipher: v2 }).find(ws))!.tokens).toMatchObject({ bot: "xoxb-new-1", botRefresh: "xoxe-new-1" });
  });

  it("a token far from expiry, or one that does not expire, is not refreshed", async () => {
    const ws = await installed(12 * 3600_000);
    const port = gatedRefresh();
    port.release();
    expect(await instance(port.refresh).tokenFor(ws)).toBe("xoxb-old");
    expect(port.spent).toEqual([]);
  });
});
