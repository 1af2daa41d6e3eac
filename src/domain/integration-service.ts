import { recordAudit } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { denied, DomainError, notFound } from "./errors.ts";
import { checkExpiryHorizon, expiryFromDay } from "./expiry.ts";
import type { IntegrationConfig } from "./integration-types.ts";
import { effectiveReminderDays } from "./policy-rules.ts";
import { refreshReminderMessages, type ReminderChangeOutcome } from "./reminder-messages.ts";
import { nextReminderAt } from "./reminder-schedule.ts";
import type { Repositories } from "./repositories.ts";
import { looksLikeId, newId } from "./runtime.ts";
import {
  addConfigInputSchema,
  aliasSchema,
  integrationSlugSchema,
  pageInputSchema,
  updateConfigInputSchema,
  type AddConfigInput,
  type PageInput,
  type UpdateConfigInput,
} from "./schemas.ts";
import type { Actor, Page } from "./types.ts";
import { parseInput } from "./validation.ts";
import { decodeCursor, encodeCursor } from "./paging.ts";
import type { Permission } from "./permissions.ts";

/**
 * Third-party secrets under aliases (SPEC concepts, rule 9): encrypted at rest, at most one
 * default per integration (the database enforces it), resolution by alias falling back to the
 * default, reading a secret back only with integrations.secrets.read, and audited.
 */
export class IntegrationService {
  constructor(private readonly ctx: Pick<DomainContext, "store" | "clock" | "random" | "cipher" | "reminderDays" | "reminderMessages">) {}

  /** The workspace policy's reminder thresholds, else REMINDER_DAYS. */
  private async reminderDaysOf(tx: Repositories, workspaceId: string): Promise<readonly number[]> {
    return effectiveReminderDays(await tx.policies.find(workspaceId), this.ctx.reminderDays);
  }

  /** For forms that would otherwise be refused on submit: throws unless the actor may edit integrations. */
  requireEditor(actor: Actor): void {
    this.require(actor, "integrations.edit", "edit integrations");
  }

  async list(actor: Actor, integration: string | undefined, rawPage: PageInput = {}): Promise<Page<IntegrationConfig>> {
    this.require(actor, "integrations.view", "view integrations");
    const page = parseInput(pageInputSchema, rawPage);
    const slug = integration === undefined ? undefined : this.slug(integration);
    const rows = await this.ctx.store.integrations.list(actor.workspaceId, {
      integration: slug,
      after: page.cursor ? decodeCursor(page.cursor) : undefined,
      limit: page.limit + 1,
    });
    const data = rows.slice(0, page.limit);
    return { data, nextCursor: rows.length > page.limit ? encodeCursor(data.at(-1)!.id) : null };
  }

  async get(actor: Actor, integration: string, alias: string): Promise<IntegrationConfig> {
    this.require(actor, "integrations.view", "view integrations");
    return this.load(this.ctx.store, actor, integration, alias);
  }

  /** The configuration an alias names, or the integration's default when the alias does not exist. */
  async resolve(actor: Actor, integration: string, alias: string | undefined): Promise<IntegrationConfig & { resolvedBy: "alias" | "default" }> {
    this.require(actor, "integrations.view", "view integrations");
    const slug = this.slug(integration);
    // An alias that could never have been stored cannot exist: straight to the default.
    const parsed = alias === undefined ? undefined : aliasSchema.safeParse(alias);
    const named = parsed?.success ? await this.ctx.store.integrations.find(actor.workspaceId, slug, parsed.data) : null;
    if (named) return { ...named, resolvedBy: "alias" };
    const fallback = await this.ctx.store.integrations.findDefault(actor.workspaceId, slug);
    if (!fallback) throw notFound(`A configuration "${alias ?? ""}" for ${slug}, or a default,`);
    return { ...fallback, resolvedBy: "default" };
  }

  async add(actor: Actor, integration: string, rawInput: AddConfigInput): Promise<IntegrationConfig> {
    this.require(actor, "integrations.edit", "edit integrations");
    const slug = this.slug(integration);
    const input = parseInput(addConfigInputSchema, rawInput);
    const now = this.ctx.clock.now();
    const expiresAt = this.expiry(input, now);
    const expiryTimeZone = this.expiryZone(input, expiresAt);
    const id = newId(this.ctx.clock, this.ctx.random);
    return this.ctx.store.transaction(async (tx) => {
      if (await tx.integrations.find(actor.workspaceId, slug, input.alias)) {
        throw new DomainError("conflict", `${slug} already has a configuration "${input.alias}".`, {
          fields: { alias: "Choose another alias, or rotate the existing one." },
        });
      }
      const hasDefault = Boolean(await tx.integrations.findDefault(actor.workspaceId, slug));
      // The first configuration of an integration becomes its default, so resolve always has a fallback.
      const makeDefault = input.isDefault ?? !hasDefault;
      const created = await tx.integrations.create({
        id,
        workspaceId: actor.workspaceId,
        integration: slug,
        alias: input.alias,
        sealed: this.ctx.cipher.seal(input.secret, { workspaceId: actor.workspaceId, integration: slug, alias: input.alias, id }),
        last4: input.secret.slice(-4),
        isDefault: false,
        expiresAt,
        expiryTimeZone,
        reminderChannel: input.reminderChannel ?? null,
        createdBy: actor.userId,
        createdAt: now,
        nextReminderAt: nextReminderAt(expiresAt && { expiresAt, timeZone: expiryTimeZone }, now, await this.reminderDaysOf(tx, actor.workspaceId)),
      });
      if (makeDefault) await tx.integrations.makeDefault(actor.workspaceId, slug, id);
      await recordAudit(this.ctx, tx, actor, "integration.add", this.target(created), { isDefault: makeDefault, expiresAt: expiresAt?.toISOString() ?? null });
      return { ...created, isDefault: makeDefault };
    });
  }

  /** PATCH: rotate the secret in place (keeping alias and default status), make default, set the channel. */
  async update(actor: Actor, integration: string, alias: string, rawInput: UpdateConfigInput): Promise<IntegrationConfig> {
    this.require(actor, "integrations.edit", "edit integrations");
    const input = parseInput(updateConfigInputSchema, rawInput);
    const now = this.ctx.clock.now();
    let rotatedFrom: IntegrationConfig | null = null;
    const updated = await this.ctx.store.transaction(async (tx) => {
      let config = await this.load(tx, actor, integration, alias);
      if (input.secret !== undefined) {
        rotatedFrom = config;
        const newExpiry = input.expiresOn !== undefined || input.expiresAt !== undefined;
        const expiresAt = newExpiry ? this.expiry(input, now) : config.expiresAt;
        const expiryTimeZone = newExpiry ? this.expiryZone(input, expiresAt) : config.expiryTimeZone;
        config = (await tx.integrations.replaceSecret(actor.workspaceId, config.id, {
          sealed: this.ctx.cipher.seal(input.secret, config),
          last4: input.secret.slice(-4),
          expiresAt,
          expiryTimeZone,
          at: now,
          by: actor.userId,
          nextReminderAt: nextReminderAt(expiresAt && { expiresAt, timeZone: expiryTimeZone }, now, await this.reminderDaysOf(tx, actor.workspaceId)),
        }))!;
        await recordAudit(this.ctx, tx, actor, "integration.rotate", this.target(config), { expiresAt: expiresAt?.toISOString() ?? null });
      }
      if (input.isDefault && !config.isDefault) {
        await tx.integrations.makeDefault(actor.workspaceId, config.integration, config.id);
        config = { ...config, isDefault: true };
        await recordAudit(this.ctx, tx, actor, "integration.set_default", this.target(config));
      }
      if (input.reminderChannel !== undefined) {
        config = (await tx.integrations.setChannel(actor.workspaceId, config.id, input.reminderChannel))!;
        await recordAudit(this.ctx, tx, actor, "integration.set_channel", this.target(config), { channel: input.reminderChannel });
      }
      return config;
    });
    if (rotatedFrom)
      this.afterCommit(actor, rotatedFrom, now, {
        what: "rotated",
        last4: updated.last4,
        expiresAt: updated.expiresAt,
        expiryTimeZone: updated.expiryTimeZone,
      });
    return updated;
  }

  async delete(actor: Actor, integration: string, alias: string): Promise<IntegrationConfig> {
    this.require(actor, "integrations.edit", "edit integrations");
    const deleted = await this.ctx.store.transaction(async (tx) => {
      const config = await this.load(tx, actor, integration, alias);
      await tx.integrations.delete(actor.workspaceId, config.id);
      await recordAudit(this.ctx, tx, actor, "integration.delete", this.target(config), { wasDefault: config.isDefault });
      return config;
    });
    this.afterCommit(actor, deleted, this.ctx.clock.now(), { what: "deleted" });
    return deleted;
  }

  /** Reads a secret back (REST `?reveal=true`): needs integrations.secrets.read; always audited. */
  async reveal(actor: Actor, integration: string, alias: string): Promise<{ config: IntegrationConfig; secret: string }> {
    this.require(actor, "integrations.secrets.read", "read integration secrets");
    return this.ctx.store.transaction(async (tx) => {
      const config = await this.load(tx, actor, integration, alias);
      const sealed = await tx.integrations.sealedSecret(actor.workspaceId, config.id);
      if (!sealed) throw notFound("The configuration");
      const secret = this.ctx.cipher.open(sealed, config);
      await recordAudit(this.ctx, tx, actor, "integration.reveal", this.target(config));
      return { config, secret };
    });
  }

  /** "Snooze" on a reminder: the next reminder comes no sooner than `hours` from now. */
  async snooze(actor: Actor, id: string, hours = 24): Promise<IntegrationConfig> {
    this.require(actor, "integrations.edit", "snooze reminders");
    const now = this.ctx.clock.now();
    const until = new Date(now.getTime() + hours * 3600_000);
    const snoozed = await this.ctx.store.transaction(async (tx) => {
      const config = looksLikeId(id) ? await tx.integrations.findById(actor.workspaceId, id) : null;
      if (!config) throw notFound("The configuration");
      await tx.integrations.postponeReminder(actor.workspaceId, id, until);
      await recordAudit(this.ctx, tx, actor, "integration.snooze", this.target(config), { until: until.toISOString() });
      return config;
    });
    this.afterCommit(actor, snoozed, now, { what: "snoozed", until });
    return snoozed;
  }

  /**
   * Every surface's rotation, snooze and deletion passes here once committed (Slack and REST alike),
   * so the reminder messages posted about the configuration follow; a failure there changes nothing here.
   */
  private afterCommit(actor: Actor, before: IntegrationConfig, at: Date, outcome: ReminderChangeOutcome): void {
    refreshReminderMessages(this.ctx.reminderMessages, actor, before, at, outcome);
  }

  async findById(actor: Actor, id: string): Promise<IntegrationConfig> {
    this.require(actor, "integrations.view", "view integrations");
    const config = looksLikeId(id) ? await this.ctx.store.integrations.findById(actor.workspaceId, id) : null;
    if (!config) throw notFound("The configuration");
    return config;
  }

  private async load(repos: Repositories, actor: Actor, integration: string, alias: string): Promise<IntegrationConfig> {
    const slug = this.slug(integration);
    const parsedAlias = aliasSchema.safeParse(alias);
    const config = parsedAlias.success ? await repos.integrations.find(actor.workspaceId, slug, parsedAlias.data) : null;
    if (!config) throw notFound(`The configuration "${alias}" of ${slug}`);
    return config;
  }

  /** The zone a chosen expiry day was meant in, kept so reminders follow its midnights; null for an instant or no expiry. */
  private expiryZone(input: { expiresOn?: string; timeZone?: string }, expiresAt: Date | null): string | null {
    return expiresAt && input.expiresOn !== undefined ? input.timeZone! : null;
  }

  private expiry(input: { expiresOn?: string; timeZone?: string; expiresAt?: Date | null }, now: Date): Date | null {
    if (input.expiresOn !== undefined) return checkExpiryHorizon(expiryFromDay(input.expiresOn, input.timeZone!, now), now, "expiresOn");
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) {
      throw new DomainError("expiry_in_past", "The expiry is already past.", { fields: { expiresAt: "Choose a later time." } });
    }
    return input.expiresAt ? checkExpiryHorizon(input.expiresAt, now, "expiresAt") : null;
  }

  private slug(integration: string): string {
    return parseInput(integrationSlugSchema, integration, "integration");
  }

  private target(config: IntegrationConfig) {
    return { type: "integration_config", id: config.id, name: `${config.integration}/${config.alias}` };
  }

  private require(actor: Actor, permission: Permission, what: string): void {
    if (!actor.permissions.has(permission)) throw denied(what);
  }
}
