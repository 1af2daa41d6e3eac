import type { RespondFn } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { IntegrationConfig } from "../../domain/integration-types.ts";
import type { Actor } from "../../domain/types.ts";
import type { UpdateConfigInput } from "../../domain/schemas.ts";
import type { IntegrationsCommand } from "../command-parser.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { addIntegrationModal, parseAddIntegrationModal } from "../views/add-integration-modal.ts";
import { integrationChannelModal, parseIntegrationChannelModal } from "../views/integration-channel-modal.ts";
import { deleteConfirmationBlockId, deleteIntegrationConfirmation, integrationListMessage } from "../views/integration-list-blocks.ts";
import {
  addedText,
  channelText,
  deletedText,
  integrationNoticeMessage,
  madeDefaultText,
  rotatedInThreadMessage,
  rotatedText,
} from "../views/integration-notices.ts";
import { rotateIntegrationModal, parseRotateIntegrationModal } from "../views/rotate-integration-modal.ts";
import { actOnHome, homeViewer, refreshHome } from "./home-listener.ts";
import { forms } from "./forms.ts";
import {
  callerOfRequest,
  fromHome,
  openForm,
  pressListener,
  replyTo,
  tell,
  tellFailure,
  triggerOf,
  type ButtonArgs,
  type FormTrigger,
} from "./listener-support.ts";
import { integrationPageView } from "./page-views.ts";
import { answered, invalidForm, submissionListener } from "./submission.ts";
import { decodeConfigValue } from "../wire/config-values.ts";
import { decodeIntegrationMetadata, encodeIntegrationMetadata, type IntegrationMetadata } from "../wire/form-metadata.ts";
import { decodeIntegrationPageValue } from "../wire/paging-values.ts";

/** Who asked, and where a form opened from a trigger should come back to. */
interface FormRequest extends FormTrigger {
  /** Opened from the Home tab: republish it after the change. */
  home?: boolean;
  /** The conversation the command was typed in, or whose message held the button (none from the Home tab). */
  channelId?: string;
}

/** A configuration named by a button (its id) or by a command (integration and alias). */
type ConfigTarget = { id: string } | { integration: string; alias: string };

const findConfig = (deps: SlackDeps, actor: Actor, target: ConfigTarget): Promise<IntegrationConfig> =>
  "id" in target ? deps.services.integrations.findById(actor, target.id) : deps.services.integrations.get(actor, target.integration, target.alias);

function openAddIntegrationForm(deps: SlackDeps, request: FormRequest): Promise<void> {
  return openForm(deps, request, "Add an integration key", async ({ actor, user }) => {
    deps.services.integrations.requireEditor(actor);
    return addIntegrationModal({ timeZone: user.tz, privateMetadata: encodeIntegrationMetadata({ home: request.home }), currentChannel: request.channelId });
  });
}

/** The rotate form; from a reminder, `reminder` names the message whose thread gets the follow-up. */
export function openRotateIntegrationForm(
  deps: SlackDeps,
  request: FormRequest & { target: ConfigTarget; reminder?: Pick<IntegrationMetadata, "channel" | "threadTs"> },
): Promise<void> {
  return openForm(deps, request, "Rotate a secret", async ({ actor, user }) => {
    deps.services.integrations.requireEditor(actor);
    const config = await findConfig(deps, actor, request.target);
    const privateMetadata = encodeIntegrationMetadata({ id: config.id, ...request.reminder, home: request.home });
    return rotateIntegrationModal({ ...config, timeZone: user.tz, privateMetadata });
  });
}

function openIntegrationChannelForm(deps: SlackDeps, request: FormRequest & { target: ConfigTarget }): Promise<void> {
  return openForm(deps, request, "Reminder channel", async ({ actor }) => {
    deps.services.integrations.requireEditor(actor);
    const config = await findConfig(deps, actor, request.target);
    return integrationChannelModal({
      ...config,
      privateMetadata: encodeIntegrationMetadata({ id: config.id, home: request.home }),
      currentChannel: request.channelId,
    });
  });
}

/** A page of configurations, as a command's answer or in place of the message that was paged. */
async function showIntegrationPage(
  deps: SlackDeps,
  reply: { client: WebClient; respond: RespondFn },
  caller: { workspaceId: string; userId: string },
  page: { number: number; integration?: string; cursor?: string },
  replace: boolean,
): Promise<void> {
  const { actor } = await callerOf(deps, reply.client, caller.workspaceId, caller.userId);
  const message = integrationListMessage(await integrationPageView(deps, actor, page));
  await reply.respond({ response_type: "ephemeral", replace_original: replace, ...message });
}

/** `/keys integrations …`, dispatched from the command listener. */
export async function runIntegrationsCommand(
  deps: SlackDeps,
  r: { client: WebClient; respond: RespondFn; triggerId: string; workspaceId: string; userId: string; channelId?: string },
  command: IntegrationsCommand,
): Promise<void> {
  const request: FormRequest = { client: r.client, triggerId: r.triggerId, workspaceId: r.workspaceId, userId: r.userId, channelId: r.channelId };
  switch (command.op) {
    case "list":
      return showIntegrationPage(deps, r, r, { number: 1, integration: command.integration }, false);
    case "add":
      return openAddIntegrationForm(deps, request);
    case "rotate":
      return openRotateIntegrationForm(deps, { ...request, target: command });
    case "channel":
      return openIntegrationChannelForm(deps, { ...request, target: command });
    case "default": {
      const { actor } = await callerOf(deps, r.client, r.workspaceId, r.userId);
      const config = await deps.services.integrations.update(actor, command.integration, command.alias, { isDefault: true });
      await r.respond({ response_type: "ephemeral", ...integrationNoticeMessage(madeDefaultText(config), ":star:") });
      return;
    }
    case "delete": {
      const { actor } = await callerOf(deps, r.client, r.workspaceId, r.userId);
      deps.services.integrations.requireEditor(actor);
      const config = await deps.services.integrations.get(actor, command.integration, command.alias);
      await r.respond({ response_type: "ephemeral", ...deleteIntegrationConfirmation(config) });
      return;
    }
  }
}

/** Where a form opened by a button comes back to: the Home tab, or the conversation it was pressed in. */
export function formRequest(args: ButtonArgs): FormRequest {
  return { ...triggerOf(args), home: fromHome(args.body), channelId: args.body.channel?.id };
}

export const openAddIntegrationButton = pressListener(async (deps, args: ButtonArgs) => {
  await openAddIntegrationForm(deps, formRequest(args));
});

export const openRotateIntegrationButton = pressListener(async (deps, args: ButtonArgs) => {
  await openRotateIntegrationForm(deps, { ...formRequest(args), target: decodeConfigValue(args.action.value) });
});

export const openIntegrationChannelButton = pressListener(async (deps, args: ButtonArgs) => {
  await openIntegrationChannelForm(deps, { ...formRequest(args), target: decodeConfigValue(args.action.value) });
});

/** A list message's Next and First page: the page replaces the message. */
export const integrationPageButton = pressListener(async (deps, { body, action, client, context, respond }: ButtonArgs) => {
  const { page, integration, cursor } = decodeIntegrationPageValue(action.value);
  try {
    await showIntegrationPage(
      deps,
      { client, respond },
      { workspaceId: workspaceOf(context), userId: body.user.id },
      { number: page, integration, cursor },
      true,
    );
  } catch (error) {
    await tellFailure(deps, { client, respond }, error);
  }
});

export const setDefaultIntegrationButton = pressListener(async (deps, args: ButtonArgs) => {
  await changeFromButton(deps, args, false, async (actor, config) => {
    const updated = await deps.services.integrations.update(actor, config.integration, config.alias, { isDefault: true });
    return { text: madeDefaultText(updated), emoji: ":star:" };
  });
});

/** From a list or the Home tab Slack's confirm dialog has asked; from the command, the question's own button (whose message it replaces). */
export const deleteIntegrationButton = pressListener(async (deps, args: ButtonArgs) => {
  const replace = args.action.block_id === deleteConfirmationBlockId;
  await changeFromButton(deps, args, replace, async (actor, config) => {
    const deleted = await deps.services.integrations.delete(actor, config.integration, config.alias);
    return { text: deletedText(deleted), emoji: ":wastebasket:" };
  });
});

type Change = (actor: Actor, config: IntegrationConfig) => Promise<{ text: string; emoji: string }>;

/** A button whose value is a configuration id: look it up in the presser's workspace, change it, answer. */
async function changeFromButton(deps: SlackDeps, args: ButtonArgs, replace: boolean, change: Change): Promise<void> {
  const { body, action } = args;
  const find = (actor: Actor) => deps.services.integrations.findById(actor, decodeConfigValue(action.value).id);
  // On the Home tab the button's confirm dialog has asked; the answer is the republished tab's status line, not a modal.
  if (fromHome(body)) {
    return actOnHome(deps, homeViewer(args), async (actor) => ({ tone: "done", text: (await change(actor, await find(actor))).text, formatted: true }));
  }
  const reply = replyTo(args, replace);
  try {
    const { actor } = await callerOfRequest(deps, args);
    const result = await change(actor, await find(actor));
    await tell(deps, reply, result.text, { emoji: result.emoji, formatted: true });
  } catch (error) {
    // A refusal keeps the question (or list) it answers, so the person can press again.
    await tellFailure(deps, { ...reply, replace: false }, error);
  }
}

export const addIntegrationSubmission = submissionListener(forms.addIntegration, async (deps, args) => {
  const { actor, user } = await callerOfRequest(deps, args);
  const parsed = parseAddIntegrationModal(args.view.state.values, user.tz);
  if (!parsed.ok) return invalidForm(forms.addIntegration, args.view, parsed.errors);
  // Permission is checked again here, whatever held when the form opened (rule 1).
  const added = await deps.services.integrations.add(actor, parsed.integration, parsed.input);
  return answered({ title: "Added", text: addedText(added), formatted: true }, () =>
    afterChange(deps, args.client, decodeIntegrationMetadata(args.view.private_metadata), actor),
  );
});

/** From a reminder, the rotation is also told in the reminder's thread. */
export const rotateIntegrationSubmission = submissionListener(forms.rotateIntegration, async (deps, args) => {
  const metadata = decodeIntegrationMetadata(args.view.private_metadata);
  const { actor, user } = await callerOfRequest(deps, args);
  const parsed = parseRotateIntegrationModal(args.view.state.values, user.tz);
  if (!parsed.ok) return invalidForm(forms.rotateIntegration, args.view, parsed.errors);
  const rotated = await updateFromForm(deps, actor, metadata, parsed.input);
  return answered({ title: "Rotated", text: rotatedText(rotated), formatted: true }, async () => {
    if (metadata.channel && metadata.threadTs) await followUpInThread(deps, args.client, metadata.channel, metadata.threadTs, args.body.user.id, rotated);
    await afterChange(deps, args.client, metadata, actor);
  });
});

export const integrationChannelSubmission = submissionListener(forms.integrationChannel, async (deps, args) => {
  const metadata = decodeIntegrationMetadata(args.view.private_metadata);
  const parsed = parseIntegrationChannelModal(args.view.state.values);
  if (!parsed.ok) return invalidForm(forms.integrationChannel, args.view, parsed.errors);
  const { actor } = await callerOfRequest(deps, args);
  const updated = await updateFromForm(deps, actor, metadata, parsed.input);
  return answered({ title: "Saved", text: channelText(updated), formatted: true }, () => afterChange(deps, args.client, metadata, actor));
});

/** The id from private_metadata is looked up in the submitter's own workspace, with their permissions now. */
async function updateFromForm(deps: SlackDeps, actor: Actor, metadata: IntegrationMetadata, input: UpdateConfigInput): Promise<IntegrationConfig> {
  const config = await deps.services.integrations.findById(actor, metadata.id ?? "");
  return deps.services.integrations.update(actor, config.integration, config.alias, input);
}

/** The reminder's thread hears who rotated and what to watch; a failure here does not undo the rotation. */
async function followUpInThread(
  deps: SlackDeps,
  client: WebClient,
  channel: string,
  threadTs: string,
  userId: string,
  config: IntegrationConfig,
): Promise<void> {
  try {
    await client.chat.postMessage({ channel, thread_ts: threadTs, ...rotatedInThreadMessage(userId, config) });
  } catch (error) {
    deps.logger.warn({ err: error, configId: config.id }, "could not post the rotation follow-up in the reminder's thread");
  }
}

/** A form opened from the Home tab republishes it (the modal has said what changed; a failure shows on the tab). */
async function afterChange(deps: SlackDeps, client: WebClient, metadata: IntegrationMetadata, actor: Actor): Promise<void> {
  if (metadata.home) await refreshHome(deps, { client, workspaceId: actor.workspaceId, userId: actor.userId });
}
