import type { WebClient } from "@slack/web-api";
import type { LeakReport } from "../domain/leak-service.ts";
import type { Logger } from "../logger.ts";
import { errorCode, wrongChannel } from "./slack-api-errors.ts";
import type { SecurityRefusalNotices } from "./security-refusal-notices.ts";
import {
  type LeakAudience,
  leakCreatorMessage,
  leakPosterMessage,
  leakSecurityMessage,
  leakSecurityRefusedMessage,
  leakThreadMessage,
  type LeakView,
} from "./views/leak-messages.ts";
import { isPerson } from "./views/format.ts";

/** Where a leak seen in Slack is answered: the conversation, the thread's root, and the message itself. */
export interface LeakThread {
  channel: string;
  threadTs: string;
  /** The message's own ts: equal to threadTs when the message is no reply. */
  messageTs: string;
  /** The person who posted it, told privately in alert only; null for a bot's message (or no one's). */
  poster: string | null;
}

export function leakView(report: LeakReport): LeakView {
  const { key, location } = report;
  const where =
    location.kind === "slack"
      ? { kind: "slack" as const, channel: location.channel, permalink: location.permalink, postedBy: location.postedBy }
      : { kind: "scanner" as const, scanner: location.scanner, location: location.location };
  return {
    keyId: key.id,
    name: key.name,
    last4: key.last4,
    roleName: key.roleName,
    createdBy: key.createdBy,
    revoked: report.revoked,
    endedGrace: report.endedGrace,
    where,
  };
}

type Attempt = (what: string, post: () => Promise<unknown>) => Promise<string | null>;

/** What announcing needs besides the client: the log, and this instance's memory of Admins told of a refusing security channel. */
export interface LeakAnnouncerDeps {
  logger: Logger;
  refusalNotices: SecurityRefusalNotices;
}

/**
 * What a leak's surfaces post, each on its own (one refused post does not stop the others): in
 * Slack, the reply in the message's thread (revoke mode) or a note to the poster alone (alert only,
 * where the key still works and nothing public may say it is one); the creator's DM with **Create
 * a replacement**; the security channel's post if one is set. The Admins are told by DM when no one
 * else heard of it (no creator's DM and no security post went out), and when the security channel
 * refused the post itself (wrongChannel), that refusal at most once an hour per workspace.
 * Failures are logged by Slack's error code only.
 */
export async function announceLeak(client: WebClient, report: LeakReport, deps: LeakAnnouncerDeps, thread?: LeakThread): Promise<void> {
  const { logger } = deps;
  const view = leakView(report);
  /** The post's error code when it failed, null when it went out. */
  const attempt: Attempt = async (what, post) => {
    try {
      await post();
      return null;
    } catch (error) {
      const code = String(errorCode(error)).slice(0, 60);
      logger.warn({ keyId: report.key.id, workspaceId: report.workspaceId, code }, `could not post the leak's ${what}`);
      return code;
    }
  };
  if (thread && report.revoked)
    await attempt("thread reply", () => client.chat.postMessage({ channel: thread.channel, thread_ts: thread.threadTs, ...leakThreadMessage(view) }));
  const told: LeakAudience[] = [];
  if (isPerson(report.key.createdBy) && (await tellCreator(client, view, report.key.createdBy, attempt))) told.push("creator");
  const security = report.securityChannel;
  const refused = security ? await attempt("security channel post", () => client.chat.postMessage({ channel: security, ...leakSecurityMessage(view) })) : null;
  if (security && !refused) told.push("security");
  // Only the channel's own refusal is the Admins' to fix there (invite the app, choose another). Anything
  // else (a passing hiccup, a revoked token, a missing scope, a bad message) no change of channel cures: logged only.
  const channelRefused = security && refused && wrongChannel.has(refused) ? { channel: security, code: refused } : null;
  // Told once an hour, not once a leak: a broken channel would cost up to maxAdminsTold DMs every leak.
  const tellRefusal = channelRefused && deps.refusalNotices.claim(report.workspaceId) ? channelRefused : null;
  // Nobody heard of it so far (no person made the key or their DM failed, and there is no security
  // channel or its post failed): the Admins are, every time, whatever the hourly limit on the refusal notice.
  const nobodyElse = told.length === 0;
  if ((nobodyElse || tellRefusal) && (await tellAdmins(client, report, view, attempt, tellRefusal))) told.push("admins");
  const poster = thread?.poster ?? null;
  // Alert only: the poster alone hears of it, where they posted; a bot (or no one) hears nothing.
  if (thread && !report.revoked && isPerson(poster)) {
    // "Ephemeral messages in threads are only shown if there is already an active thread" (chat.postEphemeral): a reply's note goes in its thread, a top-level message's in the channel.
    const inThread = thread.threadTs !== thread.messageTs ? { thread_ts: thread.threadTs } : {};
    await attempt("note to the poster", () =>
      client.chat.postEphemeral({ channel: thread.channel, user: poster, ...inThread, ...leakPosterMessage(view, told) }),
    );
  }
}

async function tellCreator(client: WebClient, view: LeakView, creator: string, attempt: Attempt): Promise<boolean> {
  const failed = await attempt("DM to the key's creator", async () => {
    const opened = await client.conversations.open({ users: creator });
    const channel = opened.channel?.id;
    if (!channel) throw Object.assign(new Error("no DM"), { code: "no_dm_channel" });
    await client.chat.postMessage({ channel, ...leakCreatorMessage(view) });
  });
  return failed === null;
}

/** Each Admin by DM; true when at least one was told. */
async function tellAdmins(
  client: WebClient,
  report: LeakReport,
  view: LeakView,
  attempt: Attempt,
  refused: { channel: string; code: string } | null,
): Promise<boolean> {
  const message = refused ? leakSecurityRefusedMessage(view, refused.channel, refused.code) : leakSecurityMessage(view);
  let told = false;
  for (const admin of report.admins.filter(isPerson)) {
    const failed = await attempt("DM to an Admin", async () => {
      const opened = await client.conversations.open({ users: admin });
      const channel = opened.channel?.id;
      if (!channel) throw Object.assign(new Error("no DM"), { code: "no_dm_channel" });
      await client.chat.postMessage({ channel, ...message });
    });
    told ||= failed === null;
  }
  return told;
}
