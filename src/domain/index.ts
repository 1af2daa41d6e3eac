import { AccessService } from "./access-service.ts";
import { AuditService } from "./audit.ts";
import type { DomainContext } from "./context.ts";
import { DigestService } from "./digest-service.ts";
import { DirectoryService } from "./directory-service.ts";
import { IntegrationService } from "./integration-service.ts";
import { KeyReminderService } from "./key-reminder-service.ts";
import { KeyRequestService } from "./key-request-service.ts";
import { KeyService } from "./key-service.ts";
import { KeyUsageService } from "./key-usage-service.ts";
import { LeakService } from "./leak-service.ts";
import { LastUsedTracker } from "./last-used-tracker.ts";
import { OperatorService } from "./operator-service.ts";
import { PolicyService } from "./policy-service.ts";
import { ReminderService } from "./reminder-service.ts";
import { RoleService } from "./role-service.ts";
import { SlackInstallService } from "./slack-install-service.ts";
import { UsageCounter } from "./usage-counter.ts";

/** The domain's services, wired once per process from a context. */
export interface DomainServices {
  access: AccessService;
  keys: KeyService;
  /** Key requests: asked for, decided once by an approver, expired after 7 days. */
  keyRequests: KeyRequestService;
  /** Snooze on API-key reminders. */
  keyReminders: KeyReminderService;
  roles: RoleService;
  audit: AuditService;
  integrations: IntegrationService;
  /** Names for actor ids, list counts, who the Admins are: what lists and help texts show. */
  directory: DirectoryService;
  lastUsed: LastUsedTracker;
  /** Daily use counts, in memory until flushed with the last-used times. */
  usageCounter: UsageCounter;
  /** Daily use counts as lists (sparklines) and REST show them. */
  usage: KeyUsageService;
  /** `npm run keys`: an operator on the machine, without Slack. */
  operator: OperatorService;
  /** Reminder passes (SPEC rule 10); null without a reminder notifier (no bot token: reminders go to Slack). */
  reminders: ReminderService | null;
  /** OAuth installs: their tokens, and the pause of an uninstalled workspace. */
  slackInstalls: SlackInstallService;
  /** The workspace policy: limits of new keys, four eyes, reminder thresholds. */
  policies: PolicyService;
  /** The weekly hygiene digest: its setting, and its pass (which posts nothing without a digest notifier). */
  digests: DigestService;
  /** Leaked keys (a Slack message, a scanner's report): revoked unless "alert only", audited, announced by the surfaces. */
  leaks: LeakService;
}

export function createDomainServices(ctx: DomainContext): DomainServices {
  const lastUsed = new LastUsedTracker(ctx.store.apiKeys);
  const usageCounter = new UsageCounter(ctx.store.keyUsage, ctx.clock);
  const keys = new KeyService(ctx, lastUsed);
  const access = new AccessService(ctx, keys, usageCounter);
  return {
    access,
    keys,
    keyRequests: new KeyRequestService(ctx, keys.support),
    keyReminders: new KeyReminderService(ctx),
    roles: new RoleService(ctx),
    audit: new AuditService(ctx),
    integrations: new IntegrationService(ctx),
    directory: new DirectoryService(ctx),
    lastUsed,
    usageCounter,
    usage: new KeyUsageService(ctx, keys),
    operator: new OperatorService(ctx, access, keys),
    reminders: ctx.reminderNotifier ? new ReminderService({ ...ctx, reminderNotifier: ctx.reminderNotifier }) : null,
    slackInstalls: new SlackInstallService(ctx),
    policies: new PolicyService(ctx, (ids) => keys.evictKeys(ids)),
    digests: new DigestService(ctx),
    leaks: new LeakService(ctx, (id) => keys.evictKeys([id])),
  };
}
