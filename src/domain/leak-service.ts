// Leaks (issue 15): a live key seen where it must not be, in a Slack message or in a scanner's
// report. One response for every surface: find the key by its hash, revoke it unless the workspace
// chose "alert only", audit the leak with where it was seen (never the key), and say what the
// surfaces must announce. A key of another workspace, a deleted or expired key, or a well-formed
// string that is no key gets no answer at all (null), and nothing is written for it.
import { createHash } from "node:crypto";
import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import type { Repositories } from "./repositories.ts";
import { denied, notFound } from "./errors.ts";
import { checkKeyShape, checksumLength, keyPrefix, legacyRandomLength, randomLength } from "./key-format.ts";
import type { LeakMode, LeakSettings } from "./leak-settings.ts";
import { leakModeSchema, securityChannelSchema } from "./schemas.ts";
import { looksLikeId } from "./runtime.ts";
import type { Actor, ApiKey, KeyKind, Source, StoredKey } from "./types.ts";
import { parseInput } from "./validation.ts";

/** Where a leaked key was seen. */
export type LeakLocation =
  /** `permalink`: null while the key is revoked and audited (no Slack call before that); the surface adds it for its announcements. */
  | { kind: "slack"; channel: string; ts: string; permalink: string | null; postedBy: string | null }
  | { kind: "scanner"; scanner: "gitlab"; location: string | null };

/** What the surfaces announce about one leak: the thread reply, the creator's DM, the security channel. */
export interface LeakReport {
  workspaceId: string;
  key: { id: string; name: string; description: string; kind: KeyKind; roleId: string; roleName: string; createdBy: string; last4: string };
  /** False in "alert only" mode: the key still works. */
  revoked: boolean;
  /** The key was a rolled one in its grace period: that grace ended now (its replacement keeps working). */
  endedGrace: boolean;
  securityChannel: string | null;
  /**
   * The Admins keyward knows of (at most maxAdminsTold), told by DM when no one else would hear of
   * the leak: the key's creator is no person (a service key, the CLI) and there is no security
   * channel, or the security channel itself refused the post (the surface tells them of that at
   * most once an hour).
   */
  admins: string[];
  location: LeakLocation;
}

/** How many Admins a leak nobody else hears of is told about, by DM. */
export const maxAdminsTold = 10;

/**
 * At most this many distinct candidates of one text (or one scanner request) are looked up, all in
 * one query: a text of thousands of forged keys costs one bounded query, and a live key after many
 * well-formed decoys is still found.
 */
export const maxCandidatesPerText = 1000;

const body = "[0-9A-Za-z]";
// Longest first, and never inside a longer run of key characters: `kw_` + 40 (or the legacy 36) characters.
const candidatePattern = new RegExp(
  `(?<![0-9A-Za-z_])${keyPrefix}(?:${body}{${randomLength + checksumLength}}|${body}{${legacyRandomLength + checksumLength}})(?![0-9A-Za-z_])`,
  "g",
);

/**
 * The strings of `texts` that pass keyward's checksum, each once, in memory only (SPEC rule 15):
 * the texts themselves are neither kept nor returned.
 */
export function findKeyCandidates(...texts: string[]): string[] {
  const seen = new Set<string>();
  for (const text of texts)
    for (const match of text.matchAll(candidatePattern)) {
      const candidate = match[0];
      if (seen.has(candidate) || checkKeyShape(candidate) !== "ok") continue;
      seen.add(candidate);
      if (seen.size >= maxCandidatesPerText) return [...seen];
    }
  return [...seen];
}

/** Who revokes: keyward itself, on behalf of the surface that saw the leak. */
const keywardActor = (workspaceId: string, source: Source) => ({ workspaceId, userId: "keyward", source });

export class LeakService {
  constructor(
    private readonly ctx: Pick<DomainContext, "store" | "clock" | "random" | "hasher" | "adminUserIds">,
    /** The verify cache forgets the key (other instances hear announceChange). */
    private readonly evict: (keyId: string) => void,
  ) {}

  /** One candidate secret: respondAll of one. */
  async respond(secret: string, scope: { workspaceId?: string; source: Source }, location: LeakLocation): Promise<LeakReport | null> {
    return (await this.respondAll([secret], scope, location))[0] ?? null;
  }

  /**
   * The candidate secrets of one place. `workspaceId`: the workspace they were seen in (Slack);
   * absent, any workspace's key (a scanner, which knows none). All are looked up in one query; each
   * live key is answered in its own transaction, committed before the next, and handed to
   * `onAnswered` as soon as it commits, so a later failure does not hide a key already revoked.
   * Nothing calls Slack before the revoke: the surface looks the message's link up afterwards.
   */
  async respondAll(
    secrets: string[],
    scope: { workspaceId?: string; source: Source },
    location: LeakLocation,
    onAnswered?: (report: LeakReport) => void,
  ): Promise<LeakReport[]> {
    const wellFormed = [...new Set(secrets)].filter((s) => checkKeyShape(s) === "ok").slice(0, maxCandidatesPerText);
    if (wellFormed.length === 0) return [];
    const found = await this.ctx.store.apiKeys.findByHashes(wellFormed.map((s) => this.ctx.hasher.hash(s)));
    const inScope = found.filter(({ key }) => this.isLive(key) && (scope.workspaceId === undefined || key.workspaceId === scope.workspaceId));
    const reports: LeakReport[] = [];
    for (const { key } of inScope) {
      const report = await this.answer(key, scope.source, scrub(location, wellFormed));
      if (!report) continue;
      reports.push(report);
      onAnswered?.(report);
    }
    return reports;
  }

  private async answer(seen: StoredKey, source: Source, location: LeakLocation): Promise<LeakReport | null> {
    const report = await this.ctx.store.transaction(async (tx): Promise<LeakReport | null> => {
      // Under the row lock: a leak reported twice at once (an edit racing its message) is answered once.
      const fresh = await tx.apiKeys.lockForChange(seen.workspaceId, seen.id);
      if (!fresh || !this.isLive(fresh)) return null;
      // Alert only leaves the key live: the same place reported again (a redelivered event, an edit, a scanner's retry) is not answered again.
      if (!(await tx.apiKeys.recordLeakSighting(seen.workspaceId, seen.id, sightingPlace(location), this.ctx.clock.now()))) return null;
      const settings = await tx.workspaces.leakSettings(seen.workspaceId);
      const revoked = settings.leakMode === "revoke";
      const endedGrace = revoked && fresh.replacedBy !== null;
      if (revoked) {
        await tx.apiKeys.softDelete(seen.workspaceId, seen.id, "keyward", this.ctx.clock.now());
        await tx.apiKeys.announceChange(seen.id);
      }
      const details = { revoked, seenIn: auditLocation(location), ...(endedGrace ? { endedGrace, replacedBy: fresh.replacedBy } : {}) };
      await recordAudit(this.ctx, tx, keywardActor(seen.workspaceId, source), "api_key.leak", { type: "api_key", id: seen.id, name: fresh.name }, details);
      const { id, name, description, kind, roleId, roleName, createdBy, last4 } = fresh;
      return {
        workspaceId: seen.workspaceId,
        key: { id, name, description, kind, roleId, roleName, createdBy, last4 },
        revoked,
        endedGrace,
        securityChannel: settings.securityChannel,
        admins: await this.adminsOf(tx, seen.workspaceId),
        location,
      };
    });
    if (report?.revoked) this.evict(report.key.id);
    return report;
  }

  /**
   * **Create a replacement**: the leaked key (revoked or not) whose role, name and description fill
   * in the create form, for someone who may see it (its creator, or a holder of api_keys.view).
   */
  async replacementTemplate(actor: Actor, keyId: string): Promise<ApiKey> {
    const stored = looksLikeId(keyId) ? await this.ctx.store.apiKeys.findStored(actor.workspaceId, keyId) : null;
    if (!stored || stored.pendingSince) throw notFound("The API key");
    if (!actor.permissions.has("api_keys.view") && stored.createdBy !== actor.userId) throw denied("see this key");
    const { deletedAt: _deleted, pendingSince: _pending, rolePermissions: _permissions, expiresAtBeforeRoll: _beforeRoll, ...key } = stored;
    return key;
  }

  /** `/keys security`: anyone of the workspace may see where leaks go. */
  async settings(actor: Actor): Promise<LeakSettings> {
    if (actor.outsider) throw denied("see keyward's security settings");
    return this.ctx.store.workspaces.leakSettings(actor.workspaceId);
  }

  /** `/keys security #channel|off`: Admins only (policy.edit); audited. */
  async setSecurityChannel(actor: Actor, rawChannel: string | null): Promise<void> {
    if (!actor.permissions.has("policy.edit")) throw denied("set the security channel");
    const channel = parseInput(securityChannelSchema, rawChannel);
    await this.ctx.store.transaction(async (tx) => {
      const previous = (await tx.workspaces.leakSettings(actor.workspaceId)).securityChannel;
      if (previous === channel) return;
      await tx.workspaces.setLeakSettings(actor.workspaceId, { securityChannel: channel });
      await recordAudit(this.ctx, tx, actor, "workspace.set_security_channel", { type: "workspace", id: actor.workspaceId }, { channel, previous });
    });
  }

  /** `/keys security alert-only|revoke`: Admins only (policy.edit); audited. */
  async setLeakMode(actor: Actor, rawMode: LeakMode): Promise<void> {
    if (!actor.permissions.has("policy.edit")) throw denied("change what keyward does with leaked keys");
    const mode = parseInput(leakModeSchema, rawMode);
    await this.ctx.store.transaction(async (tx) => {
      const previous = (await tx.workspaces.leakSettings(actor.workspaceId)).leakMode;
      if (previous === mode) return;
      await tx.workspaces.setLeakSettings(actor.workspaceId, { leakMode: mode });
      await recordAudit(this.ctx, tx, actor, "workspace.set_leak_mode", { type: "workspace", id: actor.workspaceId }, { mode, previous });
    });
  }

  /** The Admins keyward knows of: KEYWARD_ADMINS, those assigned Admin, Slack owners and admins seen. */
  private async adminsOf(store: Repositories, workspaceId: string): Promise<string[]> {
    const admin = await store.roles.findBuiltIn(workspaceId, "admin");
    const assigned = admin ? await store.roles.holdersOf(workspaceId, admin.id, maxAdminsTold) : [];
    const seen = await store.members.workspaceAdmins(workspaceId, maxAdminsTold);
    return [...new Set([...[...this.ctx.adminUserIds].sort(), ...assigned, ...seen])].slice(0, maxAdminsTold);
  }

  /** Works now, or would: not deleted, not expired, not waiting for its delivery. */
  private isLive(key: { deletedAt: Date | null; pendingSince: Date | null; expiresAt: Date }): boolean {
    return !key.deletedAt && !key.pendingSince && key.expiresAt.getTime() > this.ctx.clock.now().getTime();
  }
}

/** A scanner's location is kept (audit, announcements) to at most this many UTF-8 bytes. */
export const maxLocationBytes = 1000;

/**
 * Characters a location never keeps: controls (a NUL cannot be stored at all), format characters
 * (bidi overrides and zero-width characters that make an announced link read as another), lone
 * surrogates (JSON with them is refused by jsonb) and whatever else Unicode says shows nothing
 * (Default_Ignorable_Code_Point: variation selectors, U+034F, the Hangul fillers such as U+3164),
 * which would otherwise split a key so that it matches nothing yet reads whole. A scanner sends any
 * text it found.
 */
const unprintable = /[\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

/** How many key characters after `kw_` make a run key-shaped: well below any key's 36 or 40, well above a word. */
export const keyShapedMinimum = 20;

/**
 * Anything key-shaped: `kw_` (marks allowed between its characters) and a run of key characters
 * with marks or ignorables between them, at least keyShapedMinimum of them. Whether or not it
 * passes the checksum, and whoever's it is: a location may quote any key, not only the one reported.
 */
const between = "[\\p{M}\\p{Default_Ignorable_Code_Point}]*";
// Built from the key format's prefix (its characters are letters and `_`: nothing to escape).
const keyShaped = new RegExp(`${[...keyPrefix].join(between)}(?:${between}[0-9A-Za-z]){${keyShapedMinimum},}${between}`, "gu");

/**
 * A scanner's location is its text, cleaned: unprintable characters dropped first (so a secret split
 * by a zero-width space is whole again before it is redacted), the secrets redacted, then anything
 * else key-shaped (another key; a key split by a combining mark, which shows), and last cut to
 * maxLocationBytes, never inside a character. The secrets themselves never go further.
 */
function scrub(location: LeakLocation, secrets: string[]): LeakLocation {
  if (location.kind !== "scanner" || location.location === null) return location;
  const visible = location.location.replace(unprintable, "");
  const redacted = secrets.reduce((text, secret) => text.split(secret).join("[redacted]"), visible).replace(keyShaped, "[redacted]");
  return { ...location, location: cutToBytes(redacted, maxLocationBytes) };
}

/** The longest start of `text` of at most `max` UTF-8 bytes that ends on a character boundary. */
export function cutToBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= max) return text;
  let end = max;
  // Back off continuation bytes (10xxxxxx): the cut falls before the character they belong to.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * The place a leak was seen, as the sightings ledger keys it: the SHA-256 (hex) of a message's
 * "slack:<conversation>:<ts>", or of a scanner's "gitlab:<cleaned location>", never text of a
 * message. A digest, so that whatever a scanner sends is one short key the index always takes;
 * migration 20261202024000 turned the places stored before into the same digest, in SQL.
 */
export function sightingPlace(location: LeakLocation): string {
  const place = location.kind === "slack" ? `slack:${location.channel}:${location.ts}` : `${location.scanner}:${location.location ?? ""}`;
  return createHash("sha256").update(place, "utf8").digest("hex");
}

function auditLocation(location: LeakLocation): Record<string, unknown> {
  return location.kind === "slack"
    ? { surface: "slack", conversation: location.channel, messageTs: location.ts, postedBy: location.postedBy }
    : { surface: location.scanner, location: location.location };
}
