import type { RespondFn } from "@slack/bolt";
import { deliverEphemeral } from "../secret-delivery.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { secretNotRemovedMessage } from "../views/secret-message.ts";
import { pressListener, type ButtonArgs } from "./listener-support.ts";

/**
 * "I've stored it" on the one-time secret message: the message goes, so the secret does not stay
 * on screen. An ephemeral message can be removed only through the response_url of a press on it
 * (`delete_original`; chat.delete and chat.update cannot reach it). When Slack refuses (a
 * response_url serves 30 minutes and 5 posts), the person is told, ephemerally, to dismiss it
 * themselves. Nothing of the message is read, logged or sent: the press carries a constant.
 */
export const secretStoredButton = pressListener(async (deps, { body, client, respond }: ButtonArgs) => {
  if (await deleteOriginal(deps, body.response_url, respond)) return;
  await deliverEphemeral(client, { userId: body.user.id, channelId: body.channel?.id }, secretNotRemovedMessage(), deps);
});

/** Removes the pressed message: true when Slack took it. */
async function deleteOriginal(deps: SlackDeps, url: string | undefined, respond: RespondFn | undefined): Promise<boolean> {
  // Slack signed the press, and still only Slack's hosts are posted to, as for every response_url.
  if (!url || !respond || !deps.isAllowedResponseUrl(url)) return false;
  try {
    // The sole field, as Slack asks: with a message beside it, that message would be posted too.
    await respond({ delete_original: true });
    return true;
  } catch (error) {
    // The status only: the URL is a credential, and Slack's answer says nothing more.
    deps.logger.warn({ status: (error as { statusCode?: number }).statusCode }, "Slack did not remove a secret message");
    return false;
  }
}
