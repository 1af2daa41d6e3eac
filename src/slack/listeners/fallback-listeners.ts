import type { AllMiddlewareArgs, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewClosedAction, ViewConstraints } from "@slack/bolt";
import { actionIds, callbackIds } from "../ids.ts";
import type { SlackDeps } from "../slack-deps.ts";
import type { SubmitArgs } from "./listener-support.ts";

/**
 * Buttons and forms with ids no listener knows (an old message from an earlier release, a forged
 * payload) are still acknowledged at once (rule 12), so Slack shows no error. The constraints
 * match only what no other listener takes; the registry lists these last all the same.
 */

const anyOf = (ids: string[]) => ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

/** Any action id that ids.ts does not declare. */
export const unknownActionId = new RegExp(`^(?!(?:${anyOf(Object.values(actionIds))})$)`);

/** A submission of any form but keyward's own (a notice modal has no submit button, so it is never keyward's). */
export const unknownSubmission: ViewConstraints = {
  callback_id: new RegExp(`^(?!(?:${anyOf(Object.values(callbackIds).filter((id) => id !== callbackIds.notice))})$)`),
  type: "view_submission",
};

/** Any modal closed: nothing to do, but Slack expects the ack. */
export const anyClosedView: ViewConstraints = { callback_id: /.*/, type: "view_closed" };

export const unknownActionAck =
  (deps: SlackDeps) =>
  async ({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    deps.logger.info(
      { actionId: (body as { actions?: Array<{ action_id?: string }> }).actions?.[0]?.action_id?.slice(0, 100) },
      "button with no listener acknowledged",
    );
  };

export const unknownSubmissionClear =
  () =>
  async ({ ack }: SubmitArgs): Promise<void> => {
    await ack({ response_action: "clear" });
  };

export const closedViewAck =
  () =>
  async ({ ack }: SlackViewMiddlewareArgs<ViewClosedAction> & AllMiddlewareArgs): Promise<void> => {
    await ack();
  };
