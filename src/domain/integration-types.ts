/** A third-party secret's configuration, as the domain shows it: never the secret. */
export interface IntegrationConfig {
  id: string;
  workspaceId: string;
  integration: string;
  alias: string;
  last4: string;
  isDefault: boolean;
  expiresAt: Date | null;
  /** The IANA zone the expiry day was chosen in (reminders follow its midnights); null for an instant. */
  expiryTimeZone: string | null;
  reminderChannel: string | null;
  createdBy: string;
  createdAt: Date;
  rotatedAt: Date | null;
  rotatedBy: string | null;
}
