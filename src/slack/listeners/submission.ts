import { randomUUID } from "node:crypto";
import type { ViewResponseAction } from "@slack/bolt";
import type { ModalView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { isDomainError, type ErrorCode } from "../../domain/errors.ts";
import { deliverEphemeral } from "../secret-delivery.ts";
import type { SlackDeps } from "../slack-deps.ts";
import { domainFieldErrors, slackErrorText } from "../slack-errors.ts";
import { escapeMrkdwn, mrkdwn } from "../views/format.ts";
import { blockForField } from "../views/modal-state.ts";
import { noticeModal, workingModal } from "../views/notices.ts";
import type { SubmitArgs, ViewAck } from "./listener-support.ts";

/**
 * Slack gives a view submission 3 s for its answer and drops the answer after that (rule 12). A
 * submission that needs users.info and a transaction first gets this long (from the request's
 * receipt); past it, the form is acknowledged with a "working on it" view and the outcome is shown
 * there when it comes.
 */
export const defaultAckBudgetMs = 2000;

/** How a form is refused: its notice title, and where its domain fields live when not under their own name. */
export interface FormSpec {
  /** The title of the notice that replaces the form when it is refused (at most 24 characters). */
  refusedTitle: string;
  /** Domain fields this form shows in a block of another name (a role's `name` is in `role_name`). */
  blocks?: Record<string, string>;
  /** This form's next steps where the general ones (slack-errors.ts) do not fit it. */
  hints?: Partial<Record<ErrorCode, string>>;
}

/** A notice in the modal: what the person reads when the form is done with. */
export interface Notice {
  title: string;
  text: string;
  /** The text is mrkdwn already, user parts escaped (channel links and dates must render). */
  formatted?: boolean;
}

/** What a submission decided. */
export interface Submission {
  /** The answer to Slack, when it is ready in time. */
  response: ViewResponseAction;
  /** What the modal shows when the answer came too late for ack (the form is gone by then, so errors are in words). */
  late: Notice;
  /** Runs once Slack has the answer (follow-ups, the Home tab); a notice it returns replaces `late`. */
  after?: () => Promise<Notice | void>;
}

/** The submitted view, as Slack sends it: the form's own blocks say which ids an errors answer may name. */
interface SubmittedView {
  id: string;
  title?: { text?: string };
  blocks?: unknown;
}

export const noticeView = (notice: Notice): ModalView => noticeModal(notice.title, notice.text, { formatted: notice.formatted });

/** A submission that replaces the form with a notice, then maybe does more. */
export const answered = (notice: Notice, after?: Submission["after"]): Submission => ({
  response: { response_action: "update", view: noticeView(notice) },
  late: notice,
  after,
});

/** The input blocks of a view, by block id, with their labels. */
export function inputBlocksOf(view: { blocks?: unknown }): Map<string, string> {
  const inputs = new Map<string, string>();
  for (const block of Array.isArray(view.blocks) ? view.blocks : []) {
    const b = block as { type?: unknown; block_id?: unknown; label?: { text?: unknown } };
    if (b?.type === "input" && typeof b.block_id === "string") inputs.set(b.block_id, typeof b.label?.text === "string" ? b.label.text : b.block_id);
  }
  return inputs;
}

/**
 * The one mapping from a refused submission to what the person sees (rule 11). An errors answer
 * names only input blocks this form has, or Slack rejects the whole answer and the person sees
 * nothing; a problem with no block on the form goes into the text of one that is there, and a
 * refusal with no such block at all replaces the form with its reason.
 */
export function formErrors(form: FormSpec, view: SubmittedView, problems: Array<[block: string, message: string]>, headline: string, text: string): Submission {
  const inputs = inputBlocksOf(view);
  const inline: Record<string, string> = {};
  const elsewhere: string[] = [];
  for (const [block, message] of problems) {
    if (inputs.has(block)) inline[block] = inline[block] ? `${inline[block]} ${message}` : message;
    else if (!elsewhere.includes(message)) elsewhere.push(message);
  }
  const first = Object.keys(inline)[0];
  if (first === undefined) return answered({ title: form.refusedTitle, text });
  if (elsewhere.length > 0) inline[first] = `${inline[first]} ${elsewhere.join(" ")}`;
  const words = Object.entries(inline).map(([block, message]) => `• ${inputs.get(block)}: ${message}`);
  return {
    response: { response_action: "errors", errors: inline },
    late: { title: form.refusedTitle, text: [headline, ...words, "Nothing was changed; open the form again to retry."].join("\n") },
  };
}

/** The form's own checks failed: block ids from its parser. */
export function invalidForm(form: FormSpec, view: SubmittedView, errors: Record<string, string>): Submission {
  const problems = Object.entries(errors);
  return formErrors(form, view, problems, "The form was not accepted.", problems.map(([, m]) => m).join(" "));
}

/** The domain refused, or something failed: field errors inline where the form has the field, else the reason. */
export function refusal(deps: SlackDeps, error: unknown, form: FormSpec, view: SubmittedView): Submission {
  const fields = domainFieldErrors(error);
  const text = slackErrorText(error, isDomainError(error) ? undefined : logged(deps, error), form.hints);
  if (!fields) return answered({ title: form.refusedTitle, text });
  const problems = Object.entries(fields).map(([field, message]): [string, string] => [blockForField(field, "", form.blocks), message]);
  return formErrors(form, view, problems, (error as Error).message, text);
}

function logged(deps: SlackDeps, error: unknown): string {
  const reference = randomUUID().slice(0, 8);
  deps.logger.error({ err: error, reference }, "form submission failed");
  return reference;
}

interface SubmissionArgs {
  ack: ViewAck;
  body: { user: { id: string } };
  view: SubmittedView;
  client: WebClient;
  context: Record<string, unknown>;
}

/**
 * Answers a submission within the ack budget whatever Slack does: `work` (look-ups, the
 * transaction) races the deadline. In time, Slack gets its answer as usual; late, the form is
 * swapped for a "working on it" view at once and the outcome replaces it when it comes. Work the
 * answer does not depend on (republishing the Home tab, a thread follow-up) runs in `after`, on
 * both paths; a secret's delivery runs in `work`, since the answer says where the secret went.
 */
async function answerSubmission(deps: SlackDeps, args: SubmissionArgs, form: FormSpec, work: () => Promise<Submission>): Promise<void> {
  const outcome = work().catch((error: unknown) => refusal(deps, error, form, args.view));
  const inTime = await within(outcome, remainingBudget(deps, args.context));
  if (inTime) {
    if (await tryAck(deps, args.ack, inTime.response)) {
      await runAfter(deps, inTime);
      return;
    }
    // Slack was answered without us (the receiver's own timeout): the outcome goes where a late one goes.
    return finishLate(deps, args, inTime);
  }
  const title = typeof args.view.title?.text === "string" && args.view.title.text ? args.view.title.text : "keyward";
  await tryAck(deps, args.ack, { response_action: "update", view: workingModal(title) });
  deps.logger.warn({ budgetMs: deps.ackBudgetMs ?? defaultAckBudgetMs }, "form answer not ready within the ack budget; finishing after ack");
  await finishLate(deps, args, await outcome);
}

/** A form's submission listener: `work` decides the answer, which reaches Slack within the ack budget (answerSubmission). */
export const submissionListener =
  (form: FormSpec, work: (deps: SlackDeps, args: SubmitArgs) => Promise<Submission>) =>
  (deps: SlackDeps) =>
  (args: SubmitArgs): Promise<void> =>
    answerSubmission(deps, args, form, () => work(deps, args));

function remainingBudget(deps: SlackDeps, context: Record<string, unknown>): number {
  const budget = deps.ackBudgetMs ?? defaultAckBudgetMs;
  // Wall time, not the domain clock: this is about Slack's real 3 seconds.
  const spent = typeof context.receivedAt === "number" ? Date.now() - context.receivedAt : 0;
  return Math.max(0, budget - spent);
}

async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function tryAck(deps: SlackDeps, ack: ViewAck, response: ViewResponseAction): Promise<boolean> {
  try {
    await ack(response);
    return true;
  } catch (error) {
    deps.logger.warn({ err: error }, "could not acknowledge a form submission");
    return false;
  }
}

async function runAfter(deps: SlackDeps, outcome: Submission): Promise<Notice | void> {
  try {
    return await outcome.after?.();
  } catch (error) {
    deps.logger.error({ err: error }, "work after a form submission failed");
  }
}

/** The outcome of a late submission replaces the "working" view; if that view is gone, the person hears it by DM. */
async function finishLate(deps: SlackDeps, args: SubmissionArgs, outcome: Submission): Promise<void> {
  const notice = (await runAfter(deps, outcome)) ?? outcome.late;
  try {
    await args.client.views.update({ view_id: args.view.id, view: noticeView(notice) });
  } catch (error) {
    deps.logger.warn({ err: error }, "could not show a late form outcome in its modal; sending it by DM");
    const text = notice.formatted ? notice.text : escapeMrkdwn(notice.text);
    const delivered = await deliverEphemeral(
      args.client,
      { userId: args.body.user.id },
      { text: `${escapeMrkdwn(notice.title)}: ${text}`, blocks: [{ type: "section", text: mrkdwn(text) }] },
      deps,
    );
    if (!delivered) deps.logger.warn("a late form outcome reached nobody");
  }
}
