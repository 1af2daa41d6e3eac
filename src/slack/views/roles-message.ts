import type { KnownBlock } from "@slack/types";
import { actionIds } from "../ids.ts";
import { escapeMrkdwn, mrkdwn, plain, strong } from "./format.ts";
import type { RoleView } from "./view-models.ts";

/** Roles grouped a few to a section, so any number of custom roles stays under 50 blocks. */
export function rolesMessage(view: { roles: RoleView[]; canEditRoles: boolean }): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [{ type: "header", block_id: "roles_header", text: plain("Roles", 150) }];
  const lines = view.roles.map(
    (r) => `${strong(r.name)}${r.builtIn ? " (built-in)" : ""}: ${r.permissions.map((p) => `\`${p}\``).join(" ") || "no permissions"}`,
  );
  chunkLines(lines, 2900)
    .slice(0, 45)
    .forEach((text, i) => {
      blocks.push({ type: "section", block_id: `roles_${i}`, text: mrkdwn(text) });
    });
  if (view.canEditRoles) {
    blocks.push({
      type: "actions",
      block_id: "roles_actions",
      elements: [
        { type: "button", action_id: actionIds.openCreateRole, text: plain("Create role", 75), value: "create" },
        { type: "button", action_id: actionIds.openAssignRole, text: plain("Assign role", 75), value: "assign" },
      ],
    });
  }
  return { text: rolesSummary(view.roles), blocks };
}

/** The top-level text: "6 roles: Viewer, Member, Manager, Admin, Deployer and Auditor". */
function rolesSummary(roles: RoleView[]): string {
  if (roles.length === 0) return "No roles yet.";
  const names = roles.slice(0, 8).map((r) => escapeMrkdwn(r.name));
  const rest = roles.length - names.length;
  const list = rest > 0 ? `${names.join(", ")} and ${rest} more` : names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${roles.length === 1 ? "1 role" : `${roles.length} roles`}: ${list}`;
}

/** Packs lines into texts of at most `max` characters (a section's text allows 3000). */
export function chunkLines(lines: string[], max: number): string[] {
  const chunks: string[] = [];
  let current = "";
  for (const raw of lines) {
    const line = raw.length > max ? `${raw.slice(0, max - 1)}…` : raw;
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push(current);
  return chunks;
}
