// Every id Slack echoes back to us, in one place: the manifest test and the listener-coverage
// test read this module, and builders and listeners import from it, so a rename cannot strand a
// button without a listener.
//
// What Slack echoes back with these ids is a wire format too, encoded and decoded in one module of
// wire/ each, and nowhere else (test/repo/wire-formats.test.ts): renaming a field or a prefix there
// strands the forms open and the messages posted with the old one.
//   wire/form-metadata.ts    every form's private_metadata (create, roll and rename a key; the integration forms)
//   wire/key-row-values.ts   the key list's row menu, Stop old key now, the delete question, old lists' Delete and Rename, the digest's Delete
//   wire/paging-values.ts    First page and Page n → of the key list (message and Home tab) and of the integrations list
//   wire/reminder-values.ts  the buttons of reminder messages
//   wire/config-values.ts    the buttons that act on one integration configuration
//   wire/request-values.ts   Approve and Deny on a key request's message
//   wire/leak-values.ts      Create a replacement on the DM about a leaked key
// A button whose value is never read carries a constant ("create", "assign", "add", "stored"); a form's inputs
// come back in its state, read by the form's own parser in views/ against the domain's schemas.
export const slashCommand = "/keys";

export const callbackIds = {
  createKey: "keyward.key.create",
  editKey: "keyward.key.edit",
  rollKey: "keyward.key.roll",
  createRole: "keyward.role.create",
  assignRole: "keyward.role.assign",
  notice: "keyward.notice",
  addIntegration: "keyward.integration.add",
  rotateIntegration: "keyward.integration.rotate",
  integrationChannel: "keyward.integration.channel",
  policy: "keyward.policy.edit",
  requestKey: "keyward.request.create",
  denyRequest: "keyward.request.deny",
} as const;

export const actionIds = {
  openCreateKey: "keyward.key.open_create",
  openEditKey: "keyward.key.open_edit",
  /** A key-list row's overflow menu (Rename / Roll / Delete); option values: wire/key-row-values.ts. */
  keyRowMenu: "keyward.key.row_menu",
  /** A rolled key's row: end its grace period now (its replacement keeps working). */
  stopOldKey: "keyward.key.stop_old",
  /** The red Delete button lists had before the row menu; kept for messages already in Slack. */
  deleteKey: "keyward.key.delete",
  /** The Delete button of a delete question (from `/keys delete` or a row menu). */
  askDeleteKey: "keyward.key.ask_delete",
  cancelDelete: "keyward.key.cancel_delete",
  /** "I've stored it" on the one-time secret message: removes that message (its value is a constant). */
  secretStored: "keyward.key.secret_stored",
  listNextPage: "keyward.key.list_next",
  listFirstPage: "keyward.key.list_first",
  homeNextPage: "keyward.home.next",
  homeFirstPage: "keyward.home.first",
  openCreateRole: "keyward.role.open_create",
  openAssignRole: "keyward.role.open_assign",
  openAddIntegration: "keyward.integration.open_add",
  openRotateIntegration: "keyward.integration.open_rotate",
  setDefaultIntegration: "keyward.integration.set_default",
  deleteIntegration: "keyward.integration.delete",
  openIntegrationChannel: "keyward.integration.open_channel",
  integrationsNextPage: "keyward.integration.list_next",
  integrationsFirstPage: "keyward.integration.list_first",
  /** On reminder messages; values: wire/reminder-values.ts. */
  rotateFromReminder: "keyward.reminder.rotate",
  snoozeReminder: "keyward.reminder.snooze",
  /** After a policy save that made a maximum stricter: shorten existing keys (a constant value; a confirm dialog first). */
  applyMaxLifetime: "keyward.policy.apply_max_lifetime",
  /** A key's Delete on the weekly digest: asks first (the `/keys delete` question); its value is a row value (wire/key-row-values.ts). */
  digestDeleteKey: "keyward.digest.delete",
  /** On a key request's message; values: wire/request-values.ts. */
  approveRequest: "keyward.request.approve",
  denyRequest: "keyward.request.open_deny",
  /** On the Home tab: the request form, and the policy (form for Admins). Constant values. */
  openRequestKey: "keyward.request.open",
  openPolicy: "keyward.policy.open",
  /** On the DM telling a key's creator it leaked: the create form, filled in from the key; values: wire/leak-values.ts. */
  createReplacement: "keyward.leak.create_replacement",
} as const;

/** Input blocks are named after the domain field they carry; each holds one element, `value`. */
export const inputBlockIds = {
  name: "name",
  description: "description",
  role: "role",
  expiresOn: "expires_on",
  kind: "kind",
  roleName: "role_name",
  permissions: "permissions",
  user: "user",
  grace: "grace",
  integration: "integration",
  alias: "alias",
  secret: "secret",
  isDefault: "is_default",
  channel: "channel",
  maxServiceDays: "max_service_days",
  maxPersonalDays: "max_personal_days",
  requireDescription: "require_description",
  personalMaxRole: "personal_max_role",
  approvalRoles: "approval_roles",
  reminderDays: "reminder_days",
  reason: "reason",
} as const;

export const inputActionId = "value";

/**
 * Block ids of one configuration's part of a combined reminder message (several configurations due
 * in one channel, posted as one message): `reminder_<part>.<configuration id>`, unique per message,
 * so an update after a rotation, snooze or deletion replaces that configuration's part alone. A
 * reminder about one configuration keeps the plain ids (`reminder_header`, `reminder_actions`, …).
 */
export const reminderPartBlockId = (part: "facts" | "steps" | "actions" | "was" | "divider", subjectId: string): string => `reminder_${part}.${subjectId}`;

/** The configuration a block of a combined reminder message is about, or null for any other block. */
export function reminderPartSubject(blockId: unknown): string | null {
  if (typeof blockId !== "string") return null;
  const match = /^reminder_(?:facts|steps|actions|was|divider)\.(.+)$/.exec(blockId);
  return match?.[1] ?? null;
}

/** The bot scopes the app asks for when installed through OAuth: manifest.yml's oauth_config.scopes.bot (test/slack/manifest.test.ts checks they agree). */
export const botScopes = ["commands", "chat:write", "im:write", "users:read", "channels:history", "groups:history", "im:history"] as const;
