import { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { botToken, channelId, startTestApp } from "./app-harness.ts";

/** The harness's close-time wire check (issue 10's Done-when) is itself a check that can fail. */
describe("the harness's wire check", () => {
  it("refuses at close a message that carries an API key's raw id, or has no top-level text", async () => {
    const app = await startTestApp();
    const bot = new WebClient(botToken, { slackApiUrl: app.fake.url });
    await bot.chat.postMessage({ channel: channelId, text: "made by key:0190a000-0000-7000-8000-000000000001" });
    await bot.chat.postMessage({ channel: channelId, text: " ", blocks: [{ type: "section", text: { type: "mrkdwn", text: "only blocks" } }] });
    app.fake.reset(); // a reset does not hide what was sent before it
    await expect(app.close()).rejects.toThrow(/chat\.postMessage carries key:0190a000-0000…[\s\S]*chat\.postMessage has no top-level text/);
  });

  it("refuses at close an ack that carries an API key's raw id", async () => {
    const app = await startTestApp();
    // As if the app had answered a view submission with a view naming a key by its raw id.
    (app.driver.acks as string[]).push('{"response_action":"update","view":{"blocks":[{"text":"key:0190a000-0000-7000-8000-000000000002"}]}}');
    await expect(app.close()).rejects.toThrow(/an ack carries key:0190a000-0000/);
  });
});
