import type { WebClient } from "@slack/web-api";
import { parsePolicyModal, policyModal, policyReadOnlyModal, policySavedModal } from "../views/policy-modal.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { decodePolicyFormVersion, encodePolicyFormMetadata } from "../wire/form-metadata.ts";
import { forms } from "./forms.ts";
import { callerOfRequest, openForm, pressListener, tell, tellFailure, triggerOf, type ButtonArgs } from "./listener-support.ts";
import { invalidForm, submissionListener } from "./submission.ts";

/**
 * `/keys policy`: the form for holders of policy.edit, with the offer to shorten keys that outlive
 * the maximum whenever there are some; anyone else of the workspace reads the limits, read-only.
 */
export async function openPolicyForm(deps: SlackDeps, args: { client: WebClient; triggerId: string; workspaceId: string; userId: string }): Promise<void> {
  await openForm(deps, args, "Workspace policy", async ({ actor }) => {
    const defaultReminderDays = deps.services.policies.defaultReminderDays;
    if (!actor.permissions.has("policy.edit")) return policyReadOnlyModal({ policy: await deps.services.policies.forReading(actor), defaultReminderDays });
    const policy = await deps.services.policies.forEdit(actor);
    const roles = await deps.services.roles.list(actor);
    const beyond = await deps.services.policies.previewMaxLifetime(actor);
    return policyModal({
      maxLifetimeDays: policy.maxLifetimeDays,
      requireDescription: policy.requireDescription,
      personalMaxRoleId: policy.personalMaxRole?.id ?? null,
      approvalRoleIds: policy.approvalRoles.map((r) => r.id),
      reminderDays: policy.reminderDays,
      defaultReminderDays,
      roles: roles.map((r) => ({ id: r.id, name: r.name, permissions: r.permissions })),
      privateMetadata: encodePolicyFormMetadata(policy.updatedAt),
      beyond: { beyond: beyond.shortened, stoppedNow: beyond.stoppedNow },
    });
  });
}

/** "Policy" on the Home tab (Admins): the same as `/keys policy`. */
export const openPolicyButton = pressListener(async (deps, args: ButtonArgs) => {
  await openPolicyForm(deps, triggerOf(args));
});

/** The policy form, submitted: saved (checked again: policy.edit), then the offer to shorten existing keys if a maximum became stricter. */
export const policySubmission = submissionListener(forms.policy, async (deps, args) => {
  const parsed = parsePolicyModal(args.view.state.values);
  if (!parsed.ok) return invalidForm(forms.policy, args.view, parsed.errors);
  const { actor } = await callerOfRequest(deps, args);
  // Saved only over the policy the form showed: a change made meanwhile (REST, another Admin) is not silently undone.
  const saved = await deps.services.policies.update(actor, parsed.input, { unchangedSince: decodePolicyFormVersion(args.view.private_metadata) });
  // Offered whenever keys outlive the maximum, not only after a save that made it stricter.
  const beyond = saved.beyondMaximum.shortened;
  const view = policySavedModal({ beyond, stoppedNow: saved.beyondMaximum.stoppedNow });
  const text = beyond > 0 ? `The policy is saved; ${beyond} existing keys outlive the new maximum.` : "The policy is saved.";
  return { response: { response_action: "update", view }, late: { title: "Policy saved", text } };
});

/** "Shorten N keys" (after its confirm dialog): applies the maximum to existing keys, and says what it did in the same modal. */
export const applyMaxLifetimeButton = pressListener(async (deps, args: ButtonArgs) => {
  // The button lives in the saved-policy modal: answered in place there; pressed anywhere else (a forged press), in a modal of its own.
  const inModal = args.body.view?.type === "modal";
  const reply = inModal ? { client: args.client, viewId: args.body.view!.id } : { client: args.client, triggerId: args.body.trigger_id };
  try {
    const { actor } = await callerOfRequest(deps, args);
    const done = await deps.services.policies.applyMaxLifetime(actor);
    const stopped = done.stoppedNow > 0 ? ` ${done.stoppedNow} of them stopped working at once.` : "";
    await tell(deps, reply, `Shortened ${done.shortened} key${done.shortened === 1 ? "" : "s"} to the maximum lifetime.${stopped}`);
  } catch (error) {
    await tellFailure(deps, reply, error);
  }
});
