import type { KnownBlock, ModalView } from "@slack/types";
import { denyReasonSchema, nameLimits, reasonMax, requestReasonSchema, type CreateKeyInput } from "../../domain/schemas.ts";
import type { KeyKind } from "../../domain/types.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { keyFields, parseCreateKeyModal, type KeyFieldsPrefill, type RoleChoice } from "./create-key-modal.ts";
import { escapeMrkdwn, mrkdwn, plain, strong } from "./format.ts";
import { readValues, type StateValues } from "./modal-state.ts";

interface KeyRequestModalView {
  roles: RoleChoice[];
  defaultDay: string;
  timeZone: string;
  /** The workspace policy's maximum lifetimes, in words (null: none); a request beyond them is refused. */
  expiryLimit?: string | null;
  /** The workspace policy requires a description: the field is not optional. */
  descriptionRequired?: boolean;
  /** Where the request came from: opaque to the builder, never a secret. */
  privateMetadata: string;
  /** Why the request form opened instead of the create form (`/keys create` by someone who may create no key, or a role that needs approval). */
  why?: string;
  /** The fields as a create form refused for four eyes had them: only the reason is left to give. */
  prefill?: KeyFieldsPrefill;
}

const kinds: KeyKind[] = ["service", "personal"];

/** `/keys request`: what a key is wanted for, and why; an approver decides. */
export function keyRequestModal(view: KeyRequestModalView): ModalView {
  const p = view.prefill;
  const blocks: KnownBlock[] = [
    {
      type: "section",
      block_id: "request_intro",
      text: mrkdwn(
        `${view.why ? `${escapeMrkdwn(view.why)} ` : ""}Someone who could create this key themselves decides; once approved, its secret is shown to you once, here or in your DM with the app. A request not decided within 7 days expires.`,
      ),
    },
    keyFields.role(view.roles, "What programs using the key may do.", p?.roleId),
    keyFields.name(`What the key is for, unique among live keys; at most ${nameLimits.max} characters.`, p?.name),
    keyFields.description(view.descriptionRequired, "Who uses the key and where it is stored.", p?.description),
    keyFields.kind(kinds, p?.kind),
    keyFields.expiresOn({ ...view, defaultDay: p?.expiresOn ?? view.defaultDay }),
    {
      type: "input",
      block_id: b.reason,
      label: plain("Reason"),
      hint: plain("What the key is for and why you need it: the approvers read this."),
      element: {
        type: "plain_text_input",
        action_id: inputActionId,
        multiline: true,
        max_length: reasonMax,
        placeholder: plain("The nightly export job needs to read keys"),
      },
    },
  ];
  return {
    type: "modal",
    callback_id: callbackIds.requestKey,
    title: plain("Request an API key", 24),
    submit: plain("Send request", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks,
  };
}

/** The request form, read like the create form (the domain's create schema) plus its reason; errors keyed by block. */
export function parseKeyRequestModal(
  values: StateValues,
  timeZone: string,
): { ok: true; input: { key: CreateKeyInput; reason: string } } | { ok: false; errors: Record<string, string> } {
  const key = parseCreateKeyModal(values, timeZone);
  const rawReason = readValues(values)[b.reason];
  const reason = requestReasonSchema.safeParse(typeof rawReason === "string" ? rawReason : "");
  const errors = { ...(key.ok ? {} : key.errors), ...(reason.success ? {} : { [b.reason]: reason.error.issues[0]!.message }) };
  if (!key.ok || !reason.success) return { ok: false, errors };
  return { ok: true, input: { key: key.input, reason: reason.data } };
}

/** Deny: the reason, which the requester is told. */
export function denyRequestModal(view: { keyName: string; requestedBy: string; privateMetadata: string }): ModalView {
  return {
    type: "modal",
    callback_id: callbackIds.denyRequest,
    title: plain("Deny the request", 24),
    submit: plain("Deny", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks: [
      {
        type: "section",
        block_id: "deny_intro",
        text: mrkdwn(`Deny <@${view.requestedBy}>'s request for ${strong(view.keyName)}? They are told your reason.`),
      },
      {
        type: "input",
        block_id: b.reason,
        label: plain("Reason"),
        hint: plain("The requester reads this, so say what they could ask for instead."),
        element: {
          type: "plain_text_input",
          action_id: inputActionId,
          multiline: true,
          max_length: reasonMax,
          placeholder: plain("Use the shared read-only key"),
        },
      },
    ],
  };
}

export function parseDenyRequestModal(values: StateValues): { ok: true; reason: string } | { ok: false; errors: Record<string, string> } {
  const raw = readValues(values)[b.reason];
  const reason = denyReasonSchema.safeParse(typeof raw === "string" ? raw : "");
  return reason.success ? { ok: true, reason: reason.data } : { ok: false, errors: { [b.reason]: reason.error.issues[0]!.message } };
}
