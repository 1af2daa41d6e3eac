import type { KnownBlock, ModalView } from "@slack/types";
import { maxPolicyLifetimeDays, type UpdatePolicyInput, updatePolicyInputSchema } from "../../domain/schemas.ts";
import type { KeyKind } from "../../domain/types.ts";
import { actionIds, callbackIds, inputActionId, inputBlockIds as b } from "../ids.ts";
import { roleOption } from "./create-key-modal.ts";
import { escapeMrkdwn, mrkdwn, plain, strong } from "./format.ts";
import type { WorkspacePolicy } from "../../domain/policy-rules.ts";
import { readValues, type StateValues } from "./modal-state.ts";

type RoleChoice = { id: string; name: string; permissions?: readonly string[] };

/** What the policy form shows: the policy now (roles by id), the roles to choose from, the configured thresholds. */
export interface PolicyFormView {
  maxLifetimeDays: Record<KeyKind, number | null>;
  requireDescription: boolean;
  personalMaxRoleId: string | null;
  approvalRoleIds: string[];
  reminderDays: number[] | null;
  defaultReminderDays: readonly number[];
  roles: RoleChoice[];
  /** The policy's version at opening (form-metadata.ts), so a save over a change made meanwhile is refused. */
  privateMetadata?: string;
  /** Live keys outliving the current maximum: the form offers to shorten them. */
  beyond?: PolicySavedView;
}

/** At most 100 options (Slack's limit), the roles the policy names always among them: else a plain Save would drop them. */
function shownRoles(view: PolicyFormView): RoleChoice[] {
  const named = (r: RoleChoice) => r.id === view.personalMaxRoleId || view.approvalRoleIds.includes(r.id);
  const room = Math.max(0, 100 - view.roles.filter(named).length);
  const others = new Set(view.roles.filter((r) => !named(r)).slice(0, room));
  return view.roles.filter((r) => named(r) || others.has(r)).slice(0, 100);
}

const daysInput = (blockId: string, label: string, hint: string, value: number | null): KnownBlock => ({
  type: "input",
  block_id: blockId,
  optional: true,
  label: plain(label),
  hint: plain(hint),
  element: {
    type: "number_input",
    action_id: inputActionId,
    is_decimal_allowed: false,
    min_value: "1",
    max_value: String(maxPolicyLifetimeDays),
    placeholder: plain("No maximum"),
    ...(value !== null ? { initial_value: String(value) } : {}),
  },
});

/** `/keys policy`: the workspace's limits, for holders of policy.edit. Empty fields mean no limit. */
export function policyModal(view: PolicyFormView): ModalView {
  const options = shownRoles(view).map(roleOption);
  const maxRole = options.find((o) => o.value === view.personalMaxRoleId);
  const approval = options.filter((o) => view.approvalRoleIds.includes(o.value));
  const requireOption = { text: plain("Every new key needs a description", 75), value: "required" };
  return {
    type: "modal",
    callback_id: callbackIds.policy,
    title: plain("Workspace policy", 24),
    submit: plain("Save", 24),
    close: plain("Cancel", 24),
    ...(view.privateMetadata ? { private_metadata: view.privateMetadata } : {}),
    blocks: [
      {
        type: "section",
        block_id: "policy_intro",
        text: mrkdwn(
          "Limits of new keys, on every surface (Slack, REST, `npm run keys`). Keys made before a stricter limit keep working and are marked _out of policy_.",
        ),
      },
      daysInput(
        b.maxServiceDays,
        "Maximum lifetime of service keys (days)",
        "Empty: no maximum. Counted to the end of that day in the creator's time zone.",
        view.maxLifetimeDays.service,
      ),
      daysInput(b.maxPersonalDays, "Maximum lifetime of personal keys (days)", "Empty: no maximum.", view.maxLifetimeDays.personal),
      {
        type: "input",
        block_id: b.requireDescription,
        optional: true,
        label: plain("Description"),
        hint: plain("Keys made without one are refused, on every surface."),
        element: {
          type: "checkboxes",
          action_id: inputActionId,
          options: [requireOption],
          ...(view.requireDescription ? { initial_options: [requireOption] } : {}),
        },
      },
      // A select needs options: the role inputs stand only where there are roles (every workspace has its built-ins).
      ...roleBlocks(options, maxRole, approval),
      {
        type: "input",
        block_id: b.reminderDays,
        optional: true,
        label: plain("Reminder thresholds (days before expiry)"),
        hint: plain(`Comma-separated, e.g. 30, 7, 1. Empty: the configured default (${view.defaultReminderDays.join(", ")}).`),
        element: {
          type: "plain_text_input",
          action_id: inputActionId,
          max_length: 60,
          placeholder: plain(view.defaultReminderDays.join(", ")),
          ...(view.reminderDays ? { initial_value: view.reminderDays.join(", ") } : {}),
        },
      },
      ...beyondBlocks(view.beyond),
    ],
  };
}

type Option = ReturnType<typeof roleOption>;

function roleBlocks(options: Option[], maxRole: Option | undefined, approval: Option[]): KnownBlock[] {
  if (options.length === 0) return [];
  return [
    {
      type: "input",
      block_id: b.personalMaxRole,
      optional: true,
      label: plain("Most powerful role of a personal key"),
      hint: plain("A personal key's role grants nothing beyond this role. Empty: any role its creator holds."),
      element: { type: "static_select", action_id: inputActionId, options, placeholder: plain("Any role"), ...(maxRole ? { initial_option: maxRole } : {}) },
    },
    {
      type: "input",
      block_id: b.approvalRoles,
      optional: true,
      label: plain("Roles that need an approval"),
      hint: plain("Keys with these roles are made only through /keys request, approved by someone else (four eyes)."),
      element: {
        type: "multi_static_select",
        action_id: inputActionId,
        options,
        placeholder: plain("None"),
        ...(approval.length > 0 ? { initial_options: approval } : {}),
      },
    },
  ];
}

/** Where each field of the policy input is shown (dotted zod paths). */
const blockOfPath: Record<string, string> = {
  "maxLifetimeDays.service": b.maxServiceDays,
  "maxLifetimeDays.personal": b.maxPersonalDays,
  requireDescription: b.requireDescription,
  personalMaxRole: b.personalMaxRole,
  approvalRoles: b.approvalRoles,
  reminderDays: b.reminderDays,
};

/** Reads the submitted policy form (every field: the form shows the whole policy); errors keyed by its blocks. */
export function parsePolicyModal(values: StateValues) {
  const raw = readValues(values);
  const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  const errors: Record<string, string> = {};
  const days = (block: string): number | null => {
    const text = str(raw[block]);
    if (text === "") return null;
    if (!/^\d{1,5}$/.test(text)) {
      errors[block] = "Use a whole number of days, or leave it empty for no maximum.";
      return null;
    }
    return Number(text);
  };
  const thresholds = str(raw[b.reminderDays]);
  let reminderDays: number[] | null = null;
  if (thresholds !== "") {
    const parts = thresholds.split(/[\s,]+/).filter(Boolean);
    if (parts.every((p) => /^\d{1,3}$/.test(p))) reminderDays = parts.map(Number);
    else errors[b.reminderDays] = "Use whole numbers of days separated by commas, e.g. 30, 7, 1.";
  }
  const approval = raw[b.approvalRoles];
  const candidate: UpdatePolicyInput = {
    maxLifetimeDays: { service: days(b.maxServiceDays), personal: days(b.maxPersonalDays) },
    requireDescription: Array.isArray(raw[b.requireDescription]) && (raw[b.requireDescription] as string[]).includes("required"),
    personalMaxRole: str(raw[b.personalMaxRole]) || null,
    approvalRoles: Array.isArray(approval) ? approval : [],
    reminderDays,
  };
  if (Object.keys(errors).length > 0) return { ok: false as const, errors };
  const result = updatePolicyInputSchema.safeParse(candidate);
  if (result.success) return { ok: true as const, input: candidate };
  for (const issue of result.error.issues) {
    const path = issue.path.map(String);
    const block = blockOfPath[path.slice(0, 2).join(".")] ?? blockOfPath[path[0] ?? ""] ?? b.maxServiceDays;
    errors[block] ??= issue.message;
  }
  return { ok: false as const, errors };
}

/** What a save did, for the notice that replaces the form. */
export interface PolicySavedView {
  /** Live keys beyond a maximum that this save made stricter (0: nothing to offer). */
  beyond: number;
  stoppedNow: number;
}

const keys = (n: number) => `${n} key${n === 1 ? "" : "s"}`;

/** The form, saved. After a stricter maximum, a button (with a confirm dialog) applies it to existing keys. */
export function policySavedModal(view: PolicySavedView): ModalView {
  const blocks: KnownBlock[] = [
    { type: "section", block_id: "notice", text: mrkdwn(":white_check_mark: The workspace policy is saved. New keys follow it from now on.") },
  ];
  if (view.beyond > 0) {
    const stop = view.stoppedNow > 0 ? ` ${keys(view.stoppedNow)} would stop working at once (created longer ago than the maximum).` : "";
    blocks.push(
      {
        type: "section",
        block_id: "policy_beyond",
        text: mrkdwn(
          `${keys(view.beyond)} made before outlive the new maximum; they keep working, marked out of policy, unless you shorten them to creation + maximum.${stop}`,
        ),
      },
      shortenActions(view.beyond, stop),
    );
  }
  return { type: "modal", callback_id: callbackIds.notice, title: plain("Policy saved", 24), close: plain("Close", 24), blocks };
}

/** "Shorten N keys", with its confirm dialog saying how many stop at once. */
function shortenActions(beyond: number, stop: string): KnownBlock {
  return {
    type: "actions",
    block_id: "policy_actions",
    elements: [
      {
        type: "button",
        action_id: actionIds.applyMaxLifetime,
        text: plain(`Shorten ${keys(beyond)}`, 75),
        style: "danger",
        value: "apply",
        confirm: {
          title: plain("Shorten existing keys?", 100),
          text: plain(`Shorten ${keys(beyond)}? Their expiry becomes creation + maximum.${stop}`, 300),
          confirm: plain("Shorten", 30),
          deny: plain("Keep them", 30),
          style: "danger",
        },
      },
    ],
  };
}

/** Existing keys outliving the current maximum, offered to be shortened from the form itself (not only right after a stricter save). */
function beyondBlocks(beyond: PolicySavedView | undefined): KnownBlock[] {
  if (!beyond || beyond.beyond === 0) return [];
  const stop = beyond.stoppedNow > 0 ? ` ${keys(beyond.stoppedNow)} would stop working at once (created longer ago than the maximum).` : "";
  return [
    {
      type: "section",
      block_id: "policy_beyond",
      text: mrkdwn(`${keys(beyond.beyond)} outlive the current maximum lifetime and are marked out of policy; shorten them to creation + maximum?${stop}`),
    },
    shortenActions(beyond.beyond, stop),
  ];
}

/** Role names for a line of text: the first 20, then how many more (a section holds 3000 characters). */
function roleNames(roles: ReadonlyArray<{ name: string }>): string {
  const shown = roles.slice(0, 20).map((r) => escapeMrkdwn(r.name));
  return roles.length > shown.length ? `${shown.join(", ")} and ${roles.length - shown.length} more` : shown.join(", ");
}

/** `/keys policy` for someone who may not change it: the limits their keys are made under, read-only. */
export function policyReadOnlyModal(view: {
  policy: Pick<WorkspacePolicy, "maxLifetimeDays" | "requireDescription" | "personalMaxRole" | "approvalRoles" | "reminderDays">;
  defaultReminderDays: readonly number[];
}): ModalView {
  const p = view.policy;
  const days = (n: number | null) => (n === null ? "no maximum" : `at most ${n} days`);
  const lines = [
    `• Service keys: ${days(p.maxLifetimeDays.service)}. Personal keys: ${days(p.maxLifetimeDays.personal)}.`,
    `• Description: ${p.requireDescription ? "required" : "optional"}.`,
    `• Most powerful role of a personal key: ${p.personalMaxRole ? strong(p.personalMaxRole.name) : "any role its creator holds"}.`,
    `• Roles that need an approval (ask with \`/keys request\`): ${p.approvalRoles.length > 0 ? roleNames(p.approvalRoles) : "none"}.`,
    `• Reminders: ${(p.reminderDays ?? view.defaultReminderDays).join(", ")} days before expiry.`,
  ];
  return {
    type: "modal",
    callback_id: callbackIds.notice,
    title: plain("Workspace policy", 24),
    close: plain("Close", 24),
    blocks: [
      { type: "section", block_id: "policy_intro", text: mrkdwn("The limits every new key of this workspace is held to. Only a keyward Admin changes them.") },
      { type: "section", block_id: "policy_rules", text: mrkdwn(lines.join("\n")) },
    ],
  };
}
