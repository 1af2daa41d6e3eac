import { mkdtemp, readFile, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, minReminderLeaseSeconds, reminderSlackTimeoutMs } from "../../src/config/config.ts";
import { resolveServerSecrets } from "../../src/config/local-secrets.ts";

const pepper = randomBytes(32).toString("base64");
const ring = `1:${randomBytes(32).toString("base64")},2:${randomBytes(32).toString("hex")}`;

describe("configuration", () => {
  it("has working defaults for a newcomer", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, dataDir: "./data", logLevel: "info", reminders: { intervalSeconds: 300, days: [30, 14, 7, 3, 1, 0] } });
    // Said apart from a LOG_LEVEL given: npm run keys then logs only warnings.
    expect(config.logLevelSet).toBe(false);
    expect(loadConfig({ LOG_LEVEL: "info" })).toMatchObject({ logLevel: "info", logLevelSet: true });
    expect(loadConfig({ LOG_LEVEL: " " })).toMatchObject({ logLevel: "info", logLevelSet: false });
    expect(config.slack.apiUrl).toBe("https://slack.com/api/");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.metricsPort).toBeUndefined();
  });

  it("serves metrics only on a METRICS_PORT that is set, and never on PORT", () => {
    expect(loadConfig({ METRICS_PORT: "" }).metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: " 9464 " }).metricsPort).toBe(9464);
    // 0 is "any free port" for both, so they cannot clash.
    expect(loadConfig({ PORT: "0", METRICS_PORT: "0" })).toMatchObject({ port: 0, metricsPort: 0 });
    expect(loadConfig({ METRICS_PORT: "9464" }).metricsHost).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "127.0.0.1" }).metricsHost).toBe("127.0.0.1");
  });

  it("keeps the reminder claim lease above every Slack call one delivery can make", () => {
    expect(minReminderLeaseSeconds * 1000).toBeGreaterThan(6 * reminderSlackTimeoutMs);
    expect(loadConfig({}).reminders.leaseSeconds).toBeGreaterThanOrEqual(minReminderLeaseSeconds);
    expect(loadConfig({ REMINDER_CLAIM_LEASE_SECONDS: String(minReminderLeaseSeconds) }).reminders.leaseSeconds).toBe(minReminderLeaseSeconds);
    expect(() => loadConfig({ REMINDER_CLAIM_LEASE_SECONDS: String(reminderSlackTimeoutMs / 1000) })).toThrow(ConfigError);
  });

  it("parses every documented variable", () => {
    const config = loadConfig({
      SLACK_SIGNING_SECRET: "s3cr3t",
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_API_URL: "http://127.0.0.1:9999/api",
      PORT: "0",
      DATABASE_URL: "postgres://u@h/db",
      KEYWARD_PEPPER: pepper,
      KEYWARD_ENCRYPTION_KEYS: ring,
      KEYWARD_ADMINS: "U01, U02",
      REMINDER_DAYS: "1, 7,7,0",
      REMINDER_INTERVAL_SECONDS: "60",
      LOG_LEVEL: "warn",
      GITLAB_REVOCATION_TOKEN: " gitlab-shared-token-0123456789abcdef ",
    });
    expect(config.gitlab.revocationToken).toBe("gitlab-shared-token-0123456789abcdef");
    expect(loadConfig({}).gitlab.revocationToken).toBeUndefined();
    expect(config.slack.apiUrl).toBe("http://127.0.0.1:9999/api/");
    expect(config.port).toBe(0);
    expect([...config.adminUserIds]).toEqual(["U01", "U02"]);
    expect(config.reminders.days).toEqual([7, 1, 0]);
    expect(config.encryptionKeys?.current).toBe(2);
    expect(config.pepper?.length).toBe(32);
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ METRICS_PORT: "metrics" }, "METRICS_PORT"],
    [{ METRICS_PORT: "-1" }, "METRICS_PORT"],
    [{ METRICS_PORT: "3000" }, "METRICS_PORT"],
    [{ PORT: "8080", METRICS_PORT: "8080" }, "METRICS_PORT"],
    [{ METRICS_HOST: "0.0.0.0/0" }, "METRICS_HOST"],
    [{ SLACK_BOT_TOKEN: "xoxp-user" }, "SLACK_BOT_TOKEN"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ DATABASE_URL: "postgres://x/db" }, "KEYWARD_PEPPER"],
    [{ DATABASE_URL: "postgres://x/db", KEYWARD_PEPPER: pepper }, "KEYWARD_ENCRYPTION_KEYS"],
    [{ KEYWARD_PEPPER: "short" }, "KEYWARD_PEPPER"],
    [{ KEYWARD_ENCRYPTION_KEYS: "1:abc" }, "KEYWARD_ENCRYPTION_KEYS"],
    [{ KEYWARD_ENCRYPTION_KEYS: `1:${randomBytes(32).toString("base64")},1:${randomBytes(32).toString("base64")}` }, "KEYWARD_ENCRYPTION_KEYS"],
    [{ KEYWARD_ADMINS: "alice" }, "KEYWARD_ADMINS"],
    [{ REMINDER_DAYS: "30,soon" }, "REMINDER_DAYS"],
    [{ REMINDER_INTERVAL_SECONDS: "1" }, "REMINDER_INTERVAL_SECONDS"],
    [{ REMINDER_CLAIM_LEASE_SECONDS: "5" }, "REMINDER_CLAIM_LEASE_SECONDS"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ SLACK_CLIENT_ID: "1.2" }, "SLACK_CLIENT_ID"],
    // OAuth installs: never beside a bot token (which workspaces, which token?), never over Socket Mode, always signed.
    [{ SLACK_SIGNING_SECRET: "s", SLACK_CLIENT_ID: "1.2", SLACK_CLIENT_SECRET: "c", SLACK_STATE_SECRET: "t", SLACK_BOT_TOKEN: "xoxb-1" }, "SLACK_BOT_TOKEN"],
    [{ SLACK_SIGNING_SECRET: "s", SLACK_CLIENT_ID: "1.2", SLACK_CLIENT_SECRET: "c", SLACK_STATE_SECRET: "t", SLACK_APP_TOKEN: "xapp-1" }, "SLACK_APP_TOKEN"],
    [{ SLACK_CLIENT_ID: "1.2", SLACK_CLIENT_SECRET: "c", SLACK_STATE_SECRET: "t" }, "SLACK_SIGNING_SECRET"],
    [{ TRUST_PROXY: "10.0.0.0/8, proxy.internal" }, "TRUST_PROXY"],
    [{ TRUST_PROXY: "10.0.0.0/33" }, "TRUST_PROXY"],
    [{ TRUST_PROXY: "*" }, "TRUST_PROXY"],
    [{ TRUST_PROXY: "10.0.0.1\nX-Injected: 1" }, "TRUST_PROXY"],
    [{ GITLAB_REVOCATION_TOKEN: "short" }, "GITLAB_REVOCATION_TOKEN"],
    [{ GITLAB_REVOCATION_TOKEN: "a".repeat(31) }, "GITLAB_REVOCATION_TOKEN"],
    [{ GITLAB_REVOCATION_TOKEN: "has a space in it 0123456789" }, "GITLAB_REVOCATION_TOKEN"],
  ])("stops on %j with one line naming %s", (env, name) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith(`Configuration error: ${name} `)).toBe(true);
    expect(message).not.toContain("\n");
    // A bad secret is named, never echoed.
    if ("KEYWARD_PEPPER" in env && env.KEYWARD_PEPPER) expect(message).not.toContain(env.KEYWARD_PEPPER);
    if ("GITLAB_REVOCATION_TOKEN" in env && env.GITLAB_REVOCATION_TOKEN) expect(message).not.toContain(env.GITLAB_REVOCATION_TOKEN);
  });
});

describe("TRUST_PROXY", () => {
  it("trusts no proxy by default", () => {
    expect(loadConfig({}).api.trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: " " }).api.trustProxy).toEqual([]);
  });

  it("reads comma-separated IPv4 and IPv6 addresses and CIDRs", () => {
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8, 192.0.2.7,fd00::/8 , ::ffff:172.16.0.1" }).api.trustProxy).toEqual([
      { network: "10.0.0.0", prefix: 8, family: "ipv4" },
      { network: "192.0.2.7", prefix: 32, family: "ipv4" },
      { network: "fd00:0:0:0:0:0:0:0", prefix: 8, family: "ipv6" },
      { network: "172.16.0.1", prefix: 32, family: "ipv4" },
    ]);
  });

  it("names the bad entry", () => {
    expect(() => loadConfig({ TRUST_PROXY: "10.0.0.1, lb.internal" })).toThrow(
      'Configuration error: TRUST_PROXY entry "lb.internal" is not an IP address or CIDR',
    );
  });
});

describe("server secrets on the embedded database", () => {
  it("generates a pepper and a key ring once, mode 0600, and reads them back", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "keyward-secrets-"));
    const first = await resolveServerSecrets(loadConfig({ DATA_DIR: dataDir }));
    const second = await resolveServerSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect(first.pepper.equals(second.pepper)).toBe(true);
    expect(first.pepper.length).toBe(32);
    expect(first.encryptionKeys.keys.get(1)?.equals(second.encryptionKeys.keys.get(1)!)).toBe(true);
    for (const file of ["pepper", "encryption-keys"]) {
      expect((await stat(join(dataDir, "secrets", file))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(join(dataDir, "secrets"))).mode & 0o777).toBe(0o700);
  });

  it("tightens a loosened file and refuses a corrupted one", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "keyward-secrets-"));
    await resolveServerSecrets(loadConfig({ DATA_DIR: dataDir }));
    const file = join(dataDir, "secrets", "pepper");
    await chmod(file, 0o644);
    await resolveServerSecrets(loadConfig({ DATA_DIR: dataDir }));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFile(file, "not-long-enough");
    await expect(resolveServerSecrets(loadConfig({ DATA_DIR: dataDir }))).rejects.toThrow(/pepper must hold at least 32 bytes/);
  });

  it("uses given values without touching the disk", async () => {
    const dataDir = join(tmpdir(), `keyward-none-${Date.now()}`);
    const secrets = await resolveServerSecrets(loadConfig({ DATA_DIR: dataDir, KEYWARD_PEPPER: pepper, KEYWARD_ENCRYPTION_KEYS: ring }));
    expect(secrets.pepper.toString("base64")).toBe(pepper);
    await expect(readFile(join(dataDir, "secrets", "pepper"))).rejects.toThrow(/ENOENT/);
  });
});
