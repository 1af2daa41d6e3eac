import type { OperatorService } from "../domain/operator-service.ts";
import type { Clock } from "../domain/runtime.ts";
import type { ApiKey } from "../domain/types.ts";
import type { ControlHandlers } from "./control-channel.ts";

/** A key as `npm run keys` shows it: never its secret or hash. */
export interface OperatorKeyView {
  id: string;
  name: string;
  role: string;
  last4: string;
  /** ISO instant; `expiryTimeZone` is the zone its day was chosen in (null: an instant). */
  expiresAt: string;
  expiryTimeZone: string | null;
  /** `rolled`: replaced, working until its (shortened) expiry. */
  status: "active" | "expired" | "rolled";
  createdBy: string;
}

export interface KeyCommandResults {
  /** The one answer that carries a secret (see the header of control-channel.ts). */
  "keys.create": { workspaceId: string; key: OperatorKeyView; secret: string };
  "keys.activate": { activated: true };
  "keys.discard": { discarded: boolean };
  "keys.list": { workspaceId: string; keys: OperatorKeyView[]; nextCursor: string | null };
  "keys.delete": { workspaceId: string; key: OperatorKeyView };
}

export type KeyCommand = keyof KeyCommandResults;

/**
 * `npm run keys`'s commands over the domain, in JSON: what the running keyward answers on its
 * control channel, and what the command runs itself when nobody holds the database.
 */
export function keyCommandHandlers(operator: OperatorService, clock: Clock): Pick<ControlHandlers, KeyCommand> {
  const view = (key: ApiKey) => viewOf(key, clock.now());
  return {
    "keys.create": async ({ osUser, workspace, command: _, ...input }) => {
      const created = await operator.createKey(osUser, workspace, input);
      return { workspaceId: created.workspaceId, key: view(created.key), secret: created.secret };
    },
    "keys.activate": async ({ osUser, workspace, keyId }) => {
      await operator.activateKey(osUser, workspace, keyId);
      return { activated: true as const };
    },
    "keys.discard": async ({ osUser, workspace, keyId }) => ({ discarded: await operator.discardKey(osUser, workspace, keyId) }),
    "keys.list": async ({ osUser, workspace, cursor }) => {
      const page = await operator.listKeys(osUser, workspace, cursor);
      return { workspaceId: page.workspaceId, keys: page.data.map(view), nextCursor: page.nextCursor };
    },
    "keys.delete": async ({ osUser, workspace, ref, endGrace }) => {
      const deleted = await operator.deleteKey(osUser, workspace, ref, { endGrace });
      return { workspaceId: deleted.workspaceId, key: view(deleted.key) };
    },
  };
}

function viewOf(key: ApiKey, now: Date): OperatorKeyView {
  const status = key.replacedBy ? "rolled" : key.expiresAt.getTime() <= now.getTime() ? "expired" : "active";
  return {
    id: key.id,
    name: key.name,
    role: key.roleName,
    last4: key.last4,
    expiresAt: key.expiresAt.toISOString(),
    expiryTimeZone: key.expiryTimeZone,
    status,
    createdBy: key.createdBy,
  };
}
