import type { Sealed, SecretOwner } from "./secret-cipher.ts";

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

export interface NewIntegrationConfig extends Omit<IntegrationConfig, "isDefault" | "rotatedAt" | "rotatedBy"> {
  sealed: Sealed;
  isDefault: boolean;
  nextReminderAt: Date | null;
}

export interface IntegrationRepository {
  list(workspaceId: string, page: { integration?: string; after?: string; limit: number }): Promise<IntegrationConfig[]>;
  /** How many configurations `list` pages through, in one count. */
  count(workspaceId: string, integration?: string): Promise<number>;
  find(workspaceId: string, integration: string, alias: string): Promise<IntegrationConfig | null>;
  findById(workspaceId: string, id: string): Promise<IntegrationConfig | null>;
  findDefault(workspaceId: string, integration: string): Promise<IntegrationConfig | null>;
  sealedSecret(workspaceId: string, id: string): Promise<Sealed | null>;
  create(config: NewIntegrationConfig): Promise<IntegrationConfig>;
  replaceSecret(
    workspaceId: string,
    id: string,
    change: { sealed: Sealed; last4: string; expiresAt: Date | null; expiryTimeZone: string | null; at: Date; by: string; nextReminderAt: Date | null },
  ): Promise<IntegrationConfig | null>;
  /** Makes `id` the integration's only default (the database refuses two). */
  makeDefault(workspaceId: string, integration: string, id: string): Promise<void>;
  setChannel(workspaceId: string, id: string, channel: string | null): Promise<IntegrationConfig | null>;
  postponeReminder(workspaceId: string, id: string, until: Date): Promise<void>;
  delete(workspaceId: string, id: string): Promise<boolean>;
  /**
   * For re-encryption, across workspaces, by id: rows sealed under a key version below `keyVersion`
   * (when given) or with a binding below `binding`.
   */
  sealedBelow(below: { keyVersion?: number; binding: number }, after: string | undefined, limit: number): Promise<Array<SecretOwner & { sealed: Sealed }>>;
  /** Compare-and-set on the row's ciphertext, key version and binding. */
  reseal(id: string, from: Sealed, to: Sealed): Promise<boolean>;
}
