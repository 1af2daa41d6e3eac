import type { WebClient } from "@slack/web-api";
import type { LeakMode } from "../../domain/leak-settings.ts";
import { slackChannelIdPattern } from "../../domain/schemas.ts";
import type { ApprovalsTarget } from "../command-parser.ts";
import { callerOf, type SlackDeps } from "../slack-deps.ts";
import { tell, type Reply } from "./listener-support.ts";

const modeText = (mode: LeakMode) =>
  mode === "revoke" ? "a leaked key is revoked at once" : "a leaked key is only reported (*alert only*): it keeps working until someone rolls or deletes it";

/**
 * `/keys security [#channel|here|off|alert-only|revoke]`: shows, or (Admins) sets, where leaked keys
 * are reported and whether they are revoked. The creator's DM goes out either way; the thread reply in
 * revoke mode only (alert only tells the poster alone).
 */
export async function runSecurityCommand(
  deps: SlackDeps,
  r: { client: WebClient; respond: NonNullable<Reply["respond"]>; workspaceId: string; userId: string; channelId?: string; channelName?: string },
  set: ApprovalsTarget | { mode: LeakMode } | undefined,
): Promise<void> {
  const { actor } = await callerOf(deps, r.client, r.workspaceId, r.userId);
  const reply: Reply = { client: r.client, respond: r.respond };
  if (!set) {
    const settings = await deps.services.leaks.settings(actor);
    const where = settings.securityChannel
      ? `Leaked keys are reported in <#${settings.securityChannel}>`
      : "There is no security channel (an Admin sets one with `/keys security #channel`): leaked keys are reported in the message's thread and to the key's creator only";
    return tell(deps, reply, `${where}; ${modeText(settings.leakMode)}.`, { formatted: true });
  }
  if ("mode" in set) {
    await deps.services.leaks.setLeakMode(actor, set.mode);
    return tell(deps, reply, `:white_check_mark: From now on ${modeText(set.mode)}.`, { formatted: true });
  }
  // A plain #name can only be told from the channel typed in (keyward may not list channels).
  const typedHere = "here" in set || ("channelName" in set && set.channelName === r.channelName?.toLowerCase());
  if ("channelName" in set && !typedHere)
    return tell(
      deps,
      reply,
      "keyward cannot look channels up by name: type `/keys security here` in that channel, or choose the channel from Slack's list as you type `#`.",
    );
  const here = typedHere ? r.channelId : undefined;
  if (typedHere && !(here && slackChannelIdPattern.test(here))) return tell(deps, reply, "This is not a channel. Name the channel: `/keys security #channel`.");
  const channel = "off" in set ? null : "channel" in set ? set.channel : here!;
  await deps.services.leaks.setSecurityChannel(actor, channel);
  const text = channel
    ? `:white_check_mark: Leaked keys are now reported in <#${channel}>; invite the app there (\`/invite @keyward\`) if it is not in it yet.`
    : ":white_check_mark: No security channel: leaked keys are reported in the message's thread and to the key's creator only.";
  await tell(deps, reply, text, { formatted: true });
}
