import type { WebClient } from "@slack/web-api";
import type { LeakReport } from "../domain/leak-service.ts";
import type { Logger } from "../logger.ts";
import { leakCreatorMessage, leakSecurityMessage, leakThreadMessage, type LeakView } from "./views/leak-messages.ts";
import { isPerson } from "./views/format.ts";

/** Where a leak seen in Slack is answered in its thread: the conversation, and the thread's root. */
export interface LeakThread {
  channel: string;
  threadTs: string;
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

/**
 * What a leak's surfaces post, each on its own (one refused post does not stop the others): the
 * reply in the message's thread (Slack only), the creator's DM with **Create a replacement**, and
 * the security channel's post if one is set. Failures are logged by Slack's error code only.
 */
export async function announceLeak(client: WebClient, report: LeakReport, logger: Logger, thread?: LeakThread): Promise<void> {
  const view = leakView(report);
  const attempt = async (what: string, post: () => Promise<unknown>) => {
    try {
      await post();
    } catch (error) {
      logger.warn({ keyId: report.key.id, workspaceId: report.workspaceId, code: slackCode(error) }, `could not post the leak's ${what}`);
    }
  };
  if (thread) await attempt("thread reply", () => client.chat.postMessage({ channel: thread.channel, thread_ts: thread.threadTs, ...leakThreadMessage(view) }));
  if (isPerson(report.key.createdBy)) {
    const creator = report.key.createdBy;
    await attempt("DM to the key's creator", async () => {
      const opened = await client.conversations.open({ users: creator });
      const channel = opened.channel?.id;
      if (channel) await client.chat.postMessage({ channel, ...leakCreatorMessage(view) });
    });
  }
  const security = report.securityChannel;
  if (security) await attempt("security channel post", () => client.chat.postMessage({ channel: security, ...leakSecurityMessage(view) }));
  // Neither a person who made the key nor a security channel: the Admins hear of it, each by DM.
  if (!isPerson(report.key.createdBy) && !security)
    for (const admin of report.admins.filter(isPerson))
      await attempt("DM to an Admin", async () => {
        const opened = await client.conversations.open({ users: admin });
        const channel = opened.channel?.id;
        if (channel) await client.chat.postMessage({ channel, ...leakSecurityMessage(view) });
      });
}

function slackCode(error: unknown): string {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : String((error as { code?: unknown }).code ?? "unknown").slice(0, 60);
}
