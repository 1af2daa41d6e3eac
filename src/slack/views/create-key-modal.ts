import type { KnownBlock, ModalView } from "@slack/types";
import { createKeyInputSchema, descriptionMax, nameLimits, type CreateKeyInput } from "../../domain/schemas.ts";
import type { KeyKind } from "../../domain/types.ts";
import { callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { escapeMrkdwn, mrkdwn, plain, slackDate } from "./format.ts";
import { roleSummary } from "./role-summary.ts";
import { fieldErrorsToBlocks, readValues, type StateValues } from "./modal-state.ts";

interface CreateKeyModalView {
  /** With their permissions, each option says what the role may do. */
  roles: RoleChoice[];
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

/** A role as a select option: its name, and what it lets a key do; `gated`: its keys need an approval (four eyes). */
export const roleOption = (r: RoleChoice) =>
  option(
    r.name,
    r.id,
    r.gated ? `Needs approval · ${r.permissions ? roleSummary(r.permissions) : ""}` : r.permissions ? roleSummary(r.permissions) : undefined,
  );

/** A role to choose in a key form: its permissions (summarised), and whether the policy gates it behind an approval. */
export interface RoleChoice {
  id: string;
  name: string;
  permissions?: readonly string[];
  gated?: boolean;
}

/** What the key fields start with: a replacement's predecessor, or a create refused for four eyes turned into a request. */
export interface KeyFieldsPrefill {
  name?: string;
  description?: string;
  roleId?: string;
  kind?: KeyKind;
  expiresOn?: string;
}

/** The fields a create and a request form share, in one place so the policy's limits show the same in both. */
export const keyFields = {
  name(hint: string, initial?: string): KnownBlock {
    return {
      type: "input",
      block_id: b.name,
      label: plain("Name"),
      hint: plain(hint),
      element: {
        type: "plain_text_input",
        action_id: inputActionId,
        max_length: nameLimits.max,
        placeholder: plain("ci-deploy"),
        ...(initial ? { initial_value: initial.slice(0, nameLimits.max) } : {}),
      },
    };
  },
  /** Optional unless the workspace policy requires a description. */
  description(required: boolean | undefined, hint: string, initial?: string): KnownBlock {
    return {
      type: "input",
      block_id: b.description,
      optional: required !== true,
      label: plain("Description"),
      hint: plain(required ? `${hint} Required by the workspace policy.` : hint),
      element: {
        type: "plain_text_input",
        action_id: inputActionId,
        multiline: true,
        max_length: descriptionMax,
        placeholder: plain("Deploys from GitHub Actions; stored as DEPLOY_KEY"),
        ...(initial ? { initial_value: initial.slice(0, descriptionMax) } : {}),
      },
    };
  },
  role(roles: readonly RoleChoice[], hint: string, initialId?: string): KnownBlock {
    const options = roles.slice(0, 100).map(roleOption);
    const initial = initialId ? options.find((o) => o.value === initialId) : undefined;
    return {
      type: "input",
      block_id: b.role,
      label: plain("Role"),
      hint: plain(hint),
      element: {
        type: "static_select",
        action_id: inputActionId,
        options,
        placeholder: plain("Choose a role"),
        ...(initial ? { initial_option: initial } : {}),
      },
    };
  },
  /** The last day, with the policy's maximum lifetimes in words (`limit`) when it sets any. */
  expiresOn(view: { defaultDay: string; timeZone: string; expiryLimit?: string | null }): KnownBlock {
    return {
      type: "input",
      block_id: b.expiresOn,
      label: plain("Expires at the end of"),
      hint: plain(`${view.expiryLimit ? `${view.expiryLimit} ` : ""}23:59:59 on that day in your time zone (${view.timeZone}).`),
      element: { type: "datepicker", action_id: inputActionId, initial_date: view.defaultDay, placeholder: plain("The last day the key works") },
    };
  },
  kind(kinds: readonly KeyKind[], initialKind?: KeyKind): KnownBlock {
    const options = kinds.map((k) => option(kindLabels[k], k));
    return {
      type: "input",
      block_id: b.kind,
      label: plain("Kind"),
      // Someone who may make personal keys only is told where a service key comes from.
      hint: plain(
        `A personal key acts for you: it never does more than you may do yourself, now or later.${kinds.includes("service") ? "" : " For a service key, ask with /keys request."}`,
      ),
      element: { type: "radio_buttons", action_id: inputActionId, options, initial_option: options.find((o) => o.value === initialKind) ?? options[0] },
    };
  },
};

export function createKeyModal(view: CreateKeyModalView): ModalView {
  const p = view.prefill;
  const roleOffered = p ? view.roles.slice(0, 100).some((r) => r.id === p.roleId) : false;
  // Roles beyond the person's own, and personal-only creators, are pointed to a request rather than left guessing.
  const roleHint = `What programs using the key may do. Only roles whose permissions you hold yourself are offered${view.roles.some((r) => r.gated) ? "; those marked “Needs approval” become a request" : ""}. Other roles: /keys request.`;
  const blocks: KnownBlock[] = [
    ...(p ? [replacesBlock(p, roleOffered)] : []),
    keyFields.name(`What the key is for, unique among live keys; at most ${nameLimits.max} characters. /keys edit, roll and delete take it.`, p?.name),
    keyFields.description(
      view.descriptionRequired,
      "Who uses the key and where it is stored, so whoever rotates it later knows where to look.",
      p?.description,
    ),
    keyFields.role(view.roles, roleHint, p?.roleId),
    keyFields.expiresOn(view),
    keyFields.kind(view.kinds, p?.kind),
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
