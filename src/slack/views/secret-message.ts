import type { KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { escapeMrkdwn, literal, mrkdwn, plain, slackDate, strong } from "./format.ts";
import { noticeMessage } from "./notices.ts";

/** The view model of the one-time secret message (exported for the tests, which build one). */
export interface SecretDeliveryView {
  name: string;
  roleName: string;
  kind: string;
  expiresAt: Date;
  secret: string;
  /** Set for a roll: the key this one replaces, and until when it still works. */
  replaces?: { last4: string; worksUntil: Date };
  /** Set for the key of an approved request: who approved it (a user id), so the message says where it comes from. */
  approvedBy?: string;
}

/**
 * The one message that ever carries a secret: ephemeral, to its creator (SPEC rule 3). Its button
 * removes it (secret-stored-listener.ts), so the secret does not stay on screen; the button's value
 * is a constant that is never read: nothing of the key travels back with a press.
 */
export function secretMessage(view: SecretDeliveryView): { text: string; blocks: KnownBlock[] } {
  return {
    // Never the secret: this text is what notifications and previews show.
    text: `Your new API key ${escapeMrkdwn(view.name)} (${escapeMrkdwn(view.roleName)}, ${view.kind})${view.replaces ? `, replacing …${escapeMrkdwn(view.replaces.last4)}` : ""}${view.approvedBy ? `, approved by <@${view.approvedBy}>` : ""}. Copy it now: it will not be shown again.`,
    blocks: [
      { type: "header", block_id: "secret_header", text: plain("Your new API key", 150) },
      ...(view.approvedBy
        ? [
            {
              type: "section" as const,
              block_id: "secret_approved",
              text: mrkdwn(`Your request for ${strong(view.name)} was approved by <@${view.approvedBy}>.`),
            },
          ]
        : []),
      {
        type: "section",
        block_id: "secret_facts",
        text: mrkdwn(`${strong(view.name)} · ${literal(view.roleName)} · ${view.kind} · expires ${slackDate(view.expiresAt)}`),
      },
      { type: "section", block_id: "secret_value", text: mrkdwn(`\`\`\`${view.secret}\`\`\``) },
      ...(view.replaces
        ? [
            {
              type: "context" as const,
              block_id: "secret_replaces",
              elements: [
                mrkdwn(
                  `Replaces \`…${view.replaces.last4}\`, which keeps working until ${slackDate(view.replaces.worksUntil)}. The new key expires ${slackDate(view.expiresAt)}.`,
                ),
              ],
            },
          ]
        : []),
      {
        type: "context",
        block_id: "secret_warning",
        elements: [
          mrkdwn(
            ":warning: Copy it now: this key *will not be shown again*, and keyward keeps only its last 4 characters. Only you can see this message; press *I've stored it* once the key is safe, and it is removed.",
          ),
        ],
      },
      {
        type: "actions",
        block_id: "secret_stored",
        elements: [{ type: "button", action_id: actionIds.secretStored, text: plain("I've stored it", 75), style: "primary", value: "stored" }],
      },
    ],
  };
}

/**
 * Said when "I've stored it" could not remove the secret message (a response_url serves 30
 * minutes and 5 posts). Names no key: the press carries nothing of it.
 */
export function secretNotRemovedMessage(): { text: string; blocks: KnownBlock[] } {
  return noticeMessage(
    "Slack did not let keyward remove the message with your new key. Dismiss it yourself, or reload Slack: that message is visible only to you and does not survive a reload.",
    ":broom:",
  );
}
