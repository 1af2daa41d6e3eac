/**
 * Every audit action the domain records. recordAudit takes only these, so a new action cannot
 * be written without being listed here, and the surfaces that read the log (Slack's audit
 * message maps each to a verb) are checked against this list.
 */
export const auditActions = [
  "api_key.create",
  "api_key.update",
  "api_key.delete",
  "api_key.roll",
  "api_key.roll_reverted",
  "api_key.snooze",
  "role.create",
  "role.assign",
  "role.unassign",
  "role.delete",
  "integration.add",
  "integration.rotate",
  "integration.set_default",
  "integration.set_channel",
  "integration.delete",
  "integration.reveal",
  "integration.snooze",
] as const;

export type AuditAction = (typeof auditActions)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (auditActions as readonly string[]).includes(value);
}
