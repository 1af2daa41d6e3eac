import type { Clock } from "../domain/runtime.ts";

/** How long the Admins told of a refusing security channel are not told again. */
export const refusalNoticeIntervalMs = 3600_000;

/**
 * When each workspace's Admins were last told that its security channel refuses keyward's posts,
 * in memory, per instance: a broken channel would otherwise cost up to maxAdminsTold DMs for every
 * leak until an Admin fixes it. Another instance may tell them once more; a restart forgets.
 */
export class SecurityRefusalNotices {
  private readonly lastTold = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /**
   * True when this workspace's Admins have not been told within the hour, and marks them told now
   * (before any DM goes out: two leaks at once tell them once, and a DM that fails is not retried
   * for every leak either).
   */
  claim(workspaceId: string): boolean {
    const now = this.clock.now().getTime();
    this.forgetBefore(now - refusalNoticeIntervalMs);
    const last = this.lastTold.get(workspaceId);
    if (last !== undefined && now - last < refusalNoticeIntervalMs) return false;
    this.lastTold.set(workspaceId, now);
    return true;
  }

  /** Workspaces told over an hour ago are forgotten: the map holds at most the workspaces of the last hour. */
  private forgetBefore(cutoff: number): void {
    for (const [workspaceId, at] of this.lastTold) if (at <= cutoff) this.lastTold.delete(workspaceId);
  }
}
