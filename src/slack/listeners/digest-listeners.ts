// The weekly digest's Slack side: `/keys digest …` shows or sets where and when it is posted, and a
// key's Delete on a digest asks the `/keys delete` question (whose Delete deletes, with the
// presser's own permissions, through the key list's delete flow).
import type { WebClient } from "@slack/web-api";
import { slackChannelIdPattern } from "../../domain/schemas.ts";
import { type DigestTarget, weekdayNames } from "../command-parser.ts";
import { callerOf, type SlackDeps } from "../slack-deps.ts";
import { escapeMrkdwn, slackDate } from "../views/format.ts";
import { deleteConfirmationMessage } from "../views/notices.ts";
import { decodeRowValue } from "../wire/key-row-values.ts";
import { callerOfRequest, pressListener, replyTo, tell, tellFailure, type ElementArgs, type Reply } from "./listener-support.ts";
import type { DigestRecord, DigestSettings } from "../../domain/digest-types.ts";

const hourText = (hour: number) => `${String(hour).padStart(2, "0")}:00`;

/** How a setting reads: channel, weekday, hour and zone, and when the next digest is due (each reader's own time). */
function settingText(settings: DigestSettings, nextAt?: Date | null): string {
  const when = `${weekdayNames[settings.weekday - 1]}s at ${hourText(settings.hour)} (${settings.timeZone})`;
  const next = nextAt ? `; the next one ${slackDate(nextAt)}` : "";
  return `The weekly key hygiene digest goes to <#${settings.channel}> on ${when}${next}.`;
}

// Slack's codes (not_in_channel) and keyward's own fixed reasons (lower case words): no dots, colons,
// quotes or capitals, which every database or network message carries (hosts, tables, ECONNREFUSED).
const safeReason = /^[a-z][a-z0-9_ ]{0,79}$/;

/** What came of the latest digest: posted, waiting for a retry, or refused (and why, so an Admin can fix it). */
function lastText(last: DigestRecord | null): string {
  if (!last) return "";
  // Everyone in the workspace may read this: Slack's error codes are shown, anything else (a database
  // or network error's message, which may name hosts or tables) only as what kind of failure it was.
  const shown = last.lastError !== null && safeReason.test(last.lastError) ? escapeMrkdwn(last.lastError) : null;
  const reason = last.lastError === null ? "" : ` (${shown ?? "an internal error"})`;
  switch (last.status) {
    case "sent":
      return last.sentAt ? ` The last one (${last.week}) was posted ${slackDate(last.sentAt)}.` : "";
    case "pending":
    case "retry":
      return ` The digest of ${last.week} is not posted yet${reason}; the next pass tries again.`;
    case "undeliverable":
      return ` The digest of ${last.week} could not be posted${shown ? `: Slack said \`${shown}\`` : reason}. Invite the app to the channel (\`/invite @keyward\`) or choose another.`;
    default:
      return "";
  }
}

/** `/keys digest [#channel|here|off] [weekday] [hour]`: shows, or (Admins) sets, the weekly digest. */
export async function runDigestCommand(
  deps: SlackDeps,
  r: {
    client: WebClient;
    respond: NonNullable<Reply["respond"]>;
    workspaceId: string;
    userId: string;
    channelId?: string;
    channelName?: string;
    appId?: string;
  },
  set: DigestTarget | undefined,
): Promise<void> {
  const { actor, user } = await callerOf(deps, r.client, r.workspaceId, r.userId);
  const reply: Reply = { client: r.client, respond: r.respond };
  if (!set) {
    const { settings, last } = await deps.services.digests.settings(actor);
    const text = settings
      ? `${settingText(settings)}${lastText(last)}`
      : "There is no weekly digest. An Admin sets one with `/keys digest #channel monday 9` (weekday and hour in their own time zone).";
    return tell(deps, reply, text, { formatted: true });
  }
  if ("off" in set) {
    await deps.services.digests.setSettings(actor, null);
    return tell(deps, reply, ":white_check_mark: No weekly digest from now on.", { formatted: true });
  }
  const where = set.where;
  // A plain #name can only be told from the channel typed in (keyward may not list channels).
  const typedHere = "here" in where || ("channelName" in where && where.channelName === r.channelName?.toLowerCase());
  if ("channelName" in where && !typedHere)
    return tell(
      deps,
      reply,
      "keyward cannot look channels up by name: type `/keys digest here` in that channel, or choose the channel from Slack's list as you type `#`.",
    );
  const here = typedHere ? r.channelId : undefined;
  if (typedHere && !(here && slackChannelIdPattern.test(here))) return tell(deps, reply, "This is not a channel. Name the channel: `/keys digest #channel`.");
  const channel = "channel" in where ? where.channel : here!;
  const { settings, nextAt } = await deps.services.digests.setSettings(actor, {
    channel,
    weekday: set.weekday,
    hour: set.hour,
    timeZone: user.tz,
    appId: r.appId && /^A[A-Z0-9]{1,30}$/.test(r.appId) ? r.appId : null,
  });
  const text = `:white_check_mark: ${settingText(settings!, nextAt)} Invite the app there (\`/invite @keyward\`) if it is not in it yet.`;
  await tell(deps, reply, text, { formatted: true });
}

/** A key's Delete on a digest: the permission is checked now (a Viewer is refused before any question), then the question, to the presser alone. */
export const digestDeleteButton = pressListener(async (deps, press: ElementArgs) => {
  const reply = replyTo(press);
  try {
    const value = (press.action as { value?: unknown }).value;
    const control = decodeRowValue(typeof value === "string" ? value : undefined);
    if (control?.op !== "delete") return tell(deps, reply, "That button is out of date; nothing was changed.", { emoji: ":warning:" });
    const { actor } = await callerOfRequest(deps, press);
    const key = await deps.services.keys.findForChange(actor, control.keyId);
    const question = deleteConfirmationMessage(key);
    // Below the digest, to the presser alone: the digest stays as it is for everyone else.
    if (press.respond && press.body.response_url)
      await press.respond({ response_type: "ephemeral", replace_original: false, ...(question as { text: string }) });
    else await tell(deps, reply, `Delete ${key.name} with \`/keys delete ${key.name}\`.`);
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
});
