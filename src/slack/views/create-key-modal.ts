import type { KnownBlock, ModalView } from "@slack/types";
import { createKeyInputSchema, descriptionMax, nameLimits, type CreateKeyInput } from "../../domain/schemas.ts";
import type { KeyKind } from "../../domain/types.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { escapeMrkdwn, mrkdwn, plain, slackDate } from "./format.ts";
import { roleSummary } from "./role-summary.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface CreateKeyModalView {
  /** With their permissions, each option says what the role may do. */
  roles: Array<{ id: string; name: string; permissions?: readonly string[] }>;
  kinds: KeyKind[];
  defaultDay: string;
  timeZone: string;
  /** The workspace policy's maximum lifetimes, in words (null: none); the service refuses a day beyond them. */
  expiryLimit?: string | null;
  /** The workspace policy requires a description: the field is not optional. */
  descriptionRequired?: boolean;
  /** Where to deliver the secret: opaque to the builder, no secret ever. */
  privateMetadata: string;
  /** Filled in from an expired key this one replaces ("Create a replacement" on its reminder). */
  prefill?: CreateKeyPrefill;
}

interface CreateKeyPrefill {
  name: string;
  description: string;
  roleId: string;
  roleName: string;
  kind: KeyKind;
  /** The expired (or leaked) key, as the form names it. */
  replaces: { last4: string; expiresAt: Date; leaked?: boolean };
}

const kindLabels: Record<KeyKind, string> = {
  service: "Service key (stands alone)",
  personal: "Personal key (acts for you, never with more than you hold)",
};

const option = (text: string, value: string, description?: string) => ({
  text: plain(text, 75),
  value,
  ...(description ? { description: plain(description, 75) } : {}),
});

/** A role as a select option: its name, and what it lets a key do. */
export const roleOption = (r: { id: string; name: string; permissions?: readonly string[] }) =>
  option(r.name, r.id, r.permissions ? roleSummary(r.permissions) : undefined);

export function createKeyModal(view: CreateKeyModalView): ModalView {
  const roleOptions = view.roles.slice(0, 100).map(roleOption);
  const kindOptions = view.kinds.map((k) => option(kindLabels[k], k));
  const p = view.prefill;
  const initialRole = p ? roleOptions.find((o) => o.value === p.roleId) : undefined;
  const initialKind = (p && kindOptions.find((o) => o.value === p.kind)) ?? kindOptions[0];
  const blocks: KnownBlock[] = [
    ...(p ? [replacesBlock(p, initialRole !== undefined)] : []),
    {
      type: "input",
      block_id: b.name,
      label: plain("Name"),
      hint: plain(`What the key is for, unique among live keys; at most ${nameLimits.max} characters. /keys edit, roll and delete take it.`),
      element: {
        type: "plain_text_input",
        action_id: inputActionId,
        max_length: nameLimits.max,
        placeholder: plain("ci-deploy"),
        ...(p ? { initial_value: p.name.slice(0, nameLimits.max) } : {}),
      },
    },
    {
      type: "input",
      block_id: b.description,
      optional: view.descriptionRequired !== true,
      label: plain("Description"),
      hint: plain("Who uses the key and where it is stored, so whoever rotates it later knows where to look."),
      element: {
        type: "plain_text_input",
        action_id: inputActionId,
        multiline: true,
        max_length: descriptionMax,
        placeholder: plain("Deploys from GitHub Actions; stored as DEPLOY_KEY"),
        ...(p?.description ? { initial_value: p.description.slice(0, descriptionMax) } : {}),
      },
    },
    {
      type: "input",
      block_id: b.role,
      label: plain("Role"),
      hint: plain("What programs using the key may do. Only roles whose permissions you hold yourself are offered."),
      element: {
        type: "static_select",
        action_id: inputActionId,
        options: roleOptions,
        placeholder: plain("Choose a role"),
        ...(initialRole ? { initial_option: initialRole } : {}),
      },
    },
    {
      type: "input",
      block_id: b.expiresOn,
      label: plain("Expires at the end of"),
      hint: plain(`${view.expiryLimit ? `${view.expiryLimit} ` : ""}23:59:59 on that day in your time zone (${view.timeZone}).`),
      element: { type: "datepicker", action_id: inputActionId, initial_date: view.defaultDay, placeholder: plain("The last day the key works") },
    },
    {
      type: "input",
      block_id: b.kind,
      label: plain("Kind"),
      hint: plain("A personal key acts for you: it never does more than you may do yourself, now or later."),
      element: { type: "radio_buttons", action_id: inputActionId, options: kindOptions, initial_option: initialKind },
    },
  ];
  return {
    type: "modal",
    callback_id: callbackIds.createKey,
    title: plain("Create an API key", 24),
    submit: plain("Create", 24),
    close: plain("Cancel", 24),
    private_metadata: view.privateMetadata,
    blocks,
  };
}

/** Says which key the form replaces and why it is not a roll; names the role when the person cannot grant it. */
function replacesBlock(p: CreateKeyPrefill, roleOffered: boolean): KnownBlock {
  const role = roleOffered ? "" : ` Its role, ${escapeMrkdwn(p.roleName)}, grants more than you hold: choose another, or ask someone who holds it.`;
  const named = `*${escapeMrkdwn(p.name)}* (\`…${escapeMrkdwn(p.replaces.last4)}\`)`;
  const text = p.replaces.leaked
    ? `:information_source: ${named} leaked, so this creates a new key in its place, filled in from it.${role}`
    : `:information_source: ${named} expired ${slackDate(p.replaces.expiresAt)} and cannot be rolled, so this creates a new key in its place, filled in from it.${role} The expired key stays listed until you delete it.`;
  return { type: "section", block_id: "replaces", text: mrkdwn(text) };
}

/** Reads the submitted form and validates it with the domain's schema; errors are keyed by input block. */
export function parseCreateKeyModal(values: StateValues, timeZone: string) {
  const raw = readValues(values);
  const str = (v: unknown, fallback = "") => (typeof v === "string" ? v : fallback);
  const candidate = {
    name: str(raw[b.name]),
    description: str(raw[b.description]),
    role: str(raw[b.role]),
    kind: str(raw[b.kind], "service"),
    expiresOn: str(raw[b.expiresOn]),
    timeZone,
  };
  const result = createKeyInputSchema.safeParse(candidate);
  // The service parses again; it gets the input as the person gave it, the checks already passed.
  if (result.success) return { ok: true as const, input: { ...candidate, kind: result.data.kind } satisfies CreateKeyInput };
  return { ok: false as const, errors: fieldErrorsToBlocks(result.error.issues) };
}
