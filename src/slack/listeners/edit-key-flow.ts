import type { WebClient } from "@slack/web-api";
import type { Actor } from "../../domain/types.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { editKeyModal, parseEditKeyModal } from "../views/edit-key-modal.ts";
import { decodeEditFormOrigin, decodeFormKeyId, encodeEditFormMetadata, type ListOrigin } from "../wire/form-metadata.ts";
import { forms } from "./forms.ts";
import { publishHome } from "./home-listener.ts";
import { keyPageMessage, replaceThroughResponseUrl } from "./key-list-surface.ts";
import { openForm } from "./listener-support.ts";
import { answered, invalidForm, submissionListener } from "./submission.ts";

/** Opens the rename form for a key the person may change; `origin`: the list it was opened from, replaced on submit. */
export async function openEditKeyForm(
  deps: SlackDeps,
  args: { client: WebClient; triggerId: string; workspaceId: string; userId: string; ref: string; origin?: ListOrigin },
) {
  await openForm(deps, args, "Rename an API key", async ({ actor }) => {
    const key = await deps.services.keys.findForChange(actor, args.ref);
    return editKeyModal({ ...key, keyId: key.id, privateMetadata: encodeEditFormMetadata(key.id, args.origin) });
  });
}

/** Shows the list the form came from again, with the result on top; false when it could not be. */
async function showInOrigin(
  deps: SlackDeps,
  origin: ListOrigin,
  who: { client: WebClient; workspaceId: string; userId: string; actor: Actor },
  result: string,
): Promise<boolean> {
  if (origin.home) {
    await publishHome(deps, who.client, who.workspaceId, who.userId, origin.list.page, origin.list.cursor, { result });
    return true;
  }
  if (!origin.responseUrl) return false;
  return replaceThroughResponseUrl(deps, origin.responseUrl, await keyPageMessage(deps, who.actor, origin.list, result));
}

/** The rename form, submitted: the list it was opened from shows the result when it can. */
export const editKeySubmission = submissionListener(forms.editKey, async (deps, { body, view, client, context }) => {
  const parsed = parseEditKeyModal(view.state.values);
  if (!parsed.ok) return invalidForm(forms.editKey, view, parsed.errors);
  const workspaceId = workspaceOf(context);
  const { actor } = await callerOf(deps, client, workspaceId, body.user.id);
  // The id from private_metadata is looked up in the submitter's own workspace, with their permissions now.
  const keyId = decodeFormKeyId(view.private_metadata) ?? "";
  const origin = decodeEditFormOrigin(view.private_metadata);
  // The old name, for the result line only; the update below does every check.
  const before = origin ? await deps.services.keys.get(actor, keyId).catch(() => null) : null;
  const updated = await deps.services.keys.update(actor, keyId, parsed.input);
  if (origin) {
    const result = before && before.name !== updated.name ? `Renamed ${before.name} → ${updated.name}.` : `Saved ${updated.name} …${updated.last4}.`;
    // The list shows the result, so the form just closes; if the list cannot be replaced, the form says it.
    const shown = await showInOrigin(deps, origin, { client, workspaceId, userId: body.user.id, actor }, result).catch((error: unknown) => {
      deps.logger.warn({ err: error }, "could not show a rename in the list it came from");
      return false;
    });
    if (shown) return { response: { response_action: "clear" }, late: { title: "Saved", text: result } };
  }
  return answered({ title: "Saved", text: `The key is now called ${updated.name}.` });
});
