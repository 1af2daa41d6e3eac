/**
 * Every id Slack echoes back to us, in one place: the manifest test and the listener-coverage
 * test read this module, and builders and listeners import from it, so a rename cannot strand a
 * button without a listener.
 */
export const slashCommand = "/keys";

export const callbackIds = {
  createKey: "keyward.key.create",
  editKey: "keyward.key.edit",
  rollKey: "keyward.key.roll",
  createRole: "keyward.role.create",
  assignRole: "keyward.role.assign",
  notice: "keyward.notice",
} as const;

export const actionIds = {
  openCreateKey: "keyward.key.open_create",
  openEditKey: "keyward.key.open_edit",
  deleteKey: "keyward.key.delete",
  askDeleteKey: "keyward.key.ask_delete",
  cancelDelete: "keyward.key.cancel_delete",
  listNextPage: "keyward.key.list_next",
  listFirstPage: "keyward.key.list_first",
  homeNextPage: "keyward.home.next",
  homeFirstPage: "keyward.home.first",
  openCreateRole: "keyward.role.open_create",
  openAssignRole: "keyward.role.open_assign",
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
} as const;

export const inputActionId = "value";
