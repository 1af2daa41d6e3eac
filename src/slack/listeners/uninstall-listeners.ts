import { workspaceOf, type SlackDeps } from "../slack-deps.ts";
import type { EventArgs } from "./listener-support.ts";

/**
 * When Slack sent the event (its envelope's event_time, seconds): an uninstall sent before the
 * workspace's last install is an old one delivered late or retried, and leaves the reinstall alone.
 */
const sentAt = (body: { event_time?: unknown }): Date | undefined => (typeof body.event_time === "number" ? new Date(body.event_time * 1000) : undefined);

/**
 * app_uninstalled: the workspace's tokens are deleted at once (Slack's guidance) and the workspace
 * is paused: its reminders wait until it is installed again; keys already issued keep working over
 * REST, since verifying a key never needs Slack. Idempotent: Slack may send this and
 * tokens_revoked in either order, and retries. Single-token mode stores no tokens: nothing to do.
 */
export const appUninstalled =
  (deps: SlackDeps) =>
  async ({ context, body }: EventArgs<"app_uninstalled">): Promise<void> => {
    if (!deps.installs) return void deps.logger.warn("app_uninstalled received: keyward runs with SLACK_BOT_TOKEN, which Slack has revoked");
    const workspaceId = workspaceOf(context);
    const deleted = await deps.installs.remove(workspaceId, sentAt(body));
    deps.logger.info({ workspaceId, deleted }, "keyward was uninstalled from a workspace: its tokens are deleted, its reminders paused");
  };

/**
 * tokens_revoked: `tokens.bot` lists the bot users whose tokens were revoked (user ids, never
 * tokens). The bot's token is all keyward holds, so its revocation is an uninstall; a revocation
 * of user tokens only (keyward asks for none) changes nothing.
 */
export const tokensRevoked =
  (deps: SlackDeps) =>
  async ({ event, context, body }: EventArgs<"tokens_revoked">): Promise<void> => {
    if (!deps.installs) return void deps.logger.warn("tokens_revoked received: keyward runs with SLACK_BOT_TOKEN; restart it with a valid one");
    const workspaceId = workspaceOf(context);
    const bots = (event.tokens as { bot?: unknown } | undefined)?.bot;
    if (!Array.isArray(bots) || bots.length === 0) return;
    const install = await deps.installs.find(workspaceId);
    // A bot user of another installation (a reinstall since) is not this one's.
    if (install?.botUserId && !bots.includes(install.botUserId)) return;
    const deleted = await deps.installs.remove(workspaceId, sentAt(body));
    deps.logger.info({ workspaceId, deleted }, "keyward's bot token was revoked in a workspace: its tokens are deleted, its reminders paused");
  };
