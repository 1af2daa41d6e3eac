import { describe, expect, it } from "vitest";
import { leakPosterMessage, leakSecurityRefusedMessage, leakThreadMessage, type LeakView } from "../../src/slack/views/leak-messages.ts";

const view = (over: Partial<LeakView> = {}): LeakView => ({
  keyId: "01KEYID0000000000000000000",
  name: "deploy-prod",
  last4: "a1b2",
  roleName: "Admin",
  createdBy: "U0CREATOR1",
  revoked: true,
  endedGrace: false,
  where: { kind: "slack", channel: "C0LEAKED1", permalink: null, postedBy: "U0POSTER1" },
  ...over,
});

/** Review 5: what a whole conversation reads names the key by its last 4 only; the poster's note says no more. */
describe("leak messages the conversation or the poster read", () => {
  it("the thread reply (revoke mode) says the key ending …last4 was revoked, without its name or role", () => {
    const message = leakThreadMessage(view());
    expect(message.text).toBe(":rotating_light: The keyward API key ending …a1b2 in this message was revoked. Please delete this message.");
    expect(JSON.stringify(message)).not.toMatch(/deploy-prod|Admin/);
  });

  it("the poster's note (alert only) asks to delete the message and says who was told, without the key's name, role or that it works", () => {
    const message = leakPosterMessage(view({ revoked: false }), ["creator", "security"]);
    expect(message.text).toBe(
      ":rotating_light: Your message holds a keyward API key (ending …a1b2). Please delete the message. keyward told the key's creator and the security channel.",
    );
    expect(JSON.stringify(message)).not.toMatch(/deploy-prod|Admin|works/);
    expect(leakPosterMessage(view(), ["admins"]).text).toMatch(/keyward told keyward's Admins\.$/);
    expect(leakPosterMessage(view(), ["creator", "security", "admins"]).text).toMatch(/told the key's creator, the security channel and keyward's Admins\.$/);
    expect(leakPosterMessage(view(), []).text).toMatch(/Please delete the message\.$/);
  });

  it("an Admin's DM when the security channel refused names the channel, Slack's code and both fixes", () => {
    const message = leakSecurityRefusedMessage(view({ createdBy: "key:01SERVICE" }), "C0GONESEC1", "not_in_channel");
    expect(message.text).toContain("Leaked API key *deploy-prod*");
    expect(message.text).toContain("could not post this in the security channel <#C0GONESEC1> (Slack answered not_in_channel)");
    expect(message.text).toContain("`/invite @keyward`");
    expect(message.text).toContain("`/keys security #channel`");
    expect(message.blocks.map((b) => b.block_id)).toEqual(["leak_security", "leak_security_refused"]);
  });

  // Second review: the advice fits the refusal; inviting the app does not help where posting is restricted or the channel is archived.
  it.each([
    ["restricted_action", /posting is restricted in that channel: choose another channel \(`\/keys security #channel`\)/],
    ["is_archived", /archived: unarchive it or choose another channel \(`\/keys security #channel`\)/],
    ["channel_not_found", /gone, or private without the app: invite the app there \(`\/invite @keyward`\) or choose another/],
  ])("an Admin's DM after %s gives the fix that fits it", (code, advice) => {
    const message = leakSecurityRefusedMessage(view(), "C0GONESEC1", code);
    expect(message.text).toContain(`(Slack answered ${code})`);
    expect(message.text).toMatch(advice);
    if (code !== "channel_not_found") expect(message.text).not.toContain("/invite");
  });

  it("an Admin's DM after a refusal says it is not sent for every leak, and where later leaks are", () => {
    expect(leakSecurityRefusedMessage(view(), "C0GONESEC1", "not_in_channel").text).toMatch(/does not repeat this for every leak.*`\/keys audit`/s);
  });
});
