import { randomUUID } from "node:crypto";
import type {
  AllMiddlewareArgs,
  BlockAction,
  BlockElementAction,
  ButtonAction,
  RespondFn,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewResponseAction,
  ViewSubmitAction,
} from "@slack/bolt";
import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { isDomainError, type ErrorCode } from "../../domain/errors.ts";
import type { Actor, ApiKey, Page } from "../../domain/types.ts";
import { callerOf, workspaceOf, type SlackCaller, type SlackDeps } from "../slack-deps.ts";
import { slackErrorText } from "../slack-errors.ts";
import { integrationNoticeMessage } from "../views/integration-notices.ts";
import { keysPerPage } from "../views/key-list-blocks.ts";
import { loadingModal, noticeMessage, noticeModal } from "../views/notices.ts";

/** What Bolt hands each kind of listener. */
export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
/** A press of any block element: a button, or an overflow menu's option. */
export type ElementArgs = SlackActionMiddlewareArgs<BlockAction<BlockElementAction>> & AllMiddlewareArgs;
export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
export type EventArgs<Type extends string> = SlackEventMiddlewareArgs<Type> & AllMiddlewareArgs;

export type ViewAck = (response?: ViewResponseAction) => Promise<void>;

/** What a press, a submission or an event says of who sent it, and the client to answer with. */
export interface Sender {
  body: { user: { id: string } };
  client: WebClient;
  context: Parameters<typeof workspaceOf>[0];
}

/**
 * A press's listener: acknowledged at once (Slack allows 3 s, and the answer goes elsewhere: a
 * response_url, a modal, the Home tab), then `work` parses it, asks the service and answers.
 */
export const pressListener =
  <Press extends ButtonArgs | ElementArgs>(work: (deps: SlackDeps, press: Press) => Promise<void>) =>
  (deps: SlackDeps) =>
  async (press: Press): Promise<void> => {
    await press.ack();
    await work(deps, press);
  };

/** Was this pressed on the Home tab (rather than in a message or a modal)? */
export const fromHome = (body: { view?: { type?: string } }): boolean => body.view?.type === "home";

/** Where a listener can answer the person: a response_url, or a modal it may open or update. */
export interface Reply {
  respond?: RespondFn;
  client: WebClient;
  triggerId?: string;
  viewId?: string;
  /** Through the response_url: replace the message that was pressed instead of answering below it. */
  replace?: boolean;
}

/**
 * Where a press is answered: below the message it was in, through its response_url; on the Home
 * tab (or in a modal, which has no response_url) in a modal of its own.
 */
export function replyTo(press: { body: BlockAction; client: WebClient; respond?: RespondFn }, replace = false): Reply {
  if (fromHome(press.body) || !press.respond || !press.body.response_url) return { client: press.client, triggerId: press.body.trigger_id };
  return { client: press.client, respond: press.respond, replace };
}

/** How a notice reads: an emoji before it in a message; `formatted`, the text is mrkdwn already (channel links and dates must render). */
interface NoticeStyle {
  emoji?: string;
  formatted?: boolean;
}

/** Shows `text` to the person, ephemerally, wherever this request lets us. */
export async function tell(deps: SlackDeps, reply: Reply, text: string, style: NoticeStyle = {}): Promise<void> {
  const { emoji = "", formatted = false } = style;
  try {
    if (reply.viewId) {
      await reply.client.views.update({ view_id: reply.viewId, view: noticeModal("keyward", text, { formatted }) });
    } else if (reply.respond) {
      const message = formatted ? integrationNoticeMessage(text, emoji) : noticeMessage(text, emoji);
      await reply.respond({ response_type: "ephemeral", replace_original: reply.replace ?? false, ...message });
    } else if (reply.triggerId) {
      await reply.client.views.open({ trigger_id: reply.triggerId, view: noticeModal("keyward", text, { formatted }) });
    }
  } catch (error) {
    deps.logger.warn({ err: error }, "could not show a notice to the user");
  }
}

/** Turns a failure into a message for the person; unexpected ones are logged with a reference. */
export async function tellFailure(deps: SlackDeps, reply: Reply, error: unknown, hints?: Partial<Record<ErrorCode, string>>): Promise<void> {
  if (isDomainError(error)) return tell(deps, reply, slackErrorText(error, undefined, hints), { emoji: ":no_entry:" });
  const reference = randomUUID().slice(0, 8);
  deps.logger.error({ err: error, reference }, "Slack listener failed");
  await tell(deps, reply, slackErrorText(error, reference), { emoji: ":warning:" });
}

/** Who asked for a form, with the trigger (3 s fresh, used once) that lets us open it. */
export interface FormTrigger {
  client: WebClient;
  triggerId: string;
  workspaceId: string;
  userId: string;
}

/** The person behind a press or a submission, with the permissions they hold right now. */
export const callerOfRequest = (deps: SlackDeps, { body, client, context }: Sender): Promise<SlackCaller> =>
  callerOf(deps, client, workspaceOf(context), body.user.id);

/** The person who pressed, and the press's trigger. */
export const triggerOf = ({ body, client, context }: Sender & { body: { trigger_id: string } }): FormTrigger => ({
  client,
  triggerId: body.trigger_id,
  workspaceId: workspaceOf(context),
  userId: body.user.id,
});

/**
 * Opens a form: a placeholder at once, while the trigger is fresh, then the real view built for
 * the person as they are now, or the reason there is none in its place.
 */
export async function openForm(deps: SlackDeps, trigger: FormTrigger, title: string, build: (caller: SlackCaller) => Promise<ModalView>): Promise<void> {
  const opened = await trigger.client.views.open({ trigger_id: trigger.triggerId, view: loadingModal(title) });
  const viewId = opened.view?.id;
  if (!viewId) throw new Error("views.open returned no view id");
  try {
    const caller = await callerOf(deps, trigger.client, trigger.workspaceId, trigger.userId);
    await trigger.client.views.update({ view_id: viewId, view: await build(caller) });
  } catch (error) {
    await tellFailure(deps, { client: trigger.client, viewId }, error);
  }
}

/**
 * Page `n` of the key list, one query either way: with a cursor from a Next button, by key (stable
 * while keys come and go); from a typed page number, by position.
 */
export async function loadKeyPage(deps: SlackDeps, actor: Actor, page: number, cursor?: string): Promise<Page<ApiKey>> {
  if (cursor) return deps.services.keys.list(actor, { cursor, limit: keysPerPage });
  return deps.services.keys.listAt(actor, { page, limit: keysPerPage });
}
