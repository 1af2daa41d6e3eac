import type { WebClient } from "@slack/web-api";
import { isDomainError, type ErrorCode } from "../../domain/errors.ts";
import { AlreadyDecided } from "../../domain/key-request-service.ts";
import { slackChannelIdPattern } from "../../domain/schemas.ts";
import type { Actor, KeyRequest } from "../../domain/types.ts";
import type { ApprovalsTarget } from "../command-parser.ts";
import { putToApprovers, tellRequester, updateRequestMessages, type PutTo } from "../key-request-messages.ts";
import { deliverOrUndo } from "../secret-delivery.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { actorText, escapeMrkdwn, mention, strong } from "../views/format.ts";
import type { KeyFieldsPrefill } from "../views/create-key-modal.ts";
import { approvalBlockedMessage } from "../views/key-request-message.ts";
import { denyRequestModal, keyRequestModal, parseDenyRequestModal, parseKeyRequestModal } from "../views/key-request-modal.ts";
import { secretMessage } from "../views/secret-message.ts";
import { decodeDenyFormRequestId, decodeRequestFormOrigin, encodeDenyFormMetadata, encodeRequestFormMetadata } from "../wire/form-metadata.ts";
import { decodeRequestValue } from "../wire/request-values.ts";
import { forms } from "./forms.ts";
import { policyFacts } from "./secret-forms.ts";
import { openForm, pressListener, triggerOf, replyTo, tell, tellFailure, type ButtonArgs, type FormTrigger, type Reply } from "./listener-support.ts";
import { answered, invalidForm, submissionListener } from "./submission.ts";

/**
 * The request form for this person, stating the workspace policy like the create form; `why`: the
 * line saying why it opened instead of the create form; `prefill`: a create refused for four eyes.
 */
export async function keyRequestForm(
  deps: SlackDeps,
  actor: Actor,
  timeZone: string,
  origin: { channelId?: string },
  why?: string,
  prefill?: KeyFieldsPrefill,
) {
  const roles = await deps.services.keyRequests.requestOptions(actor);
  const facts = await policyFacts(deps, actor, { kinds: ["service", "personal"], timeZone, initialKind: prefill?.kind, suggested: prefill?.expiresOn });
  return keyRequestModal({
    roles: roles.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions })),
    defaultDay: facts.defaultDay,
    expiryLimit: facts.expiryLimit,
    descriptionRequired: facts.descriptionRequired,
    timeZone,
    privateMetadata: encodeRequestFormMetadata(origin),
    why,
    prefill,
  });
}

/** `/keys request`: the form, opened like every form (a placeholder first, while the trigger is fresh). */
export async function openKeyRequestForm(deps: SlackDeps, trigger: FormTrigger & { channelId?: string }): Promise<void> {
  await openForm(deps, trigger, "Request an API key", ({ actor, user }) => keyRequestForm(deps, actor, user.tz, { channelId: trigger.channelId }));
}

/** "Request a key" on the Home tab: the same form; the secret goes to the DM with the app (no channel typed in). */
export const openRequestKeyButton = pressListener(async (deps, args: ButtonArgs) => {
  await openKeyRequestForm(deps, { ...triggerOf(args), channelId: args.body.channel?.id });
});

/** Says where the request went, for the requester. */
function putToText(request: KeyRequest, put: PutTo): string {
  const what = `Your request for ${strong(request.name)} was sent`;
  switch (put.route) {
    case "channel":
      return `${what} to <#${put.channel}>. Once someone approves it, the key is shown to you once, here or in your DM with the app.`;
    case "dm":
      return `${what} to ${put.admins.length === 1 ? "the keyward Admin" : `${put.admins.length} keyward Admins`} by DM. Once someone approves it, the key is shown to you once, here or in your DM with the app.`;
    case "nobody":
      return `Your request for ${strong(request.name)} was recorded, but no approver could be reached in Slack (no approvals channel, and no keyward Admin known or reachable). Ask a keyward Admin to look at it; it expires in 7 days.`;
  }
}

/** The request form, submitted: recorded, then put to approvers; the form says where it went. */
export const keyRequestSubmission = submissionListener(forms.requestKey, async (deps, { body, view, client, context }) => {
  const { actor, user } = await callerOf(deps, client, workspaceOf(context), body.user.id);
  const parsed = parseKeyRequestModal(view.state.values, user.tz);
  if (!parsed.ok) return invalidForm(forms.requestKey, view, parsed.errors);
  const request = await deps.services.keyRequests.request(actor, parsed.input, decodeRequestFormOrigin(view.private_metadata));
  const put = await putToApprovers(deps, client, request);
  return answered({ title: "Request sent", text: putToText(request, put), formatted: true });
});

/** A decision that came too late, in words: who decided first, or that it expired. */
function tooLateText(error: AlreadyDecided): string {
  const r = error.request;
  if (r.status === "expired") return ":hourglass: This request has expired: nobody decided within 7 days. Nothing was changed.";
  const how = r.status === "denied" ? "denied" : "approved";
  return `:information_source: This request was already ${how} by ${actorText(r.decidedBy ?? "")}. Nothing was changed.`;
}

/** Next steps for an approver: the general ones speak to someone making a key for themselves. */
const approverHints: Partial<Record<ErrorCode, string>> = {
  role_exceeds_actor: "Leave it to an approver who holds them, or deny it.",
  permission_denied: "Key requests are decided by people who could create the key themselves.",
};

/**
 * Why a decision was refused. One the policy refused (it changed since the request) is no dead
 * end: the approver is told it cannot be approved as asked and offered Deny, so the requester hears why.
 */
async function refuse(deps: SlackDeps, reply: Reply, error: unknown, requestId?: string): Promise<void> {
  if (error instanceof AlreadyDecided) return tell(deps, reply, tooLateText(error), { formatted: true });
  if (requestId && isDomainError(error) && error.code === "policy_violation" && reply.respond) {
    const text = `:no_entry: This request cannot be approved as asked: the workspace policy changed since it was made. ${escapeMrkdwn(error.message)} Nothing was created. Deny it with a reason, so the requester can ask again within the policy.`;
    try {
      await reply.respond({ response_type: "ephemeral", replace_original: false, ...approvalBlockedMessage({ requestId, text }) });
    } catch (failure) {
      deps.logger.warn({ err: failure }, "could not show a notice to the user");
    }
    return;
  }
  return tellFailure(deps, reply, error, approverHints);
}

/**
 * Approve: the approver's permissions as they are at this click; the first decision wins, and the
 * key goes to the requester alone, once: ephemerally where they typed `/keys request`, else in their
 * DM with the app (the command's response_url has long expired). Undeliverable: removed again (rule 4).
 */
export const approveRequestButton = pressListener(async (deps, press: ButtonArgs) => {
  const { action } = press;
  const reply = replyTo(press);
  const id = decodeRequestValue(action.value);
  if (!id) return tell(deps, reply, "That button names no key request.");
  const workspaceId = workspaceOf(press.context);
  try {
    const { actor } = await callerOf(deps, press.client, workspaceId, press.body.user.id);
    const { request, created } = await deps.services.keyRequests.approve(actor, id);
    const message = secretMessage({ ...created.key, secret: created.secret, approvedBy: actor.userId });
    const outcome = await deliverOrUndo(
      deps,
      press.client,
      { userId: request.requestedBy, ...(request.channelId ? { channelId: request.channelId } : {}) },
      message,
      created.key,
      actor,
    );
    if (outcome.state === "undelivered") {
      await deps.services.keyRequests.markUndelivered(actor, request);
      await updateRequestMessages(deps, press.client, request);
      await tellRequester(
        deps,
        press.client,
        request,
        `Your request for ${strong(request.name)} was approved by ${mention(actor.userId)}, but the key could not be shown to you, so it was removed again. Ask again with \`/keys request\` from a channel the app is in.`,
      );
      return tell(
        deps,
        reply,
        `:warning: The key ${strong(request.name)} could not be shown to ${mention(request.requestedBy)} anywhere, so it was removed again; nothing is live. They were told.`,
        {
          formatted: true,
        },
      );
    }
    await updateRequestMessages(deps, press.client, request);
    if (outcome.state === "not_activated")
      return tell(
        deps,
        reply,
        `:warning: ${strong(request.name)} was shown to ${mention(request.requestedBy)} but could not be switched on; it will be removed shortly.`,
        {
          formatted: true,
        },
      );
    await tell(
      deps,
      reply,
      `:white_check_mark: Approved: ${strong(request.name)} was shown to ${mention(request.requestedBy)}, once. You never see its secret.`,
      { formatted: true },
    );
  } catch (error) {
    await refuse(deps, reply, error, id);
  }
});

/** Deny: checked for this person first, then a small form asking why (required). */
export const denyRequestButton = pressListener(async (deps, press: ButtonArgs) => {
  const { action } = press;
  const reply = replyTo(press);
  const id = decodeRequestValue(action.value);
  if (!id) return tell(deps, reply, "That button names no key request.");
  try {
    const { actor } = await callerOf(deps, press.client, workspaceOf(press.context), press.body.user.id);
    const request = await deps.services.keyRequests.checkDecider(actor, id);
    await press.client.views.open({
      trigger_id: press.body.trigger_id,
      view: denyRequestModal({ keyName: request.name, requestedBy: request.requestedBy, privateMetadata: encodeDenyFormMetadata(request.id) }),
    });
  } catch (error) {
    await refuse(deps, reply, error);
  }
});

/** The deny form, submitted: checked again, decided once; the requester is told why, by DM. */
export const denyRequestSubmission = submissionListener(forms.denyRequest, async (deps, { body, view, client, context }) => {
  const parsed = parseDenyRequestModal(view.state.values);
  if (!parsed.ok) return invalidForm(forms.denyRequest, view, parsed.errors);
  const id = decodeDenyFormRequestId(view.private_metadata) ?? "";
  const { actor } = await callerOf(deps, client, workspaceOf(context), body.user.id);
  let request: KeyRequest;
  try {
    request = await deps.services.keyRequests.deny(actor, id, parsed.reason);
  } catch (error) {
    if (error instanceof AlreadyDecided) return answered({ title: forms.denyRequest.refusedTitle, text: tooLateText(error), formatted: true });
    throw error;
  }
  return answered({ title: "Denied", text: `Denied. ${mention(request.requestedBy)} is told your reason.`, formatted: true }, async () => {
    await updateRequestMessages(deps, client, request);
    await tellRequester(
      deps,
      client,
      request,
      `Your request for the key ${strong(request.name)} was denied by ${mention(actor.userId)}: ${escapeMrkdwn(request.denyReason ?? "")}`,
    );
  });
});

/** `/keys approvals [#channel|here|off]`: shows, or (Admins) sets, where requests are put to approvers. */
export async function runApprovalsCommand(
  deps: SlackDeps,
  r: { client: WebClient; respond: NonNullable<Reply["respond"]>; workspaceId: string; userId: string; channelId?: string; channelName?: string },
  set: ApprovalsTarget | undefined,
): Promise<void> {
  const { actor } = await callerOf(deps, r.client, r.workspaceId, r.userId);
  const reply: Reply = { client: r.client, respond: r.respond };
  if (!set) {
    const channel = await deps.services.keyRequests.approvalsChannel(actor);
    const text = channel
      ? `Key requests are put to approvers in <#${channel}>.`
      : "There is no approvals channel: key requests go by DM to the keyward Admins. An Admin sets one with `/keys approvals #channel`.";
    return tell(deps, reply, text, { formatted: true });
  }
  // A plain #name can only be told from the channel typed in (keyward may not list channels).
  const typedHere = "here" in set || ("channelName" in set && set.channelName === r.channelName?.toLowerCase());
  if ("channelName" in set && !typedHere)
    return tell(
      deps,
      reply,
      "keyward cannot look channels up by name: type `/keys approvals here` in that channel, or choose the channel from Slack's list as you type `#`.",
    );
  const here = typedHere ? r.channelId : undefined;
  if (typedHere && !(here && slackChannelIdPattern.test(here)))
    return tell(deps, reply, "This is not a channel. Name the channel: `/keys approvals #channel`.");
  const channel = "off" in set ? null : "channel" in set ? set.channel : here!;
  await deps.services.keyRequests.setApprovalsChannel(actor, channel);
  const text = channel
    ? `:white_check_mark: Key requests now go to <#${channel}>; invite the app there (\`/invite @keyward\`) if it is not in it yet, or they go by DM to the Admins.`
    : ":white_check_mark: No approvals channel: key requests go by DM to the keyward Admins.";
  await tell(deps, reply, text, { formatted: true });
}
