// The one reader of process.env. Everything else receives a parsed Config, so a wrong or missing
// value stops start-up with one line naming it, before anything listens or writes.
import { z } from "zod";
import { parseAddressRange, type AddressRange } from "../api/client-address.ts";
import { isValidTimeZone } from "../domain/expiry.ts";
import { slackUserIdPattern } from "../domain/schemas.ts";
import type { KeyRing } from "../domain/secret-cipher.ts";

/** A wrong or missing setting: its message is the one line that names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const secretBytes = (what: string) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const bytes = decodeSecret(v);
    if (!bytes || bytes.length < 32) {
      ctx.addIssue({ code: "custom", message: `${what} must be at least 32 bytes, written as hex or base64` });
      return z.NEVER;
    }
    return bytes;
  });

/** KEYWARD_ENCRYPTION_KEYS: `1:<base64 32 bytes>,2:<…>`; the highest version encrypts, all decrypt. */
const keyRing = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const ring = parseKeyRing(v);
  if (typeof ring === "string") {
    ctx.addIssue({ code: "custom", message: ring });
    return z.NEVER;
  }
  return ring;
});

/** Each Slack Web API call a reminder makes gives up after this long (the reminder WebClient's timeout). */
export const reminderSlackTimeoutMs = 10_000;
/**
 * The shortest claim lease allowed: one delivery makes at most six Slack calls after renewing its
 * claim (conversations.open and two conversations.history to find an earlier post, the post, and
 * on a refused channel conversations.open and the DM), each up to the timeout, plus a margin. A
 * shorter lease would let another pass take over a claim still being posted, and post it twice.
 * Exported for the tests.
 */
export const minReminderLeaseSeconds = (6 * reminderSlackTimeoutMs) / 1000 + 30;

const wholeNumber = (min: number, max: number, fallback: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

/** METRICS_PORT: unset (the default) serves no metrics at all; 0 picks a free port (tests). */
const optionalPort = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    ctx.addIssue({ code: "custom", message: "must be a port number from 0 to 65535" });
    return z.NEVER;
  }
  return n;
});

const reminderDays = optionalText.transform((v, ctx) => {
  const days = (v ?? "30,14,7,3,1,0").split(",").map((s) => Number(s.trim()));
  if (days.some((d) => !Number.isInteger(d) || d < 0 || d > 365)) {
    ctx.addIssue({ code: "custom", message: "must be whole numbers of days from 0 to 365, comma-separated" });
    return z.NEVER;
  }
  return [...new Set(days)].sort((a, b) => b - a);
});

const csv = optionalText.transform((v) =>
  v
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [],
);

/** TRUST_PROXY: `10.0.0.0/8, 192.0.2.7, fd00::/8`; a bad entry is named (addresses are not secret), quoted so the error stays one line. */
const proxyRanges = csv.transform((entries, ctx) => {
  const ranges: AddressRange[] = [];
  for (const entry of entries) {
    const range = parseAddressRange(entry);
    if (!range) {
      ctx.addIssue({
        code: "custom",
        message: `entry ${JSON.stringify(entry)} is not an IP address or CIDR (comma-separated, such as 10.0.0.0/8, 192.0.2.7, fd00::/8)`,
      });
      return z.NEVER;
    }
    ranges.push(range);
  }
  return ranges;
});

const envSchema = z
  .object({
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith("xoxb-"), "must be a bot token (xoxb-…)"),
    SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith("xapp-"), "must be an app-level token (xapp-…)"),
    SLACK_CLIENT_ID: optionalText,
    SLACK_CLIENT_SECRET: optionalText,
    SLACK_STATE_SECRET: optionalText,
    SLACK_API_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()).default("https://slack.com/api/"),
    PORT: wholeNumber(0, 65535, 3000),
    METRICS_PORT: optionalPort,
    // An address to bind metrics to (e.g. 127.0.0.1 for a scraper on the same host); default: all interfaces, like PORT.
    METRICS_HOST: optionalText.refine((v) => v === undefined || /^[0-9A-Za-z.:-]{1,253}$/.test(v), "must be a host name or an IP address"),
    DATA_DIR: optionalText.default("./data"),
    DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), "must be a postgres:// URL"),
    KEYWARD_PEPPER: secretBytes("the pepper"),
    KEYWARD_ENCRYPTION_KEYS: keyRing,
    KEYWARD_ADMINS: csv.refine((ids) => ids.every((id) => slackUserIdPattern.test(id)), "must be Slack user ids (U…), comma-separated"),
    REMINDER_INTERVAL_SECONDS: wholeNumber(10, 86_400, 300),
    REMINDER_DAYS: reminderDays,
    REMINDER_CLAIM_LEASE_SECONDS: wholeNumber(minReminderLeaseSeconds, 3600, 120),
    LOG_LEVEL: optionalText.pipe(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional()),
    DEFAULT_TIME_ZONE: optionalText.refine((v) => v === undefined || isValidTimeZone(v), "must be an IANA time zone").default("UTC"),
    API_AUTH_FAILURES_PER_MINUTE: wholeNumber(1, 100_000, 20),
    TRUST_PROXY: proxyRanges,
    // GitLab sends it as the bare Authorization header: printable, no spaces. At least 32 characters,
    // because guessing is what stops it: the failed-authentication limit only answers 429 to wrong
    // tokens, never refusing the right one (which would let anyone sharing GitLab's address lock it out).
    GITLAB_REVOCATION_TOKEN: optionalText.refine(
      (v) => v === undefined || /^[\x21-\x7e]{32,512}$/.test(v),
      "must be 32 to 512 printable characters without spaces, e.g. `openssl rand -hex 32` (GitLab sends it as the Authorization header)",
    ),
  })
  .superRefine((env, ctx) => {
    const oauth = [env.SLACK_CLIENT_ID, env.SLACK_CLIENT_SECRET, env.SLACK_STATE_SECRET].filter(Boolean).length;
    if (oauth > 0 && oauth < 3) {
      ctx.addIssue({ code: "custom", path: ["SLACK_CLIENT_ID"], message: "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET go together" });
    }
    // One way of being installed at a time: a bot token beside OAuth would leave it unclear which
    // workspaces are served and with which token, so the start is refused rather than one silently winning.
    if (oauth === 3 && env.SLACK_BOT_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_BOT_TOKEN"],
        message:
          "must not be set with SLACK_CLIENT_ID/SECRET/STATE_SECRET: unset it to serve the workspaces installed through OAuth, or unset those three to serve the bot token's workspace only",
      });
    }
    // The installer's pages (GET /slack/install, /slack/oauth_redirect) are served by the HTTP receiver.
    if (oauth === 3 && env.SLACK_APP_TOKEN) {
      ctx.addIssue({
        code: "custom",
        path: ["SLACK_APP_TOKEN"],
        message: "must not be set with OAuth installs (they are served over HTTP: unset SLACK_APP_TOKEN)",
      });
    }
    if (oauth === 3 && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({ code: "custom", path: ["SLACK_SIGNING_SECRET"], message: "is required with SLACK_CLIENT_ID/SECRET/STATE_SECRET (OAuth installs)" });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: "custom", path: ["METRICS_PORT"], message: "must differ from PORT (metrics are never served beside the Slack endpoint)" });
    }
    if (env.DATABASE_URL && !env.KEYWARD_PEPPER) {
      ctx.addIssue({ code: "custom", path: ["KEYWARD_PEPPER"], message: "is required with DATABASE_URL (every instance must share it)" });
    }
    if (env.DATABASE_URL && !env.KEYWARD_ENCRYPTION_KEYS) {
      ctx.addIssue({ code: "custom", path: ["KEYWARD_ENCRYPTION_KEYS"], message: "is required with DATABASE_URL (every instance must share it)" });
    }
  });

export interface Config {
  slack: {
    signingSecret?: string;
    botToken?: string;
    appToken?: string;
    oauth?: { clientId: string; clientSecret: string; stateSecret: string };
    apiUrl: string;
  };
  port: number;
  /** METRICS_PORT: GET /metrics on its own server; undefined (the default): no metrics, prom-client not even loaded. */
  metricsPort?: number;
  /** METRICS_HOST: the address the metrics server binds; undefined: all interfaces. */
  metricsHost?: string;
  dataDir: string;
  databaseUrl?: string;
  /** Undefined only on the embedded database, where local-secrets.ts generates them. */
  pepper?: Buffer;
  encryptionKeys?: KeyRing;
  adminUserIds: ReadonlySet<string>;
  /** leaseSeconds: how long a claimed reminder is trusted to its claimant before another pass takes it over. */
  reminders: { intervalSeconds: number; days: number[]; leaseSeconds: number };
  logLevel: string;
  /** LOG_LEVEL was set: a command that prints its own output (npm run keys) logs below warn only when asked. */
  logLevelSet: boolean;
  defaultTimeZone: string;
  /** trustProxy: the proxies (TRUST_PROXY) whose X-Forwarded-For is believed; empty by default. */
  api: { authFailuresPerMinute: number; trustProxy: AddressRange[] };
  /** GITLAB_REVOCATION_TOKEN: GitLab's Token Revocation API under /gitlab/v1 (undefined: off, 404). */
  gitlab: { revocationToken?: string };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "configuration");
    throw new ConfigError(`Configuration error: ${name} ${issue.message}.`);
  }
  const e = parsed.data;
  return {
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      oauth:
        e.SLACK_CLIENT_ID && e.SLACK_CLIENT_SECRET && e.SLACK_STATE_SECRET
          ? { clientId: e.SLACK_CLIENT_ID, clientSecret: e.SLACK_CLIENT_SECRET, stateSecret: e.SLACK_STATE_SECRET }
          : undefined,
      apiUrl: e.SLACK_API_URL.endsWith("/") ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
    },
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    pepper: e.KEYWARD_PEPPER,
    encryptionKeys: e.KEYWARD_ENCRYPTION_KEYS,
    adminUserIds: new Set(e.KEYWARD_ADMINS),
    reminders: { intervalSeconds: e.REMINDER_INTERVAL_SECONDS, days: e.REMINDER_DAYS, leaseSeconds: e.REMINDER_CLAIM_LEASE_SECONDS },
    logLevel: e.LOG_LEVEL ?? "info",
    logLevelSet: e.LOG_LEVEL !== undefined,
    defaultTimeZone: e.DEFAULT_TIME_ZONE,
    api: { authFailuresPerMinute: e.API_AUTH_FAILURES_PER_MINUTE, trustProxy: e.TRUST_PROXY },
    gitlab: { revocationToken: e.GITLAB_REVOCATION_TOKEN },
  };
}

export function decodeSecret(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return Buffer.from(text, "base64");
  return undefined;
}

/** Parses `version:base64,…`; returns a message naming what is wrong, or the ring. */
export function parseKeyRing(text: string): KeyRing | string {
  const keys = new Map<number, Buffer>();
  for (const entry of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^(\d{1,6}):(.+)$/.exec(entry);
    if (!match) return "must be version:key pairs such as 1:<base64 of 32 bytes>, comma-separated";
    const version = Number(match[1]);
    const key = decodeSecret(match[2]!);
    if (key?.length !== 32) return `key version ${version} must be exactly 32 bytes (base64 or hex)`;
    if (keys.has(version)) return `key version ${version} appears twice`;
    keys.set(version, key);
  }
  if (keys.size === 0) return "must hold at least one key";
  return { current: Math.max(...keys.keys()), keys };
}

export function formatKeyRing(ring: KeyRing): string {
  return [...ring.keys].map(([v, k]) => `${v}:${k.toString("base64")}`).join(",");
}
