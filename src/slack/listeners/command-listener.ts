import type { RespondFn, SlashCommand } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { capabilitiesOf } from "../../domain/capabilities.ts";
import { parseKeysCommand, type KeysCommand } from "../command-parser.ts";
import { callerOf, workspaceOf, type SlackDeps } from "../slack-deps.ts";
import { auditMessage } from "../views/audit-message.ts";
import { helpMessage } from "../views/help-message.ts";
import { deleteConfirmationMessage } from "../views/notices.ts";
import { rolesMessage } from "../views/roles-message.ts";
import { openCreateKeyForm } from "./create-key-flow.ts";
import { openEditKeyForm } from "./edit-key-flow.ts";
import { runDigestCommand } from "./digest-listeners.ts";
import { openKeyRequestForm, runApprovalsCommand } from "./key-request-flow.ts";
import { showKeyPage } from "./key-listeners.ts";
import { runIntegrationsCommand } from "./integration-listeners.ts";
import { tellFailure, type CommandArgs } from "./listener-support.ts";
import { auditPageView } from "./page-views.ts";
import { openPolicyForm } from "./policy-listeners.ts";
import { runSecurityCommand } from "./security-command.ts";
import { openRollKeyForm } from "./roll-key-flow.ts";

interface CommandRequest {
  deps: SlackDeps;
  command: SlashCommand;
  client: WebClient;
  respond: RespondFn;
  workspaceId: string;
}

/** `/keys …`: ack at once (Slack allows 3 s), then answer through response_url or a modal. */
export const keysCommand =
  (deps: SlackDeps) =>
  async ({ ack, command, client, respond, context }: CommandArgs): Promise<void> => {
    await ack();
    const request = { deps, command, client, respond, workspaceId: workspaceOf(context) };
    try {
      await run(request, parseKeysCommand(command.text ?? ""));
    } catch (error) {
      await tellFailure(deps, { client, respond }, error);
    }
  };

async function run(r: CommandRequest, parsed: KeysCommand): Promise<void> {
  const ephemeral = (message: { text: string; blocks: unknown[] }) => r.respond({ response_type: "ephemeral", ...(message as { text: string }) });
  const caller = { workspaceId: r.workspaceId, userId: r.command.user_id };
  switch (parsed.kind) {
    case "create":
      return openCreateKeyForm(r.deps, {
        client: r.client,
        triggerId: r.command.trigger_id,
        ...caller,
        channelId: r.command.channel_id,
        responseUrl: r.command.response_url,
      });
    case "request":
      return openKeyRequestForm(r.deps, { client: r.client, triggerId: r.command.trigger_id, ...caller, channelId: r.command.channel_id });
    case "approvals":
      return runApprovalsCommand(
        r.deps,
        { client: r.client, respond: r.respond, ...caller, channelId: r.command.channel_id, channelName: r.command.channel_name },
        parsed.set,
      );
    case "digest":
      return runDigestCommand(
        r.deps,
        {
          client: r.client,
          respond: r.respond,
          ...caller,
          channelId: r.command.channel_id,
          channelName: r.command.channel_name,
          appId: r.command.api_app_id,
        },
        parsed.set,
      );
    case "security":
      return runSecurityCommand(
        r.deps,
        { client: r.client, respond: r.respond, ...caller, channelId: r.command.channel_id, channelName: r.command.channel_name },
        parsed.set,
      );
    case "edit":
      return openEditKeyForm(r.deps, { client: r.client, triggerId: r.command.trigger_id, ...caller, ref: parsed.ref });
    case "roll":
      return openRollKeyForm(r.deps, {
        client: r.client,
        triggerId: r.command.trigger_id,
        ...caller,
        ref: parsed.ref,
        channelId: r.command.channel_id,
        responseUrl: r.command.response_url,
      });
    case "policy":
      return openPolicyForm(r.deps, { client: r.client, triggerId: r.command.trigger_id, ...caller });
    case "list":
      return showKeyPage(r.deps, { client: r.client, respond: r.respond }, caller, parsed.page, undefined, false);
    case "delete": {
      const { actor } = await callerOf(r.deps, r.client, r.workspaceId, r.command.user_id);
      const key = await r.deps.services.keys.findForChange(actor, parsed.ref);
      await ephemeral(deleteConfirmationMessage(key));
      return;
    }
    case "roles": {
      const { actor } = await callerOf(r.deps, r.client, r.workspaceId, r.command.user_id);
      const roles = await r.deps.services.roles.list(actor);
      await ephemeral(
        rolesMessage({ roles: roles.map((role) => ({ ...role, builtIn: role.builtIn !== null })), canEditRoles: capabilitiesOf(actor).editRoles }),
      );
      return;
    }
    case "audit": {
      const { actor } = await callerOf(r.deps, r.client, r.workspaceId, r.command.user_id);
      await ephemeral(auditMessage(await auditPageView(r.deps, actor, parsed.count)));
      return;
    }
    case "integrations":
      return runIntegrationsCommand(
        r.deps,
        { client: r.client, respond: r.respond, triggerId: r.command.trigger_id, ...caller, channelId: r.command.channel_id },
        parsed.command,
      );
    case "help":
    case "usage": {
      const { actor } = await callerOf(r.deps, r.client, r.workspaceId, r.command.user_id);
      const problem = parsed.kind === "usage" ? parsed.problem : undefined;
      // Someone without a role is told whom to ask for one.
      const admins = actor.roleName ? undefined : await r.deps.services.directory.admins(actor);
      await ephemeral(helpMessage({ capabilities: capabilitiesOf(actor), roleName: actor.roleName, problem, admins }));
      return;
    }
  }
}
