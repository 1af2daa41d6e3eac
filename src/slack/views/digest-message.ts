// The weekly hygiene digest as a channel message: counts first, then the most urgent keys (each
// with Delete, which asks first), then the way to the Home tab. A few dozen blocks at most: within
// a message's 50 whatever the workspace holds (the counts say how many more there are).
import type { KnownBlock } from "@slack/types";
import type { DigestKey, DigestView } from "../../domain/digest-types.ts";
import { actionIds, slashCommand } from "../ids.ts";
import { encodeRowValue } from "../wire/key-row-values.ts";
import { escapeMrkdwn, mention, mrkdwn, plain, slackDate, strong } from "./format.ts";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The counts, one line each, as the top of the digest and its notification text. */
function countLines(view: DigestView): string[] {
  const c = view.counts;
  return [
    `${plural(c.expiringSoon, "key")} expiring within ${view.expiringDays} days`,
    `${plural(c.unused, "key")} unused for ${view.unusedDays} days or never used`,
    `${plural(c.outOfPolicy, "key")} out of policy`,
    `${plural(c.configsWithoutChannel, "integration configuration")} without a reminder channel`,
    `${plural(c.pendingRequests, "pending key request")}`,
  ];
}

function keyLine(key: DigestKey, kind: "expiring" | "unused"): string {
  const what =
    kind === "expiring"
      ? `expires ${slackDate(key.expiresAt, "{date_short_pretty}")}`
      : key.lastUsedAt
        ? `last used ${slackDate(key.lastUsedAt, "{date_short_pretty}")}`
        : "never used";
  return `${strong(key.name)} \`…${escapeMrkdwn(key.last4)}\` · ${what} · made by ${mention(key.createdBy)}`;
}

function keySection(key: DigestKey, kind: "expiring" | "unused", i: number): KnownBlock {
  return {
    type: "section",
    block_id: `digest_${kind}.${i}`,
    text: mrkdwn(keyLine(key, kind)),
    accessory: {
      type: "button",
      action_id: actionIds.digestDeleteKey,
      text: plain("Delete", 75),
      style: "danger",
      value: encodeRowValue({ op: "delete", keyId: key.id }),
    },
  };
}

function keyGroup(title: string, keys: DigestKey[], kind: "expiring" | "unused", total: number): KnownBlock[] {
  if (keys.length === 0) return [];
  const more = total > keys.length ? ` (the ${keys.length} most urgent of ${total})` : "";
  return [{ type: "section", block_id: `digest_${kind}_title`, text: mrkdwn(`*${title}*${more}`) }, ...keys.map((k, i) => keySection(k, kind, i))];
}

/** The app's Home tab, through Slack's app_redirect (the app's id is what the setting command carried). */
export function homeLink(view: Pick<DigestView, "appId" | "workspaceId">): string | null {
  if (!view.appId || !/^A[A-Z0-9]+$/.test(view.appId)) return null;
  const team = /^[TE][A-Z0-9]+$/.test(view.workspaceId) ? `&team=${view.workspaceId}` : "";
  return `https://slack.com/app_redirect?app=${view.appId}${team}`;
}

export function digestMessage(view: DigestView): { text: string; blocks: KnownBlock[] } {
  const lines = countLines(view);
  const link = homeLink(view);
  const home = link ? `<${link}|keyward's Home tab>` : "keyward's Home tab";
  const allClear = Object.values(view.counts).every((n) => n === 0);
  return {
    text: `Weekly key hygiene: ${lines.join("; ")}.`,
    blocks: [
      { type: "header", block_id: "digest_header", text: plain(`Weekly key hygiene · ${view.week}`, 150) },
      {
        type: "section",
        block_id: "digest_counts",
        text: mrkdwn(allClear ? ":white_check_mark: Nothing needs attention this week." : lines.map((l) => `• ${l}`).join("\n")),
      },
      ...keyGroup("Expiring soonest", view.expiring, "expiring", view.counts.expiringSoon),
      ...keyGroup("Unused the longest", view.unused, "unused", view.counts.unused),
      { type: "divider", block_id: "digest_divider" },
      {
        type: "context",
        block_id: "digest_home",
        elements: [mrkdwn(`See the Home tab for everything: ${home}, or \`${slashCommand} list\`. Delete asks before it deletes, with your own permissions.`)],
      },
    ],
  };
}
