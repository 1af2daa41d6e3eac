import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { openCreateKeyForm } from "./create-key-flow.ts";
import { openEditKeyForm } from "./edit-key-flow.ts";
import { keyPageMessage } from "./key-list-surface.ts";
import { legacyRenameRefFrom } from "../wire/key-row-values.ts";
import { decodeKeyPageValue } from "../wire/paging-values.ts";
import { fromHome, pressListener, tellFailure, triggerOf, type ButtonArgs, type Reply } from "./listener-support.ts";

/** The message a list page is shown in: a command's response, or the message that was paged. */
export async function showKeyPage(
  deps: SlackDeps,
  reply: Reply & { respond: NonNullable<Reply["respond"]> },
  caller: { workspaceId: string; userId: string },
  page: number,
  cursor: string | undefined,
  replace: boolean,
) {
  const { actor } = await callerOf(deps, reply.client, caller.workspaceId, caller.userId);
  const message = await keyPageMessage(deps, actor, { page, ...(cursor ? { cursor } : {}) });
  await reply.respond({ response_type: "ephemeral", replace_original: replace, ...message });
}

/** A list's or the Home tab's Create button: the create form, whose secret comes back where it was pressed. */
export const openCreateKeyButton = pressListener(async (deps, args: ButtonArgs) => {
  const { body } = args;
  await openCreateKeyForm(deps, { ...triggerOf(args), channelId: body.channel?.id, responseUrl: body.response_url, home: fromHome(body) });
});

/** The Rename button of lists posted before the row menu (and of any message that still has one). */
export const openEditKeyButton = pressListener(async (deps, args: ButtonArgs) => {
  await openEditKeyForm(deps, { ...triggerOf(args), ref: legacyRenameRefFrom(args.action.value) });
});

/** A list message's Next and First page: the page replaces the message. */
export const keyPageButton = pressListener(async (deps, { body, action, client, context, respond }: ButtonArgs) => {
  const { page, cursor } = decodeKeyPageValue(action.value);
  try {
    await showKeyPage(deps, { client, respond }, { workspaceId: workspaceOf(context), userId: body.user.id }, page, cursor, true);
  } catch (error) {
    await tellFailure(deps, { client, respond }, error);
  }
});
