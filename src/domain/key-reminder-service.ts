import { canChangeKey } from "./capabilities.ts";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, notFound } from "./errors.ts";
import { looksLikeId } from "./runtime.ts";
import type { Actor, ApiKey } from "./types.ts";

/**
 * What a snooze did: `until` is null when the key has expired, so no reminder is left to push.
 * `snoozed` is false when nothing changed: no reminder was left before `until` (a rolled key has
 * none, its replacement has its own; or the next one already comes later).
 */
interface SnoozedKey {
  key: ApiKey;
  until: Date | null;
  snoozed: boolean;
}

/** The API-key side of reminders that people act on: "Snooze" on an API key's reminder DM. */
export class KeyReminderService {
  constructor(private readonly ctx: Pick<DomainContext, "store" | "clock" | "random">) {}

  /**
   * The key's next reminder comes no sooner than `hours` from now (never sooner than planned), as
   * an integration's snooze. Whoever may roll the key may snooze its reminders (rule 1).
   */
  async snooze(actor: Actor, id: string, hours = 24): Promise<SnoozedKey> {
    // Someone who cannot even see keys learns nothing about which ids exist.
    if (!actor.permissions.has("api_keys.view") && !actor.permissions.has("personal_tokens.edit")) throw denied("manage API keys");
    return this.ctx.store.transaction(async (tx) => {
      const key = looksLikeId(id) ? await tx.apiKeys.findById(actor.workspaceId, id) : null;
      if (!key) throw notFound("The API key");
      if (!canChangeKey(actor, key)) throw denied("snooze this key's reminders");
      const now = this.ctx.clock.now();
      if (key.expiresAt.getTime() <= now.getTime()) return { key, until: null, snoozed: false };
      const until = new Date(now.getTime() + hours * 3600_000);
      // The audit trail records changes: a snooze that moved nothing is answered, not audited.
      if (!(await tx.apiKeys.postponeReminder(actor.workspaceId, id, until))) return { key, until, snoozed: false };
      await recordAudit(this.ctx, tx, actor, "api_key.snooze", { type: "api_key", id, name: key.name }, { until: until.toISOString() });
      return { key, until, snoozed: true };
    });
  }
}
