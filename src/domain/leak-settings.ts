/** What a workspace does with a leaked key: revoke it at once (the default), or only report it. */
export const leakModes = ["revoke", "alert_only"] as const;
export type LeakMode = (typeof leakModes)[number];

export const isLeakMode = (value: unknown): value is LeakMode => (leakModes as readonly unknown[]).includes(value);

export interface LeakSettings {
  /** Where leaks are reported (`/keys security #channel`); null: only in the thread and to the key's creator. */
  securityChannel: string | null;
  leakMode: LeakMode;
}
