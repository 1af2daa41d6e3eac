// Putting a key request to its approvers, and keeping their messages true to what became of it:
// posted once (the approvals channel, else each Admin's DM), updated in place once decided.
import type { WebClient } from "@slack/web-api";
import type { DomainServices } from "../domain/index.ts";
import type { KeyRequest, PostedMessage } from "../domain/types.ts";
import type { Logger } from "../logger.ts";
import { mention, strong } from "./views/format.ts";
import { keyRequestMessage, requestNotice } from "./views/key-request-message.ts";
import { errorCode } from "./slack-api-errors.ts";

/** Where a request's message went: the channel, the Admins' DMs, or nowhere. */
export type PutTo = { route: "channel"; channel: string } | { route: "dm"; admins: string[] } | { route: "nobody" };

type Deps = { services: Pick<DomainServices, "keyRequests">; logger: Logger };

/**
 * Posts the request where approvers decide: the approvals channel; where Slack refuses that (the
 * app is not in it, it was archived), or without one, each Admin's DM. The messages are recorded
 * with the request, so that a decision updates every one of them.
 */
export async function putToApprovers(deps: Deps, client: WebClient, request: KeyRequest): Promise<PutTo> {
  const route = await deps.services.keyRequests.approvalRoute(request);
  const message = keyRequestMessage(request);
  if ("channel" in route) {
    try {
      const posted = await client.chat.postMessage({ channel: route.channel, ...message });
      if (posted.ts && posted.channel) {
        await recorded(deps, client, request, [{ channel: posted.channel, ts: posted.ts }]);
        return { route: "channel", channel: route.channel };
      }
    } catch (error) {
      deps.logger.warn({ slackError: errorCode(error) }, "could not post a key request in the approvals channel; asking the Admins by DM");
    }
  }
  const asked = "admins" in route ? route.admins : await deps.services.keyRequests.adminsFor(request);
  const posted: PostedMessage[] = [];
  const reached: string[] = [];
  for (const admin of asked) {
    try {
      const opened = await client.conversations.open({ users: admin });
      const channel = opened.channel?.id;
      if (!channel) continue;
      const sent = await client.chat.postMessage({ channel, ...message });
      if (sent.ts) {
        posted.push({ channel, ts: sent.ts });
        reached.push(admin);
      }
    } catch (error) {
      deps.logger.warn({ slackError: errorCode(error) }, "could not put a key request to an Admin by DM");
    }
  }
  if (posted.length > 0) await recorded(deps, client, request, posted);
  return reached.length > 0 ? { route: "dm", admins: reached } : { route: "nobody" };
}

/** Records the messages; a decision that came meanwhile (a click on the first DM while the others went out) is applied to them all. */
async function recorded(deps: Deps, client: WebClient, request: KeyRequest, messages: PostedMessage[]): Promise<void> {
  await deps.services.keyRequests.recordMessages(request.workspaceId, request.id, messages);
  const now = await deps.services.keyRequests.get(request, request.id);
  if (now.status !== "pending") await updateRequestMessages(deps, client, now);
}

/** Codes for which another try later may work; anything else (the message was deleted) will not. */
const passing = new Set([
  "ratelimited",
  "rate_limited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
  "slack_webapi_request_error",
]);

/**
 * Rewrites every message of the request with what became of it, read afresh: a message recorded
 * since the caller looked, and the request's latest state, both count. The decision is already in
 * the database: when Slack refuses for a passing reason (429, 5xx, a timeout), the request is marked
 * stale and the next key-request pass rewrites its messages again; a message gone for good is left.
 */
export async function updateRequestMessages(deps: Deps, client: WebClient, which: Pick<KeyRequest, "workspaceId" | "id">): Promise<boolean> {
  const request = await deps.services.keyRequests.get(which, which.id);
  const message = keyRequestMessage(request);
  let stale = false;
  for (const posted of request.messages) {
    try {
      await client.chat.update({ channel: posted.channel, ts: posted.ts, ...message });
    } catch (error) {
      const code = errorCode(error);
      const status = (error as { statusCode?: number }).statusCode;
      if (passing.has(code) || (status !== undefined && status >= 500) || code.startsWith("slack_webapi_")) stale = true;
      deps.logger.warn({ slackError: code }, "could not update a key request's message");
    }
  }
  await deps.services.keyRequests
    .messagesStale(request, stale)
    .catch((error: unknown) => deps.logger.warn({ err: error }, "could not record whether a key request's messages are up to date"));
  return !stale;
}

/** Tells the requester, in their DM with the app, what became of their request (never a secret). */
export async function tellRequester(deps: Deps, client: WebClient, request: Pick<KeyRequest, "requestedBy">, text: string): Promise<boolean> {
  try {
    await client.chat.postMessage({ channel: request.requestedBy, ...requestNotice(text) });
    return true;
  } catch (error) {
    deps.logger.warn({ slackError: errorCode(error) }, "could not tell a requester about their key request");
    return false;
  }
}

/** Which Slack client speaks for a workspace (OAuth: its installation's; null when not installed). */
export type RequestClientFor = (workspaceId: string) => Promise<WebClient | null>;

/**
 * The periodic pass (beside the reminder passes): requests pending for 7 days expire (each once,
 * across instances) and their messages say so, the requester told; messages left stale by a
 * passing Slack failure are rewritten. Returns how many expired.
 */
export async function keyRequestPass(deps: Deps, clientFor: RequestClientFor): Promise<number> {
  const expired = await deps.services.keyRequests.expireLapsed();
  for (const request of expired) {
    const client = await clientFor(request.workspaceId);
    if (!client) continue;
    await updateRequestMessages(deps, client, request);
    await tellRequester(
      deps,
      client,
      request,
      `Your request for the key ${strong(request.name)} expired: nobody decided within 7 days. Ask again with \`/keys request\` if you still need it.`,
    );
  }
  await tellUndelivered(deps, clientFor);
  for (const request of await deps.services.keyRequests.staleMessages()) {
    // One workspace's failure (a token refresh that fails, say) must not hold up the others'.
    try {
      const client = await clientFor(request.workspaceId);
      if (client) await updateRequestMessages(deps, client, request);
    } catch (error) {
      deps.logger.warn({ err: error }, "could not rewrite a key request's stale messages; the next pass tries again");
    }
  }
  return expired.length;
}

/**
 * Requests whose approved key was swept (the process that approved it died before the delivery
 * was confirmed, so the key was removed again, rule 4): nobody else is left to say so. Each notice
 * is claimed once across instances, then requester and approver are told by DM with the app and
 * the messages rewritten (they are stale, so a failed rewrite is tried again by the stale pass).
 */
async function tellUndelivered(deps: Deps, clientFor: RequestClientFor): Promise<void> {
  for (const request of await deps.services.keyRequests.takeUndeliveredNotices()) {
    // Claimed already: a failure here is logged and not retried (at most once), and never stops the rest of the batch.
    try {
      await tellOneUndelivered(deps, clientFor, request);
    } catch (error) {
      deps.logger.warn({ err: error }, "could not tell the requester and approver of an undelivered key request");
    }
  }
}

async function tellOneUndelivered(deps: Deps, clientFor: RequestClientFor, request: KeyRequest): Promise<void> {
  const client = await clientFor(request.workspaceId);
  if (!client) {
    deps.logger.warn("no Slack client for a workspace with an undelivered key request; its requester and approver are not told");
    return;
  }
  const approver = request.decidedBy ? mention(request.decidedBy) : "an approver";
  await tellRequester(
    deps,
    client,
    request,
    `Your request for the key ${strong(request.name)} was approved by ${approver}, but the key's delivery to you was never confirmed, so it was removed again: nothing is live. Ask again with \`/keys request\` if you still need it.`,
  );
  if (request.decidedBy && request.decidedBy !== "keyward") {
    await tellRequester(
      deps,
      client,
      { requestedBy: request.decidedBy },
      `The key ${strong(request.name)} you approved for ${mention(request.requestedBy)} was removed again: its delivery was never confirmed, so nothing is live. They were told and can ask again.`,
    );
  }
  await updateRequestMessages(deps, client, request);
}
