import { describe, expect, it, vi } from "vitest";
import { actionIds } from "../../src/slack/ids.ts";
import { secretStoredButton } from "../../src/slack/listeners/secret-stored-listener.ts";
import { secretMessage, secretNotRemovedMessage, type SecretDeliveryView } from "../../src/slack/views/secret-message.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { textOf } from "./slack-flow-helpers.ts";

type Json = Record<string, unknown>;

const secret = "kw_7Q2mXc9LrTb4VwYz0PaKdE3sHn6UfGj8Ci1oNe5R";
const created: SecretDeliveryView = { name: "deploy-bot", roleName: "Viewer", kind: "service", expiresAt: new Date("2027-06-30T23:59:59.999Z"), secret };
const rolled: SecretDeliveryView = { ...created, replaces: { last4: "DZSo", worksUntil: new Date("2027-01-21T15:00:00Z") } };

function storedButton(blocks: unknown[]): Json {
  const block = (blocks as Json[]).find((b) => b.block_id === "secret_stored");
  expect(block).toMatchObject({ type: "actions" });
  const [button, ...others] = block!.elements as Json[];
  expect(others).toEqual([]);
  return button!;
}

/** Issue 13 item 4: the one-time message can be removed by the person it is for, and its button carries nothing of the key. */
describe("the secret message's I've stored it button", () => {
  it.each([
    ["a new key", created],
    ["a roll", rolled],
  ])("is on the message of %s, says what it does, and its value holds nothing of the key", (_label, view) => {
    const message = secretMessage(view);
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    const button = storedButton(message.blocks);
    expect(button).toMatchObject({ type: "button", action_id: actionIds.secretStored, text: { type: "plain_text", text: "I've stored it" } });
    // A constant: no key, no part of it, no hash, not even the last 4 or the name.
    expect(button.value).toBe("stored");
    expect(textOf(button)).not.toContain(secret.slice(3, 12));
    expect(textOf(button)).not.toContain(secret.slice(-4));
    expect(textOf(button)).not.toContain(view.name);
    // The message says the button removes it, before the button.
    const warning = message.blocks.findIndex((b) => b.block_id === "secret_warning");
    expect(textOf(message.blocks[warning])).toContain("press *I've stored it* once the key is safe, and it is removed");
    expect(warning).toBe(message.blocks.length - 2);
    // The notification text still never carries the secret.
    expect(message.text).not.toContain(secret);
  });

  it("has a notice for when Slack keeps the message, valid Block Kit naming no key", () => {
    const notice = secretNotRemovedMessage();
    expect(blockKitViolations("message", notice.blocks)).toEqual([]);
    expect(notice.text).toContain("Dismiss it yourself, or reload Slack");
    expect(textOf(notice)).not.toMatch(/kw_/);
  });
});

/** The listener, built from fake deps: the one response_url it may post to is Slack's. */
describe("pressing I've stored it", () => {
  function press(responseUrl: string | undefined, respond: (message: unknown) => Promise<unknown>) {
    const postEphemeral = vi.fn(async (_args: Json) => ({ ok: true, message_ts: "1.2" }));
    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn() };
    const allowed: string[] = [];
    const deps = {
      logger,
      isAllowedResponseUrl: (url: string) => {
        allowed.push(url);
        return url.startsWith("https://hooks.slack.com/");
      },
    };
    const ack = vi.fn(async () => {});
    const body = { user: { id: "U0STORED1" }, channel: { id: "C0STORED1" }, trigger_id: "1.2.abc", ...(responseUrl ? { response_url: responseUrl } : {}) };
    const args = { ack, body, action: { value: "stored" }, respond: vi.fn(respond), client: { chat: { postEphemeral } }, context: { teamId: "T0TEAM" } };
    return { run: () => secretStoredButton(deps as never)(args as never), ack, respond: args.respond, postEphemeral, logger, allowed };
  }

  it("deletes the pressed message through its response_url, with delete_original alone, and says nothing else", async () => {
    const p = press("https://hooks.slack.com/actions/T0TEAM/1/abc", async () => ({ ok: true }));
    await p.run();
    expect(p.ack).toHaveBeenCalledOnce();
    expect(p.respond.mock.calls).toEqual([[{ delete_original: true }]]);
    expect(p.postEphemeral).not.toHaveBeenCalled();
  });

  it("posts nothing to a response_url that is not Slack's, and tells the person to dismiss the message", async () => {
    const p = press("https://attacker.example/actions/1", async () => ({ ok: true }));
    await p.run();
    expect(p.allowed).toEqual(["https://attacker.example/actions/1"]);
    expect(p.respond).not.toHaveBeenCalled();
    expect(p.postEphemeral).toHaveBeenCalledOnce();
    expect(p.postEphemeral.mock.calls[0]![0]).toMatchObject({ channel: "C0STORED1", user: "U0STORED1", text: expect.stringContaining("Dismiss it yourself") });
  });

  it("when Slack refuses the delete, logs its status without the URL and tells the person in the channel", async () => {
    const url = "https://hooks.slack.com/actions/T0TEAM/2/def";
    const p = press(url, async () => {
      throw Object.assign(new Error("Failed to respond to the response_url: 404 Not Found"), { statusCode: 404 });
    });
    await p.run();
    expect(p.respond).toHaveBeenCalledOnce();
    expect(p.logger.warn).toHaveBeenCalledWith({ status: 404 }, "Slack did not remove a secret message");
    expect(textOf(p.logger.warn.mock.calls)).not.toContain(url);
    expect(p.postEphemeral.mock.calls[0]![0]).toMatchObject({
      channel: "C0STORED1",
      user: "U0STORED1",
      text: expect.stringContaining("did not let keyward remove"),
    });
  });
});
