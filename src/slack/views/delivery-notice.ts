import type { DeliveryOutcome } from "../secret-delivery.ts";
import { slackDate, strong } from "./format.ts";
import type { HomeStatus } from "./home-view.ts";

export interface DeliveryNoticeView {
  keyName: string;
  last4: string;
  outcome: DeliveryOutcome;
  /** The team the person is signed in to, for the link (Slack opens the default team without it). */
  teamId?: string;
  /** The app's id (every payload's api_app_id): a DM link opens the app's Messages tab with it, as Slack documents. */
  appId?: string;
  /** Set for a roll: the key being replaced, and until when it still works. */
  replaces?: { last4: string; worksUntil: Date };
}

/**
 * A link that opens a conversation in Slack: `app_redirect` is an https URL, so it works in the
 * desktop app, on mobile and in a browser (a `slack://` link needs the desktop client installed).
 * Exported for its test.
 */
export function conversationLink(channelId: string, teamId?: string, appId?: string): string {
  const team = teamId && /^T[A-Z0-9]+$/.test(teamId) ? `&team=${teamId}` : "";
  // Slack documents `app=` for "a direct message with your app"; `channel=` is for channels.
  if (channelId.startsWith("D") && appId && /^A[A-Z0-9]+$/.test(appId)) return `https://slack.com/app_redirect?app=${appId}${team}`;
  return `https://slack.com/app_redirect?channel=${encodeURIComponent(channelId)}${team}`;
}

/** Where the message is, in words, with a link when the conversation is known. */
function whereText(outcome: Extract<DeliveryOutcome, { state: "delivered" }>, teamId?: string, appId?: string): string {
  const link = (label: string) =>
    outcome.channelId && /^[CDG][A-Z0-9]+$/.test(outcome.channelId) ? `<${conversationLink(outcome.channelId, teamId, appId)}|${label}>` : "";
  if (outcome.route === "dm") {
    const open = link("Open that conversation");
    return `Its secret is in your direct messages with keyward (the app's *Messages* tab).${open ? ` ${open}.` : ""}`;
  }
  const open = link("Open it");
  return `Its secret is in the conversation where you typed the command.${open ? ` ${open}.` : ""}`;
}

/**
 * Ephemeral messages are not kept by Slack (SLACK-NOTES, chat.postEphemeral): say so plainly, so
 * nobody counts on finding the secret later.
 */
const lifetime =
  ":warning: Only you can see that message, and it does not stay: Slack does not keep it, so it is gone once Slack reloads or you sign out, and keyward never shows the secret again. Copy it now.";

/** The modal that answers a create or roll form once the secret's delivery has run. */
export function deliveryNotice(view: DeliveryNoticeView): { title: string; text: string } {
  const name = strong(view.keyName);
  const roll = view.replaces !== undefined;
  const { outcome } = view;
  if (outcome.state === "delivered") {
    const ready = roll
      ? `The replacement for ${name} (\`…${view.last4}\`) is ready; the old key \`…${view.replaces!.last4}\` keeps working until ${slackDate(view.replaces!.worksUntil)}.`
      : `Your key ${name} (\`…${view.last4}\`) is ready.`;
    return { title: roll ? "Key rolled" : "Key ready", text: `${ready} ${whereText(outcome, view.teamId, view.appId)}\n\n${lifetime}` };
  }
  if (outcome.state === "not_activated") {
    const again = roll ? "Roll the key again" : "Please create a new one";
    return {
      title: "Not switched on",
      text: `The new secret of ${name} was shown to you but the key could not be switched on; it will be removed shortly, so do not use it. ${again}.`,
    };
  }
  const notBack = outcome.state === "undelivered" && outcome.oldKeyStops;
  const undone = !roll
    ? ""
    : notBack
      ? ` The old key was not brought back, because another key is named ${name} now: it stops ${slackDate(notBack)}, as the roll set.`
      : " The old key works as before.";
  return {
    title: roll ? "Not rolled" : "Not created",
    text: `The new secret of ${name} could not be shown to you, so it was removed again. Nothing new is live.${undone}`,
  };
}

/** The Home tab's status line after a create or roll from it: what happened and where the secret is. */
export function deliveryStatus(view: DeliveryNoticeView): HomeStatus {
  const { outcome } = view;
  const name = `${strong(view.keyName)} \`…${view.last4}\``;
  if (outcome.state === "delivered") {
    const where =
      outcome.route === "dm" ? "your direct messages with keyward (until Slack reloads)" : "the conversation where you typed the command (until Slack reloads)";
    return { tone: "done", text: `${view.replaces ? "Rolled" : "Created"} ${name}. Its secret was shown to you once, in ${where}.`, formatted: true };
  }
  return { tone: "refused", text: deliveryNotice(view).text, formatted: true };
}
