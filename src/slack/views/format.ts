/** Small pure helpers shared by the Block Kit builders. */

/** Escapes user text for mrkdwn (Slack's three control characters). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<!date^…>` so each reader sees the instant in their own zone; the fallback is UTC. */
export function slackDate(at: Date, format = "{date_short_pretty} {time}"): string {
  const seconds = Math.floor(at.getTime() / 1000);
  const fallback = at.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  return `<!date^${seconds}^${format}|${fallback}>`;
}

/** A person as a live mention; programs (`key:<id>`) and keyward itself as plain text. */
export const mention = (userId: string): string => (/^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : `\`${escapeMrkdwn(userId.slice(0, 60))}\``);

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
    plainDayFormats.set(zone, format);
  }
  return `${format.format(at)}${timeZone ? "" : " (UTC)"}`;
}

/** An instant as plain text in UTC, as slackDate's fallback reads. */
export const plainInstant = (at: Date): string => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;

/** Slack user ids are people; anything else (`key:<id>`, "slack", "setup") is a program or keyward itself. */
export const isPerson = (userId: string | null | undefined): userId is string => typeof userId === "string" && /^[UW][A-Z0-9]+$/.test(userId);
