import type { WebClient } from "@slack/web-api";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { parseRollKeyModal, rollKeyModal } from "../views/roll-key-modal.ts";
import { secretMessage } from "../views/secret-message.ts";
import { checkRollPolicy, defaultGraceMs, defaultReplacementDay, lifetimeDays, oldKeyEnds } from "../../domain/key-roll.ts";
import { isDomainError } from "../../domain/errors.ts";
import { slackErrorText } from "../slack-errors.ts";
import { noticeModal } from "../views/notices.ts";
import { decodeFormKeyId, decodeSecretFormOrigin, encodeSecretFormMetadata } from "../wire/form-metadata.ts";
import { createKeyForm, handOverSecret } from "./secret-forms.ts";
import { dayAfter } from "../../domain/expiry.ts";
import { expiryLimitText } from "../views/policy-limits.ts";
import { forms } from "./forms.ts";
import { openForm } from "./listener-support.ts";
import { invalidForm, submissionListener } from "./submission.ts";

/**
 * `/keys roll <name|id>` and a reminder's "Roll now": the form for the replacement's expiry and the
 * grace period, for a key the person may change. An expired key cannot be rolled (it works no more):
 * the create form opens instead, filled in from it ("Create a replacement" on its reminder).
 */
export async function openRollKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; ref: string; channelId?: string; responseUrl?: string; home?: boolean },
): Promise<void> {
  await openForm(deps, args, "Roll an API key", async ({ actor, user }) => {
    // By name, the working key of that name: only it can be rolled (an expired one of that name opens the create form only when alone).
    const key = await deps.services.keys.findForChange(actor, args.ref, { preferWorking: true });
    const target = { channelId: args.channelId, responseUrl: args.responseUrl, home: args.home };
    const now = deps.clock.now();
    if (key.expiresAt.getTime() <= now.getTime()) return createKeyForm(deps, actor, user.tz, target, key);
    const policy = await deps.services.policies.limitsFor(actor);
    // A key the policy keeps from being rolled (four eyes, no description): the reason, not a form to fill in vain.
    const blocked = rollRefusal(() => checkRollPolicy(policy, { id: key.roleId, name: key.roleName }, key));
    if (blocked) return noticeModal(forms.rollKey.refusedTitle, blocked);
    const privateMetadata = encodeSecretFormMetadata(target, { keyId: key.id });
    // The form's grace is 24 hours unless changed: its default day outlasts that (the service refuses a day that does not).
    const defaultDay = defaultReplacementDay(key, now, user.tz, oldKeyEnds(key, new Date(now.getTime() + defaultGraceMs)), policy);
    const maxDays = policy.maxLifetimeDays[key.kind];
    const expiryLimit = maxDays === null ? null : expiryLimitText([{ kind: key.kind, days: maxDays, lastDay: dayAfter(now, user.tz, maxDays) }]);
    return rollKeyModal({ ...key, defaultDay, lifetimeDays: lifetimeDays(key), timeZone: user.tz, privateMetadata, expiryLimit });
  });
}

/** The refusal's text (with the roll form's own next steps) when `check` throws a domain error; null when it passes. */
function rollRefusal(check: () => void): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (!isDomainError(error)) throw error;
    return slackErrorText(error, undefined, forms.rollKey.hints);
  }
}

/** The roll form, submitted: the replacement's secret is handed over as a new key's is. */
export const rollKeySubmission = submissionListener(forms.rollKey, async (deps, { body, view, client, context }) => {
  const { actor, user } = await callerOf(deps, client, workspaceOf(context), body.user.id);
  // The chosen day ends in the roller's zone (rule 5), as the form's hint says.
  const parsed = parseRollKeyModal(view.state.values, user.tz);
  if (!parsed.ok) return invalidForm(forms.rollKey, view, parsed.errors);
  // The key id comes from private_metadata: looked up in the submitter's workspace, with their permissions now.
  const rolled = await deps.services.keys.roll(actor, decodeFormKeyId(view.private_metadata) ?? "", parsed.input, { pendingDelivery: true });
  const replaces = { last4: rolled.previous.last4, worksUntil: rolled.previous.expiresAt };
  const message = secretMessage({ ...rolled.key, secret: rolled.secret, replaces });
  return handOverSecret(deps, client, {
    origin: decodeSecretFormOrigin(view.private_metadata),
    userId: body.user.id,
    teamId: context.teamId,
    appId: body.api_app_id,
    actor,
    key: rolled.key,
    message,
    replaces,
  });
});
