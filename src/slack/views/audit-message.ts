import type { KnownBlock } from "@slack/types";
import { escapeMrkdwn, mention, mrkdwn, plain, slackDate } from "./format.ts";
import { chunkLines } from "./roles-message.ts";

export interface AuditEventView {
  action: string;
  actorId: string;
  targetType: string;
  targetName: string | null;
  targetId: string;
  source: string;
  createdAt: Date;
}

function describeTarget(e: AuditEventView): string {
  if (e.targetType === "user") return mention(e.targetId);
  return e.targetName ? `*${escapeMrkdwn(e.targetName)}*` : `\`${e.targetId}\``;
}

export function auditMessage(events: AuditEventView[]): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [{ type: "header", block_id: "audit_header", text: plain(`Latest ${events.length} audit events`, 150) }];
  if (events.length === 0) blocks.push({ type: "section", block_id: "audit_empty", text: mrkdwn("Nothing has happened yet.") });
  const lines = events.map((e) => `${slackDate(e.createdAt)}  ${mention(e.actorId)}  \`${e.action}\`  ${describeTarget(e)}  _via ${e.source}_`);
  chunkLines(lines, 2900).slice(0, 45).forEach((text, i) => blocks.push({ type: "section", block_id: `audit_${i}`, text: mrkdwn(text) }));
  return { text: "Audit log", blocks };
}
