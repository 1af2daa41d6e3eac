import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { dayAfter } from "../../domain/expiry.ts";
import { defaultReplacementDay } from "../../domain/key-roll.ts";
import type { WorkspacePolicy } from "../../domain/policy-rules.ts";
import type { Actor, ApiKey, KeyKind } from "../../domain/types.ts";
import { deliverOrUndo, type DeliveryMessage } from "../secret-delivery.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { createKeyModal } from "../views/create-key-modal.ts";
import { expiryLimitText } from "../views/policy-limits.ts";
import { deliveryNotice, deliveryStatus, type DeliveryNoticeView } from "../views/delivery-notice.ts";
import { encodeSecretFormMetadata, type FormOrigin } from "../wire/form-metadata.ts";
import { refreshHome } from "./home-listener.ts";
import { noticeView, type Notice, type Submission } from "./submission.ts";

/**
 * What the create and roll flows share, so that neither imports the other: the create form (a roll
 * of an expired key opens it, filled in from the key) and handing the new secret over once either
 * form is submitted.
 */

/** What a key form states of the workspace policy: the date's hint and default (capped), whether a description is required, the gated roles. */
export interface PolicyFacts {
  expiryLimit: string | null;
  defaultDay: string;
  descriptionRequired: boolean;
  approvalRoleIds: Set<string>;
}

/**
 * The policy as a create or request form shows it, for `kinds` (what the form offers): the
 * suggested day (`suggested`, else the default lifetime) never past the maximum of `initialKind`.
 */
export async function policyFacts(
  deps: SlackDeps,
  actor: Pick<Actor, "workspaceId">,
  view: { kinds: readonly KeyKind[]; timeZone: string; initialKind?: KeyKind; suggested?: string; policy?: WorkspacePolicy },
): Promise<PolicyFacts> {
  const policy = view.policy ?? (await deps.services.policies.limitsFor(actor));
  const now = deps.clock.now();
  const limits = view.kinds.flatMap((kind) => {
    const days = policy.maxLifetimeDays[kind];
    return days === null ? [] : [{ kind, days, lastDay: dayAfter(now, view.timeZone, days) }];
  });
  const suggested = view.suggested ?? dayAfter(now, view.timeZone, deps.defaultExpiryDays);
  const cap = limits.find((l) => l.kind === (view.initialKind ?? view.kinds[0]))?.lastDay;
  return {
    expiryLimit: expiryLimitText(limits),
    defaultDay: cap && cap < suggested ? cap : suggested,
    descriptionRequired: policy.requireDescription,
    approvalRoleIds: new Set(policy.approvalRoles.map((r) => r.id)),
  };
}

/** The create form for this person; `replacing` fills it in from an expired key (its reminder's "Create a replacement") or a leaked one (its DM's). */
export async function createKeyForm(
  deps: SlackDeps,
  actor: Actor,
  timeZone: string,
  target: FormOrigin,
  replacing?: ApiKey,
  why: "expired" | "leaked" = "expired",
): Promise<ModalView> {
  const options = await deps.services.keys.createOptions(actor);
  const policy = await deps.services.policies.limitsFor(actor);
  const now = deps.clock.now();
  // A replacement is suggested its predecessor's lifetime again, as a roll is; never past the first kind's maximum (the form's initial kind).
  const suggested = replacing ? defaultReplacementDay(replacing, now, timeZone, undefined, policy) : undefined;
  const facts = await policyFacts(deps, actor, { kinds: options.kinds, timeZone, initialKind: replacing?.kind, suggested, policy });
  return createKeyModal({
    roles: options.roles.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions, gated: facts.approvalRoleIds.has(r.id) })),
    kinds: options.kinds,
    defaultDay: facts.defaultDay,
    expiryLimit: facts.expiryLimit,
    descriptionRequired: facts.descriptionRequired,
    timeZone,
    privateMetadata: encodeSecretFormMetadata(target),
    prefill: replacing && {
      name: replacing.name,
      description: replacing.description,
      roleId: replacing.roleId,
      roleName: replacing.roleName,
      kind: replacing.kind,
      replaces: { last4: replacing.last4, expiresAt: replacing.expiresAt, leaked: why === "leaked" },
    },
  });
}

/** What a create or roll form hands over: the key, its one-time message, and where it came from. */
interface Handover {
  origin: FormOrigin;
  userId: string;
  /** The submitter's team and the app's id, for the link to the conversation holding the secret. */
  teamId?: string;
  appId?: string;
  actor: Actor;
  key: ApiKey;
  message: DeliveryMessage;
  replaces?: DeliveryNoticeView["replaces"];
}

/**
 * Delivers the secret, then answers the form. Seen where the person typed, the form just closes
 * onto the message; anywhere else (the DM, from the Home tab or past a channel that refused) the
 * form turns into a notice saying where the secret is, with a link, and how long it stays; when
 * nothing worked, it says so (rule 4). The delivery runs before the answer because the answer
 * depends on it; a slow one takes the late path (submission.ts), where the same notice replaces
 * the "working" view. A form from the Home tab republishes the tab afterwards, with the key.
 */
export async function handOverSecret(deps: SlackDeps, client: WebClient, handover: Handover): Promise<Submission> {
  const { origin, key } = handover;
  const outcome = await deliverOrUndo(
    deps,
    client,
    { userId: handover.userId, channelId: origin.channelId, responseUrl: origin.responseUrl },
    handover.message,
    key,
    handover.actor,
  );
  const view: DeliveryNoticeView = {
    keyName: key.name,
    last4: key.last4,
    outcome,
    teamId: handover.teamId,
    appId: handover.appId,
    replaces: handover.replaces,
  };
  const notice: Notice = { ...deliveryNotice(view), formatted: true };
  const seenInPlace = outcome.state === "delivered" && outcome.route !== "dm" && !origin.home;
  const after = origin.home
    ? () => refreshHome(deps, { client, workspaceId: handover.actor.workspaceId, userId: handover.userId }, deliveryStatus(view))
    : undefined;
  return { response: seenInPlace ? { response_action: "clear" } : { response_action: "update", view: noticeView(notice) }, late: notice, after };
}
