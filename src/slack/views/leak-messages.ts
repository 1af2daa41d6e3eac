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

/** In the message's thread: what happened, and a request to delete the message (the secret is still in it). */
export function leakThreadMessage(v: LeakView): Message {
  // Alert only: the thread is read by everyone in the conversation, so it does not say the key still works.
  const done = v.revoked ? "keyward revoked it: it no longer works." : "keyward has reported it.";
  return single("leak_thread", `:rotating_light: This message holds the keyward API key ${keyLabel(v)}. ${done} Please delete this message: the key is in it.`);
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

/** The security channel (`/keys security #channel`). */
export function leakSecurityMessage(v: LeakView): Message {
  const creator = isPerson(v.createdBy) ? ` of ${mention(v.createdBy)}` : "";
  return single("leak_security", `:rotating_light: Leaked API key ${keyLabel(v)}${creator}, seen ${whereText(v)}. ${outcomeText(v)}`);
}
