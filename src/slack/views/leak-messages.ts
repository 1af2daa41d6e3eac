import type { KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { encodeReplacementValue } from "../wire/leak-values.ts";
import { clip, escapeMrkdwn, isPerson, literal, mention, mrkdwn, plain, strong } from "./format.ts";

/** What the messages about one leak show: the key (never its secret), what was done, and where it was seen. */
export interface LeakView {
  keyId: string;
  name: string;
  last4: string;
  roleName: string;
  createdBy: string;
  revoked: boolean;
  endedGrace: boolean;
  where:
    | { kind: "slack"; channel: string; permalink: string | null; postedBy: string | null }
    | { kind: "scanner"; scanner: "gitlab"; location: string | null };
}

type Message = { text: string; blocks: KnownBlock[] };

const keyLabel = (v: LeakView) => `${strong(v.name)} (…${escapeMrkdwn(v.last4)}, role ${literal(v.roleName)})`;

function whereText(v: LeakView): string {
  if (v.where.kind === "scanner") {
    const location = v.where.location ? `: ${literal(clip(v.where.location, 500))}` : "";
    return `by GitLab secret detection${location}`;
  }
  // A bare URL, which Slack links by itself: no markup built around text that came from outside.
  const link = v.where.permalink ? ` (${escapeMrkdwn(v.where.permalink)})` : "";
  const by = isPerson(v.where.postedBy) ? `, posted by ${mention(v.where.postedBy)}` : "";
  return `in <#${v.where.channel}>${link}${by}`;
}

function outcomeText(v: LeakView): string {
  if (!v.revoked) return "It still works: this workspace only reports leaks (`/keys security alert-only`). Roll or delete it now.";
  return v.endedGrace ? "It was revoked: it no longer works (its grace period ended; its replacement keeps working)." : "It was revoked: it no longer works.";
}

const single = (blockId: string, text: string): Message => ({ text, blocks: [{ type: "section", block_id: blockId, text: mrkdwn(text) }] });

/**
 * Revoke mode, in the message's thread: everyone in the conversation reads it (in Slack Connect,
 * the other organisation too), so it names the key only by its last 4, already in the message:
 * never its name or role.
 */
export function leakThreadMessage(v: Pick<LeakView, "last4">): Message {
  return single(
    "leak_thread",
    `:rotating_light: The keyward API key ending …${escapeMrkdwn(v.last4)} in this message was revoked. Please delete this message.`,
  );
}

/** Who else keyward told of a leak, for the poster's note. */
export type LeakAudience = "creator" | "security" | "admins";

const audienceText: Record<LeakAudience, string> = { creator: "the key's creator", security: "the security channel", admins: "keyward's Admins" };

/**
 * Alert only, to the poster alone (ephemeral): the key still works, so nothing public says it is
 * one; the poster already holds it. Neither its name, its role nor that it still works: the
 * poster may be anyone in the conversation, another organisation's member too.
 */
export function leakPosterMessage(v: Pick<LeakView, "last4">, told: readonly LeakAudience[]): Message {
  const names = [...new Set(told)].map((a) => audienceText[a]);
  const who = names.length === 0 ? "" : ` keyward told ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`}.`;
  return single("leak_poster", `:rotating_light: Your message holds a keyward API key (ending …${escapeMrkdwn(v.last4)}). Please delete the message.${who}`);
}

/** The key's creator, by DM: what happened, where, and **Create a replacement** (the create form, filled in from the key). */
export function leakCreatorMessage(v: LeakView): Message {
  const text = `:rotating_light: Your API key ${keyLabel(v)} was seen ${whereText(v)}. ${outcomeText(v)}`;
  return {
    text,
    blocks: [
      { type: "section", block_id: "leak_facts", text: mrkdwn(text) },
      {
        type: "actions",
        block_id: "leak_actions",
        elements: [
          {
            type: "button",
            action_id: actionIds.createReplacement,
            text: plain("Create a replacement", 75),
            style: "primary",
            value: encodeReplacementValue(v.keyId),
          },
        ],
      },
    ],
  };
}

/** The security channel (`/keys security #channel`), and the Admins' DM when no one else would hear of the leak. */
export function leakSecurityMessage(v: LeakView): Message {
  return single("leak_security", securityText(v));
}

const securityText = (v: LeakView) => {
  const creator = isPerson(v.createdBy) ? ` of ${mention(v.createdBy)}` : "";
  return `:rotating_light: Leaked API key ${keyLabel(v)}${creator}, seen ${whereText(v)}. ${outcomeText(v)}`;
};

/** What an Admin can do about each way a channel refuses (wrongChannel); another code (none reaches here today) gets the invitation. */
const choose = "choose another channel (`/keys security #channel`)";
const inviteOrChoose = `invite the app there (\`/invite @keyward\`) or ${choose}`;
const refusalFixes = new Map([
  ["not_in_channel", inviteOrChoose],
  ["channel_not_found", `the channel is gone, or private without the app: ${inviteOrChoose}`],
  ["is_archived", `the channel is archived: unarchive it or ${choose}`],
  ["restricted_action", `posting is restricted in that channel: ${choose}`],
]);

/**
 * An Admin's DM when the security channel refused the leak's post (the app was removed, the channel
 * archived, deleted or restricted): the leak, why the channel refused (Slack's error code) and the
 * fix that fits it. Not sent for every leak (at most once an hour per instance, leak-announcer.ts): it says so, and where later leaks are.
 */
export function leakSecurityRefusedMessage(v: LeakView, channel: string, code: string): Message {
  const fix = refusalFixes.get(code) ?? inviteOrChoose;
  const why = `:warning: keyward could not post this in the security channel <#${channel}> (Slack answered ${literal(clip(code, 60))}): ${fix}. keyward does not repeat this for every leak while the channel refuses: later leaks are in the audit log (\`/keys audit\`).`;
  return {
    text: `${securityText(v)}\n${why}`,
    blocks: [
      { type: "section", block_id: "leak_security", text: mrkdwn(securityText(v)) },
      { type: "context", block_id: "leak_security_refused", elements: [mrkdwn(why)] },
    ],
  };
}
