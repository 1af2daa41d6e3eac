import type { AuditAction } from "./audit-actions.ts";
import type { KeyHasher } from "./key-hasher.ts";
import type { ReminderMessages } from "./reminder-messages.ts";
import type { SecretCipher } from "./secret-cipher.ts";
import type { DomainTelemetry } from "./telemetry.ts";
import type { Repositories, Store } from "./repositories.ts";
import { newId, type Clock, type RandomSource } from "./runtime.ts";
import type { Actor, AuditEvent } from "./types.ts";

/** What every domain service is built from: storage, time, randomness and the server's secrets. */
export interface DomainContext {
  store: Store;
  clock: Clock;
  random: RandomSource;
  hasher: KeyHasher;
  /** KEYWARD_ADMINS: Admin whatever Slack says. */
  adminUserIds: ReadonlySet<string>;
  /** Encrypts integration secrets at rest. */
  cipher: SecretCipher;
  /** REMINDER_DAYS: the thresholds, in days before the expiry day. */
  reminderDays: readonly number[];
  /** Updates reminder messages already posted after a rotation, snooze or deletion (absent: nothing to update). */
  reminderMessages?: ReminderMessages;
  /** Counts verifications and cache look-ups for metrics (absent: nothing is counted). */
  telemetry?: DomainTelemetry;
}

export interface AuditTarget {
  type: string;
  id: string;
  name?: string | null;
}

/** Appends an audit event inside the caller's transaction. Details must never hold secret material. */
export async function recordAudit(
  ctx: DomainContext,
  tx: Repositories,
  actor: Pick<Actor, "workspaceId" | "userId" | "source" | "keyId">,
  action: AuditAction,
  target: AuditTarget,
  details?: Record<string, unknown>,
): Promise<AuditEvent> {
  const event: AuditEvent = {
    id: newId(ctx.clock, ctx.random),
    workspaceId: actor.workspaceId,
    actorId: actor.userId,
    action,
    targetType: target.type,
    targetId: target.id,
    targetName: target.name ?? null,
    source: actor.source,
    details: actor.keyId ? { ...details, viaKeyId: actor.keyId } : (details ?? null),
    createdAt: ctx.clock.now(),
  };
  await tx.audit.append(event);
  return event;
}
