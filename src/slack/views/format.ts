// Small pure helpers shared by the Block Kit builders.
import { actorNameOf, type ActorName } from "../../domain/directory-service.ts";
import { slackUserIdPattern } from "../../domain/schemas.ts";

/** Escapes user text for mrkdwn (Slack's three control characters). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<!date^…>` so each reader sees the instant in their own zone; the fallback is UTC. */
export function slackDate(at: Date, format = "{date_short_pretty} {time}"): string {
  const seconds = Math.floor(at.getTime() / 1000);
  const fallback = `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
  return `<!date^${seconds}^${format}|${fallback}>`;
}

/**
 * Slack reads `*bold*`, `_italic_`, `~strike~` and `` `code` `` only where the character touches a
 * word's edge (a space, punctuation, the start or end); a backtick anywhere may open code. mrkdwn
 * has no escape for them, so user text with one there is shown in a code span, where Slack reads
 * nothing, rather than changed (a name must stay copyable into `/keys edit <name>`).
 */
const formattingAtEdge = /(^|[\s\p{P}\p{S}])[*_~]|[*_~]($|[\s\p{P}\p{S}])|`/u;

/** User text shown as it is: escaped, and in a code span when Slack could read formatting into it. */
export function literal(text: string): string {
  const escaped = escapeMrkdwn(text);
  if (!formattingAtEdge.test(text)) return escaped;
  // A backtick would end the code span early: such text stays plain (escaped, so it can still inject nothing).
  return text.includes("`") ? escaped : `\`${escaped}\``;
}

/**
 * User text in bold. Never call it inside another `*…*` (no bold inside bold); a name that could
 * break the bold (a `*` at its edge) is shown as code instead, see `literal`.
 */
export function strong(text: string): string {
  return formattingAtEdge.test(text) ? literal(text) : `*${escapeMrkdwn(text)}*`;
}

/**
 * Who did something: a person as a live mention, an API key by its name and last 4
 * (`deploy-bot …DZSo`, `(deleted)` once it is), keyward itself by name. Never a key's id: an id
 * with no name looked up (or a reader who may not see keys) reads "an API key".
 */
export function actorText(who: ActorName | string): string {
  const actor = typeof who === "string" ? actorNameOf(who) : who;
  if (actor.kind === "person") return `<@${actor.userId}>`;
  if (actor.kind === "system") return literal(actor.name);
  if (actor.name === null) return actor.deleted ? "a deleted API key" : "an API key";
  return `${literal(actor.name)} …${escapeMrkdwn(actor.last4 ?? "")}${actor.deleted ? " (deleted)" : ""}`;
}

/** A person as a live mention; programs (keys, by name when known) and keyward itself as text, never an id. */
export const mention = (userId: string): string => actorText(userId);

/** Cuts text to Slack's limit for a field, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const plain = (text: string, max = 3000) => ({ type: "plain_text" as const, text: clip(text, max), emoji: true });
export const mrkdwn = (text: string, max = 3000) => ({ type: "mrkdwn" as const, text: clip(text, max) });

const plainDayFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An expiry day as plain text ("Jan 31, 2030"), in the zone it was chosen in (UTC, said so, for an
 * instant): for top-level `text`, which notifications show as it is, with no `<!date>` to render.
 */
export function plainDay(at: Date, timeZone: string | null | undefined): string {
  const zone = timeZone ?? "UTC";
  let format = plainDayFormats.get(zone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-US", { timeZone: zone, month: "short", day: "numeric", year: "numeric" });
    } catch {
      return plainDay(at, null);
    }
    // Keyed by the zone's canonical name: spellings of one zone ("europe/paris", "EUROPE/PARIS") share an entry, so the cache stays bounded by the zones there are.
    const canonical = format.resolvedOptions().timeZone;
    format = plainDayFormats.get(canonical) ?? format;
    plainDayFormats.set(canonical, format);
  }
  return `${format.format(at)}${timeZone ? "" : " (UTC)"}`;
}

/** How many zones plainDay keeps a format for (tests: spellings of one zone share one). */
export const plainDayCacheSize = (): number => plainDayFormats.size;

/** An instant as plain text in UTC, as slackDate's fallback reads. */
export const plainInstant = (at: Date): string => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;

/** Slack user ids are people; anything else (`key:<id>`, "slack", "setup") is a program or keyward itself. */
export const isPerson = (userId: string | null | undefined): userId is string => typeof userId === "string" && slackUserIdPattern.test(userId);
