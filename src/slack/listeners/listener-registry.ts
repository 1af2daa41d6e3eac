import type { App, ViewConstraints } from "@slack/bolt";
import { actionIds as action, callbackIds as form, slashCommand } from "../ids.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { keysCommand } from "./command-listener.ts";
import { createKeySubmission } from "./create-key-flow.ts";
import { editKeySubmission } from "./edit-key-flow.ts";
import { anyClosedView, closedViewAck, unknownActionAck, unknownActionId, unknownSubmission, unknownSubmissionClear } from "./fallback-listeners.ts";
import { homeOpened, homePageButton } from "./home-listener.ts";
import {
  addIntegrationSubmission,
  deleteIntegrationButton,
  integrationChannelSubmission,
  integrationPageButton,
  openAddIntegrationButton,
  openIntegrationChannelButton,
  openRotateIntegrationButton,
  rotateIntegrationSubmission,
  setDefaultIntegrationButton,
} from "./integration-listeners.ts";
import { digestDeleteButton } from "./digest-listeners.ts";
import { askDeleteButton, cancelDeleteButton, legacyDeleteButton, rowMenuPick, stopOldKeyButton } from "./key-list-actions.ts";
import { createReplacementButton, messagePosted } from "./leak-listener.ts";
import { keyPageButton, openCreateKeyButton, openEditKeyButton } from "./key-listeners.ts";
import { applyMaxLifetimeButton, openPolicyButton, policySubmission } from "./policy-listeners.ts";
import { approveRequestButton, denyRequestButton, denyRequestSubmission, keyRequestSubmission, openRequestKeyButton } from "./key-request-flow.ts";
import { rotateFromReminderButton, snoozeReminderButton } from "./reminder-listeners.ts";
import { assignRoleSubmission, createRoleSubmission, openAssignRoleButton, openCreateRoleButton } from "./role-listeners.ts";
import { rollKeySubmission } from "./roll-key-flow.ts";
import { secretStoredButton } from "./secret-stored-listener.ts";
import { appUninstalled, tokensRevoked } from "./uninstall-listeners.ts";
import { userChanged } from "./user-change-listener.ts";

/**
 * Builds a listener from what listeners are built from; a test can call it with fakes. Each
 * factory is typed with the arguments Bolt hands its kind of listener; the table only needs to
 * know it takes some.
 */
type ListenerFactory = (deps: SlackDeps) => (args: never) => Promise<void>;

/** One registration: what Bolt matches (a command, an action id, a callback id or view constraints, an event type) and the listener for it. */
export type ListenerEntry =
  | { kind: "command"; id: string; handler: ListenerFactory }
  | { kind: "action"; id: string | RegExp; handler: ListenerFactory }
  | { kind: "view"; id: string | ViewConstraints; handler: ListenerFactory }
  | { kind: "event"; id: "app_home_opened" | "user_change" | "app_uninstalled" | "tokens_revoked" | "message"; handler: ListenerFactory };

/**
 * Every listener keyward registers with Bolt, in order: the manifest test checks this table
 * against ids.ts and the manifest. A view with a callback id alone is a submission. The
 * catch-alls for ids no listener knows stay last.
 */
export const listeners: readonly ListenerEntry[] = [
  { kind: "command", id: slashCommand, handler: keysCommand },

  // API keys: the forms, and the list messages' pages.
  { kind: "action", id: action.openCreateKey, handler: openCreateKeyButton },
  { kind: "view", id: form.createKey, handler: createKeySubmission },
  { kind: "action", id: action.openEditKey, handler: openEditKeyButton },
  { kind: "view", id: form.editKey, handler: editKeySubmission },
  { kind: "view", id: form.rollKey, handler: rollKeySubmission },
  { kind: "action", id: action.secretStored, handler: secretStoredButton },
  { kind: "action", id: action.listNextPage, handler: keyPageButton },
  { kind: "action", id: action.listFirstPage, handler: keyPageButton },

  // A key list's rows, in a message or on the Home tab.
  { kind: "action", id: action.keyRowMenu, handler: rowMenuPick },
  { kind: "action", id: action.stopOldKey, handler: stopOldKeyButton },
  { kind: "action", id: action.askDeleteKey, handler: askDeleteButton },
  { kind: "action", id: action.deleteKey, handler: legacyDeleteButton },
  { kind: "action", id: action.cancelDelete, handler: cancelDeleteButton },
  // A key's Delete on the weekly digest: asks the delete question above, to the presser alone.
  { kind: "action", id: action.digestDeleteKey, handler: digestDeleteButton },

  // Key requests: the form, and Approve / Deny on the approvers' messages.
  { kind: "view", id: form.requestKey, handler: keyRequestSubmission },
  { kind: "action", id: action.openRequestKey, handler: openRequestKeyButton },
  { kind: "action", id: action.approveRequest, handler: approveRequestButton },
  { kind: "action", id: action.denyRequest, handler: denyRequestButton },
  { kind: "view", id: form.denyRequest, handler: denyRequestSubmission },

  // Roles.
  { kind: "action", id: action.openCreateRole, handler: openCreateRoleButton },
  { kind: "view", id: form.createRole, handler: createRoleSubmission },
  { kind: "action", id: action.openAssignRole, handler: openAssignRoleButton },
  { kind: "view", id: form.assignRole, handler: assignRoleSubmission },

  // The workspace policy.
  { kind: "view", id: form.policy, handler: policySubmission },
  { kind: "action", id: action.openPolicy, handler: openPolicyButton },
  { kind: "action", id: action.applyMaxLifetime, handler: applyMaxLifetimeButton },

  // The Home tab, and the people it is for.
  { kind: "event", id: "app_home_opened", handler: homeOpened },
  { kind: "action", id: action.homeNextPage, handler: homePageButton },
  { kind: "action", id: action.homeFirstPage, handler: homePageButton },
  { kind: "event", id: "user_change", handler: userChanged },

  // OAuth installs: Slack says the app is gone from a workspace (its tokens go, its reminders pause).
  { kind: "event", id: "app_uninstalled", handler: appUninstalled },
  { kind: "event", id: "tokens_revoked", handler: tokensRevoked },

  // Leaks: keys posted in a conversation the app is in (message.channels, .groups, .im), and the creator's DM.
  { kind: "event", id: "message", handler: messagePosted },
  { kind: "action", id: action.createReplacement, handler: createReplacementButton },

  // Integration keys.
  { kind: "action", id: action.openAddIntegration, handler: openAddIntegrationButton },
  { kind: "view", id: form.addIntegration, handler: addIntegrationSubmission },
  { kind: "action", id: action.openRotateIntegration, handler: openRotateIntegrationButton },
  { kind: "view", id: form.rotateIntegration, handler: rotateIntegrationSubmission },
  { kind: "action", id: action.openIntegrationChannel, handler: openIntegrationChannelButton },
  { kind: "view", id: form.integrationChannel, handler: integrationChannelSubmission },
  { kind: "action", id: action.setDefaultIntegration, handler: setDefaultIntegrationButton },
  { kind: "action", id: action.deleteIntegration, handler: deleteIntegrationButton },
  { kind: "action", id: action.integrationsNextPage, handler: integrationPageButton },
  { kind: "action", id: action.integrationsFirstPage, handler: integrationPageButton },

  // Reminder messages, of API keys and of integration keys.
  { kind: "action", id: action.rotateFromReminder, handler: rotateFromReminderButton },
  { kind: "action", id: action.snoozeReminder, handler: snoozeReminderButton },

  // Last: whatever no listener above takes is still acknowledged (fallback-listeners.ts).
  { kind: "action", id: unknownActionId, handler: unknownActionAck },
  { kind: "view", id: unknownSubmission, handler: unknownSubmissionClear },
  { kind: "view", id: anyClosedView, handler: closedViewAck },
];

/** Gives Bolt every listener of the table, in its order. */
export function registerListeners(app: App, deps: SlackDeps): void {
  for (const entry of listeners) {
    // Each factory's own type says which arguments it takes; Bolt's overloads cannot see that through the table.
    const listener = entry.handler(deps) as never;
    switch (entry.kind) {
      case "command":
        app.command(entry.id, listener);
        break;
      case "action":
        app.action(entry.id, listener);
        break;
      case "view":
        if (typeof entry.id === "string") app.view(entry.id, listener);
        else app.view(entry.id, listener);
        break;
      case "event":
        app.event(entry.id, listener);
        break;
    }
  }
}
