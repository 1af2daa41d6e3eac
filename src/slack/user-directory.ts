import type { WebClient } from "@slack/web-api";
import type { Clock } from "../domain/runtime.ts";
import { isValidTimeZone } from "../domain/expiry.ts";
import type { Logger } from "../logger.ts";
import { isAdminHere, isMemberOf, type ServedWorkspace, type SlackUserOrigin } from "./served-workspace.ts";

export interface SlackUserFacts {
  tz: string;
  isWorkspaceAdmin: boolean;
  /** Slack places this person outside the served workspace (another team or org, a Slack Connect stranger). */
  foreign: boolean;
  /** users.info `deleted`: deactivated in Slack (remembered, so their personal keys are refused). */
  deactivated: boolean;
  /** False when users.info failed and these are defaults. */
  verified: boolean;
}

/**
 * The workspace a person is judged against: one fixed at start (single-token mode), or, with OAuth
 * installs, the installation of the workspace the request belongs to (null: not installed).
 */
export type ServedFor = ServedWorkspace | ((workspaceId: string) => Promise<ServedWorkspace | null>);

/** Nobody belongs to a workspace that is not installed. */
const nowhere: ServedWorkspace = { isEnterpriseInstall: false };

/**
 * users.info, cached briefly: a person's zone and admin status change rarely, and every
 * command and button needs them. A failed look-up is not cached and grants nothing.
 */
export class SlackUserDirectory {
  private readonly cache = new Map<string, { facts: SlackUserFacts; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly defaultTimeZone: string,
    private readonly logger: Logger,
    private readonly served: ServedFor,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  /** For a user object Slack sent (user_change): an admin here, by the same rule as users.info. */
  async isAdminHere(workspaceId: string, user: SlackUserOrigin): Promise<boolean> {
    return isAdminHere(await this.servedFor(workspaceId), user);
  }

  private async servedFor(workspaceId: string): Promise<ServedWorkspace> {
    return typeof this.served === "function" ? ((await this.served(workspaceId)) ?? nowhere) : this.served;
  }

  /** Slack said this person changed: the next request asks users.info again. */
  forget(workspaceId: string, userId: string): void {
    this.cache.delete(`${workspaceId}:${userId}`);
  }

  async lookup(client: WebClient, workspaceId: string, userId: string): Promise<SlackUserFacts> {
    const key = `${workspaceId}:${userId}`;
    const now = this.clock.now().getTime();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.facts;
    try {
      const { user } = await client.users.info({ user: userId });
      const served = await this.servedFor(workspaceId);
      const tz = user?.tz && isValidTimeZone(user.tz) ? user.tz : this.defaultTimeZone;
      // is_admin/is_owner speak of the person's own team: a foreign workspace's admin is nobody here.
      const foreign = !isMemberOf(served, (user ?? {}) as SlackUserOrigin);
      const facts = {
        tz,
        isWorkspaceAdmin: isAdminHere(served, (user ?? {}) as SlackUserOrigin) && !user?.deleted,
        foreign,
        deactivated: Boolean(user?.deleted),
        verified: true,
      };
      if (this.cache.size > 10_000) this.cache.clear(); // bounded: a burst of strangers cannot grow it forever
      this.cache.set(key, { facts, until: now + this.ttlMs });
      return facts;
    } catch (error) {
      this.logger.warn({ err: error, workspaceId, userId }, "users.info failed; treating the user as a non-admin in the default time zone");
      return { tz: this.defaultTimeZone, isWorkspaceAdmin: false, foreign: false, deactivated: false, verified: false };
    }
  }
}
