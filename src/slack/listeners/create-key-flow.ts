import type { WebClient } from "@slack/web-api";
import { decodeSecretFormOrigin, type FormOrigin } from "../wire/form-metadata.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { parseCreateKeyModal } from "../views/create-key-modal.ts";
import { secretMessage } from "../views/secret-message.ts";
import { capabilitiesOf } from "../../domain/capabilities.ts";
import { isDomainError } from "../../domain/errors.ts";
import type { CreateKeyInput } from "../../domain/schemas.ts";
import type { Actor } from "../../domain/types.ts";
import { forms } from "./forms.ts";
import { keyRequestForm } from "./key-request-flow.ts";
import { openForm } from "./listener-support.ts";
import { createKeyForm, handOverSecret } from "./secret-forms.ts";
import { invalidForm, submissionListener, type Submission } from "./submission.ts";

/** Opens the create form: a placeholder first (trigger ids last 3 s), then the real form. */
export async function openCreateKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; channelId?: string; responseUrl?: string; home?: boolean },
): Promise<void> {
  await openForm(deps, args, "Create an API key", ({ actor, user }) =>
    // Someone who may create no key at all (and is of this workspace) asks for one instead.
    capabilitiesOf(actor).createKinds.length === 0 && !actor.outsider
      ? keyRequestForm(deps, actor, user.tz, { channelId: args.channelId }, "You may not create keys yourself, so this asks for one.")
      : createKeyForm(deps, actor, user.tz, { channelId: args.channelId, responseUrl: args.responseUrl, home: args.home }),
  );
}

/** The create form, submitted. */
export const createKeySubmission = submissionListener(forms.createKey, async (deps, { body, view, client, context }) => {
  const userId = body.user.id;
  const { actor, user } = await callerOf(deps, client, workspaceOf(context), userId);
  const parsed = parseCreateKeyModal(view.state.values, user.tz);
  if (!parsed.ok) return invalidForm(forms.createKey, view, parsed.errors);
  let created: Awaited<ReturnType<typeof deps.services.keys.create>>;
  try {
    // Permission and role are checked again here, whatever held when the form opened (rule 1).
    created = await deps.services.keys.create(actor, parsed.input, { pendingDelivery: true });
  } catch (error) {
    // Four eyes: not a dead end. The form becomes the request form, filled in, asking only for the reason.
    if (isDomainError(error) && error.code === "approval_required")
      return asRequest(deps, actor, user.tz, decodeSecretFormOrigin(view.private_metadata), parsed.input, error.message);
    throw error;
  }
  const message = secretMessage({ ...created.key, secret: created.secret });
  return handOverSecret(deps, client, {
    origin: decodeSecretFormOrigin(view.private_metadata),
    userId,
    teamId: context.teamId,
    appId: body.api_app_id,
    actor,
    key: created.key,
    message,
  });
});

/** A create refused for four eyes, answered with the request form holding the same values (response_action update). */
async function asRequest(deps: SlackDeps, actor: Actor, timeZone: string, origin: FormOrigin, input: CreateKeyInput, why: string): Promise<Submission> {
  const prefill = { name: input.name, description: input.description ?? "", roleId: input.role, kind: input.kind, expiresOn: input.expiresOn };
  const view = await keyRequestForm(deps, actor, timeZone, { channelId: origin.channelId }, `${why} Give a reason and send it as a request:`, prefill);
  return {
    response: { response_action: "update", view },
    late: { title: forms.createKey.refusedTitle, text: `${why} Nothing was created; ask for it with /keys request.` },
  };
}
