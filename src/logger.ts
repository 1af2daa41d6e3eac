import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import type { Logger as BoltLogger, LogLevel } from "@slack/bolt";

export type Logger = PinoLogger;

/**
 * Every field that could carry a secret, censored by name at any depth we log. Code never logs a
 * secret on purpose; this is the second fence (tests grep the output).
 */
const redact = [
  "secret",
  "*.secret",
  "*.*.secret",
  "key",
  "*.key",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  "pepper",
  "*.pepper",
  "blocks",
  "*.blocks",
  "text",
  "*.text",
];

/** Anything shaped like a keyward key, wherever it appears in a message string. */
const keyShaped = /kw_[0-9A-Za-z]{20,}/g;
const scrubKeys = (text: string): string => text.replace(keyShaped, "kw_[redacted]");

/** pino, with the fields of `redact` censored and anything shaped like a key scrubbed from message strings. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redact, censor: "[redacted]" },
      base: { app: "keyward" },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === "string" ? scrubKeys(a) : a)) as typeof args;
          return method.apply(this, cleaned);
        },
      },
    },
    destination,
  );
}

/** Bolt's logger interface over pino, so Bolt's own lines go through the same redaction. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: "bolt" });
  // Bolt's LogLevel is a string enum; importing its value would load all of Bolt with the logger.
  let level = "info" as LogLevel;
  const toText = (msg: unknown[]) => msg.map((m) => (typeof m === "string" ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(" ");
  return {
    // Bolt, web-api and socket-mode log whole payloads at debug level (request bodies carrying the
    // one-time secret message, submitted forms carrying typed integration secrets): never forwarded.
    debug: () => {},
    info: (...msg) => child.info(toText(msg)),
    warn: (...msg) => child.warn(toText(msg)),
    error: (...msg) => child.error(toText(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
