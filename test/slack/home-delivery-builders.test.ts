import { describe, expect, it } from "vitest";
import { capabilitiesOf } from "../../src/domain/capabilities.ts";
import { permissions } from "../../src/domain/permissions.ts";
import type { Actor } from "../../src/domain/types.ts";
import { conversationLink, deliveryNotice, deliveryStatus, type DeliveryNoticeView } from "../../src/slack/views/delivery-notice.ts";
import { homeUnavailableView, homeView } from "../../src/slack/views/home-view.ts";
import { integrationListMessage, makeDefaultButton, type IntegrationListView } from "../../src/slack/views/integration-list-blocks.ts";
import { noticeModal } from "../../src/slack/views/notices.ts";
import type { KeyListView } from "../../src/slack/views/view-models.ts";
import { blockKitViolations } from "../support/block-kit-validator.ts";
import { longKeyRow } from "../support/view-fixtures.ts";

const admin: Actor = { workspaceId: "T1", userId: "U1", roleName: "Admin", permissions: new Set(permissions), source: "slack" };
const hostile = "<!channel> & <https://evil|click>";
const escapedHostile = "&lt;!channel&gt; &amp; &lt;https://evil|click&gt;";
const longest = "W".repeat(64);

const fullKeys: KeyListView = {
  keys: Array.from({ length: 15 }, (_, i) => longKeyRow(i, { name: `${longest.slice(0, 60)}${i}` })),
  page: 2,
  cursor: null,
  nextCursor: "a".repeat(48),
  capabilities: capabilitiesOf(admin),
};

const fullIntegrations: IntegrationListView = {
  configs: Array.from({ length: 15 }, (_, i) => ({
    id: `0190a000-0000-7000-9000-${String(i).padStart(12, "0")}`,
    integration: "x".repeat(40),
    alias: `${"a".repeat(60)}${i}`,
    last4: "wxyz",
    isDefault: i === 0,
    expiresAt: new Date("2027-01-01T00:00:00Z"),
    expired: false,
    reminderChannel: "C0123456789",
    createdBy: "U0123456789",
    rotatedAt: null,
    rotatedBy: null,
  })),
  page: 1,
  nextCursor: "b".repeat(40),
  canEdit: true,
};

const delivered = (over: Partial<DeliveryNoticeView> = {}): DeliveryNoticeView => ({
  keyName: "deploy-bot",
  last4: "DZSo",
  outcome: { state: "delivered", route: "dm", channelId: "D0DM00001" },
  teamId: "T0TEAM001",
  ...over,
});

describe("where a new secret went: the notice that answers the create and roll forms", () => {
  it("names the DM, links to it on every client (app_redirect) and says the message does not stay", () => {
    const { title, text } = deliveryNotice(delivered());
    expect(title).toBe("Key ready");
    expect(text).toContain("Your key *deploy-bot* (`…DZSo`) is ready.");
    expect(text).toContain("direct messages with keyward");
    expect(text).toContain("<https://slack.com/app_redirect?channel=D0DM00001&team=T0TEAM001|Open that conversation>");
    // With the app's id, the DM link is the one Slack documents for a DM with an app: app=.
    expect(deliveryNotice(delivered({ appId: "A0APP0001" })).text).toContain(
      "<https://slack.com/app_redirect?app=A0APP0001&team=T0TEAM001|Open that conversation>",
    );
    expect(conversationLink("C0CHAN001", "T0TEAM001", "A0APP0001")).toBe("https://slack.com/app_redirect?channel=C0CHAN001&team=T0TEAM001");
    expect(conversationLink("D0DM00001", undefined, "A1&x")).toBe("https://slack.com/app_redirect?channel=D0DM00001");
    expect(text).toContain("gone once Slack reloads");
    expect(text).toContain("never shows the secret again");
  });

  it("names the conversation where the command was typed, for the channel and the response_url routes", () => {
    for (const route of ["channel", "response_url"] as const) {
      const { text } = deliveryNotice(delivered({ outcome: { state: "delivered", route, channelId: "C0CHAN001" } }));
      expect(text).toContain("where you typed the command");
      expect(text).toContain("app_redirect?channel=C0CHAN001&team=T0TEAM001");
    }
    // A response_url of a conversation we were not told about: said in words, no broken link.
    expect(deliveryNotice(delivered({ outcome: { state: "delivered", route: "response_url" } })).text).not.toContain("app_redirect");
  });

  it("a roll says what it replaces and until when the old key works", () => {
    const { title, text } = deliveryNotice(delivered({ replaces: { last4: "OLD1", worksUntil: new Date("2026-12-02T10:00:00Z") } }));
    expect(title).toBe("Key rolled");
    expect(text).toContain("`…OLD1` keeps working until <!date^");
  });

  it("says so when nothing worked (rule 4) or the key could not be switched on", () => {
    expect(deliveryNotice(delivered({ outcome: { state: "undelivered" } }))).toMatchObject({
      title: "Not created",
      text: expect.stringContaining("removed again"),
    });
    const roll = deliveryNotice(delivered({ outcome: { state: "undelivered" }, replaces: { last4: "OLD1", worksUntil: new Date(0) } }));
    expect(roll).toMatchObject({ title: "Not rolled", text: expect.stringContaining("The old key works as before.") });
    expect(deliveryNotice(delivered({ outcome: { state: "not_activated" } }))).toMatchObject({
      title: "Not switched on",
      text: expect.stringContaining("do not use it"),
    });
    expect(deliveryStatus(delivered({ outcome: { state: "undelivered" } }))).toMatchObject({ tone: "refused" });
    // An undone roll whose old key could not come back (another key took the name meanwhile) says so, not "works as before".
    const notBack = deliveryNotice(
      delivered({ outcome: { state: "undelivered", oldKeyStops: new Date(0) }, replaces: { last4: "OLD1", worksUntil: new Date(0) } }),
    );
    expect(notBack.text).toContain("The old key was not brought back, because another key is named");
    expect(notBack.text).not.toContain("works as before");
  });

  it("escapes the key name, keeps the link to Slack's own host, and stays within a modal's limits", () => {
    const notice = deliveryNotice(
      delivered({ keyName: hostile, outcome: { state: "delivered", route: "dm", channelId: "D0DM00001|<https://evil>" }, teamId: "T1&x=<y>" }),
    );
    expect(notice.text).toContain(escapedHostile);
    expect(notice.text).not.toContain("<!channel>");
    expect(notice.text).not.toContain("evil>");
    expect(notice.text).not.toContain("app_redirect");
    expect(conversationLink("D0DM00001", "T1&x=<y>")).toBe("https://slack.com/app_redirect?channel=D0DM00001");
    for (const view of [delivered({ keyName: longest }), delivered({ keyName: hostile, replaces: { last4: "OLD1", worksUntil: new Date(0) } })]) {
      const modal = noticeModal(deliveryNotice(view).title, deliveryNotice(view).text, { formatted: true });
      expect(blockKitViolations("modal", modal)).toEqual([]);
    }
    expect(deliveryStatus(delivered({ keyName: hostile })).text).toContain(escapedHostile);
  });
});

describe("the Home tab's status line and its actions", () => {
  it("puts the status line under the header, escaped unless formatted, and stays within 100 blocks at the fullest", () => {
    const view = homeView({
      roleName: "Admin",
      keys: fullKeys,
      canEditRoles: true,
      canCreate: true,
      integrations: fullIntegrations,
      status: { tone: "refused", text: hostile },
    });
    expect(blockKitViolations("home", view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(view.blocks[1]).toMatchObject({ block_id: "home_status", text: { text: `:no_entry: ${escapedHostile}` } });
    const done = homeView({
      roleName: "Admin",
      keys: null,
      canEditRoles: false,
      canCreate: false,
      status: { tone: "done", text: "Deleted *deploy-bot* `…DZSo`.", formatted: true },
    });
    expect(done.blocks[1]).toMatchObject({ text: { text: ":white_check_mark: Deleted *deploy-bot* `…DZSo`." } });
    const long = homeView({ roleName: "Admin", keys: null, canEditRoles: false, canCreate: false, status: { tone: "failed", text: "x".repeat(5000) } });
    expect(blockKitViolations("home", long)).toEqual([]);
    // An ordinary publish has no status line.
    expect(JSON.stringify(homeView({ roleName: "Admin", keys: fullKeys, canEditRoles: true, canCreate: true }))).not.toContain("home_status");
  });

  it("a tab that could not be built says why and offers Try again", () => {
    const view = homeUnavailableView({ tone: "failed", text: "Something went wrong on our side and nothing was changed. (reference abc12345)" });
    expect(blockKitViolations("home", view)).toEqual([]);
    expect(view.blocks[1]).toMatchObject({ block_id: "home_status", text: { text: expect.stringMatching(/^:warning: Something went wrong/) } });
    expect(JSON.stringify(view.blocks[2])).toContain("keyward.home.first");
  });

  it("Make default asks first, naming the configuration; Delete's confirm is danger-styled", () => {
    const button = makeDefaultButton({ id: "c1", integration: "github", alias: hostile, last4: "wxyz" });
    expect(button.confirm).toMatchObject({ title: { text: "Make this the default?" }, confirm: { text: "Make default" }, deny: { text: "Cancel" } });
    expect(button.confirm.text.text).toContain(`github/${escapedHostile}`);
    expect(button.confirm.text.text).toContain("`…wxyz`");
    const message = integrationListMessage(fullIntegrations);
    expect(blockKitViolations("message", message.blocks)).toEqual([]);
    const elements = message.blocks.flatMap((b) => ("elements" in b ? (b.elements as Array<{ action_id?: string; confirm?: { style?: string } }>) : []));
    const defaults = elements.filter((e) => e.action_id === "keyward.integration.set_default");
    expect(defaults).toHaveLength(14); // every row but the default's own
    expect(defaults.every((e) => e.confirm !== undefined)).toBe(true);
    expect(elements.filter((e) => e.action_id === "keyward.integration.delete").every((e) => e.confirm?.style === "danger")).toBe(true);
  });
});
