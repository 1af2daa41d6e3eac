import { randomUUID } from "node:crypto";
import type { WebClient } from "@slack/web-api";
import { capabilitiesOf } from "../../domain/capabilities.ts";
import { isDomainError } from "../../domain/errors.ts";
import type { Actor } from "../../domain/types.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { slackErrorText } from "../slack-errors.ts";
import { escapeMrkdwn } from "../views/format.ts";
import { homeUnavailableView, homeView, type HomeStatus } from "../views/home-view.ts";
import { decodeKeyPageValue } from "../wire/paging-values.ts";
import { pressListener, tell, type ButtonArgs, type EventArgs, type Sender } from "./listener-support.ts";
import { homePages } from "./page-views.ts";

/** What a republish after a row action adds: the result line, or the row that asks "Delete …?". */
interface HomeExtras {
  /** The status line on top; `result` is the short form for a plain "done" line. */
  status?: HomeStatus;
  result?: string;
  askingDelete?: string;
}

/** Builds and publishes one person's Home tab, at the given page of keys. */
export async function publishHome(
  deps: SlackDeps,
  client: WebClient,
  workspaceId: string,
  userId: string,
  page = 1,
  cursor?: string,
  extras: HomeExtras = {},
): Promise<void> {
  const { actor } = await callerOf(deps, client, workspaceId, userId);
  const caps = capabilitiesOf(actor);
  const pages = await homePages(deps, actor, page, cursor);
  const keys = pages.keys ? { ...pages.keys, askingDelete: extras.askingDelete } : null;
  const status = extras.status ?? (extras.result ? { tone: "done" as const, text: extras.result } : undefined);
  const view = homeView({
    roleName: actor.roleName,
    keys,
    canEditRoles: caps.editRoles,
    canCreate: caps.createKinds.length > 0,
    canRequest: !actor.outsider,
    canEditPolicy: actor.permissions.has("policy.edit"),
    integrations: pages.integrations,
    admins: pages.admins,
    status,
  });
  await client.views.publish({ user_id: userId, view });
}

/** Who is looking at the Home tab. */
interface HomeViewer {
  client: WebClient;
  workspaceId: string;
  userId: string;
  /** A button's trigger: when the tab cannot be published at all, the person is told in a modal instead. */
  triggerId?: string;
}

/** What a failure reads as on the Home tab; unexpected ones are logged with a reference the person can quote. */
export function failureStatus(deps: SlackDeps, error: unknown, what: string): HomeStatus {
  if (isDomainError(error)) return { tone: "refused", text: slackErrorText(error) };
  const reference = randomUUID().slice(0, 8);
  deps.logger.error({ err: error, reference }, what);
  return { tone: "failed", text: slackErrorText(error, reference) };
}

/**
 * Republishes the Home tab with `status` on top. When the tab itself cannot be built (Slack or the
 * database failing), a short tab with the reason and a Try again button replaces it, so the
 * person is told rather than left looking at a tab that no longer matches. When even that cannot
 * be published, a button's press is still answered, in a notice modal as anywhere else; only a
 * tab being opened (no trigger) is then logged alone.
 */
export async function refreshHome(deps: SlackDeps, viewer: HomeViewer, status?: HomeStatus, page = 1, cursor?: string): Promise<void> {
  try {
    await publishHome(deps, viewer.client, viewer.workspaceId, viewer.userId, page, cursor, { status });
  } catch (error) {
    const problem = failureStatus(deps, error, "could not publish the Home tab");
    // What was done (or refused) still needs saying, above why the tab itself is missing.
    const done = status ? `${status.formatted ? status.text : escapeMrkdwn(status.text)}\n` : "";
    const text = `${done}${escapeMrkdwn(problem.text)}`;
    try {
      await viewer.client.views.publish({ user_id: viewer.userId, view: homeUnavailableView({ tone: problem.tone, text, formatted: true }) });
    } catch (again) {
      deps.logger.warn({ err: again }, "could not publish even the short Home tab");
      if (viewer.triggerId) await tell(deps, { client: viewer.client, triggerId: viewer.triggerId }, text, { formatted: true });
    }
  }
}

/**
 * A button on the Home tab that changes something: Slack's confirm dialog on the button has asked
 * already, so the click does the work at once and the answer is the republished tab with a status
 * line. No modal: the click's trigger is only 3 s fresh, and a second window for a one-line result
 * is one too many.
 */
export async function actOnHome(deps: SlackDeps, viewer: HomeViewer, change: (actor: Actor) => Promise<HomeStatus>): Promise<void> {
  let status: HomeStatus;
  try {
    const { actor } = await callerOf(deps, viewer.client, viewer.workspaceId, viewer.userId);
    status = await change(actor);
  } catch (error) {
    status = failureStatus(deps, error, "a Home tab action failed");
  }
  await refreshHome(deps, viewer, status);
}

/** The person who pressed a button on their Home tab. */
export const homeViewer = ({ body, client, context }: Sender & { body: { trigger_id: string } }): HomeViewer => ({
  client,
  workspaceId: workspaceOf(context),
  userId: body.user.id,
  triggerId: body.trigger_id,
});

/** The person opened their Home tab: it is built for them as they are now. */
export const homeOpened =
  (deps: SlackDeps) =>
  async ({ event, client, context }: EventArgs<"app_home_opened">): Promise<void> => {
    if (event.tab !== "home") return;
    await refreshHome(deps, { client, workspaceId: workspaceOf(context), userId: event.user });
  };

/** The Home tab's Next and First page of keys. */
export const homePageButton = pressListener(async (deps, args: ButtonArgs) => {
  const { page, cursor } = decodeKeyPageValue(args.action.value);
  await refreshHome(deps, homeViewer(args), undefined, page, cursor);
});
