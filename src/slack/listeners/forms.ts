import { type callbackIds, inputBlockIds as b } from "../ids.ts";
import type { FormSpec } from "./submission.ts";

/**
 * Every form keyward opens, and how a refusal of it is shown (rule 11). Which block ids an
 * errors answer may name comes from the submitted view itself; this says only what the view
 * cannot: the refusal's title, domain fields kept under another block name, and next steps that
 * fit this form better than the general ones.
 */
export const forms = {
  createKey: { refusedTitle: "Not created" },
  editKey: { refusedTitle: "Not saved" },
  rollKey: {
    refusedTitle: "Not rolled",
    // The roll form has no role to choose: the key keeps its own.
    hints: {
      role_exceeds_actor: "A key can only be rolled by someone who holds every permission of its role; ask a keyward Admin to roll it.",
      // The domain's message already says to use /keys request for a new key (the general hint would repeat it).
      approval_required: "",
    },
  },
  createRole: { refusedTitle: "Not created", blocks: { name: b.roleName, permissions: b.permissions } },
  assignRole: { refusedTitle: "Not assigned", blocks: { role: b.role, user: b.user } },
  addIntegration: { refusedTitle: "Not added" },
  rotateIntegration: { refusedTitle: "Not rotated" },
  integrationChannel: { refusedTitle: "Not saved" },
  policy: {
    refusedTitle: "Not saved",
    blocks: {
      "maxLifetimeDays.service": b.maxServiceDays,
      "maxLifetimeDays.personal": b.maxPersonalDays,
      maxLifetimeDays: b.maxServiceDays,
      personalMaxRole: b.personalMaxRole,
      approvalRoles: b.approvalRoles,
      reminderDays: b.reminderDays,
    },
  },
  requestKey: { refusedTitle: "Not requested" },
  denyRequest: {
    refusedTitle: "Not denied",
    // Spoken to an approver, not to someone making a key for themselves.
    hints: {
      role_exceeds_actor: "Leave it to an approver who holds them.",
      permission_denied: "Key requests are decided by people who could create the key themselves.",
    },
  },
} as const satisfies Record<Exclude<keyof typeof callbackIds, "notice">, FormSpec>;
