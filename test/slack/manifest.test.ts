import { readFile } from "node:fs/promises";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { actionIds, botScopes, callbackIds, slashCommand } from "../../src/slack/ids.ts";
import { listeners, registerListeners, type ListenerEntry } from "../../src/slack/listeners/listener-registry.ts";

const manifestText = await readFile(new URL("../../manifest.yml", import.meta.url), "utf8");
const manifest = parse(manifestText) as {
  features: { slash_commands: Array<{ command: string }>; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean } };
};

describe("manifest.yml", () => {
  it("is valid against Slack's official manifest schema", async () => {
    const schema = JSON.parse(await readFile(new URL("../schemas/slack-manifest-schema/manifest.schema.1.0.0.json", import.meta.url), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema is strict enough to fail: a command without its leading slash is refused.
    const broken = structuredClone(manifest);
    broken.features.slash_commands[0]!.command = "keys";
    expect(validate(broken)).toBe(false);
  });

  it("has a valid Socket Mode variant (README): socket_mode_enabled and no request URLs, everything else the same", async () => {
    const schema = JSON.parse(await readFile(new URL("../schemas/slack-manifest-schema/manifest.schema.1.0.0.json", import.meta.url), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const socketMode = structuredClone(manifest) as typeof manifest & { settings: Record<string, unknown> };
    socketMode.settings.socket_mode_enabled = true;
    for (const command of socketMode.features.slash_commands) delete (command as { url?: string }).url;
    delete (socketMode.settings.event_subscriptions as { request_url?: string }).request_url;
    delete (socketMode.settings.interactivity as { request_url?: string }).request_url;
    delete (socketMode.oauth_config as { redirect_urls?: string[] }).redirect_urls; // OAuth installs only
    expect(JSON.stringify(socketMode)).not.toContain("keyward.example.com");
    validate(socketMode);
    expect(validate.errors ?? []).toEqual([]);
    // manifest.yml itself stays the HTTP one.
    expect((manifest.settings as Record<string, unknown>).socket_mode_enabled).toBe(false);
  });

  it("sends OAuth installs back to the path keyward serves, and has a valid Grid org-wide variant", async () => {
    const redirects = (manifest.oauth_config as { redirect_urls?: string[] }).redirect_urls ?? [];
    expect(redirects.map((url) => new URL(url).pathname)).toEqual(["/slack/oauth_redirect"]);
    const schema = JSON.parse(await readFile(new URL("../schemas/slack-manifest-schema/manifest.schema.1.0.0.json", import.meta.url), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const orgWide = structuredClone(manifest) as typeof manifest & { settings: Record<string, unknown> };
    orgWide.settings.org_deploy_enabled = true;
    validate(orgWide);
    expect(validate.errors ?? []).toEqual([]);
  });

  it("declares the command, the Home tab, interactivity and exactly the scopes the app uses", () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([slashCommand]);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual([
      "app_home_opened",
      "user_change",
      "app_uninstalled",
      "tokens_revoked",
      "message.channels",
      "message.groups",
      "message.im",
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([
      "channels:history",
      "chat:write",
      "commands",
      "groups:history",
      "im:history",
      "im:write",
      "users:read",
    ]);
    // OAuth installs ask for exactly these.
    expect([...botScopes].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
  });
});

describe("every id Slack can send back has a listener", () => {
  it("registers the command, every action id and every submitted callback id", () => {
    // The table slack-app.ts hands to Bolt (registerListeners), read here as it is.
    const registered = (kind: ListenerEntry["kind"]) => listeners.filter((entry) => entry.kind === kind).map((entry) => entry.id);
    for (const command of manifest.features.slash_commands) expect(registered("command")).toContain(command.command);
    for (const actionId of Object.values(actionIds)) expect(registered("action")).toContain(actionId);
    // Notice modals have no submit button, so nothing is ever submitted from them.
    for (const callbackId of Object.values(callbackIds).filter((id) => id !== callbackIds.notice)) expect(registered("view")).toContain(callbackId);
    // message.channels, message.groups and message.im all arrive as Bolt's "message" event.
    for (const event of manifest.settings.event_subscriptions.bot_events) expect(registered("event")).toContain(event.split(".")[0]);
  });

  it("registers each id once, and the catch-alls for unknown ids after every listener they must not shadow", () => {
    const named = listeners.filter((entry) => typeof entry.id === "string").map((entry) => `${entry.kind} ${String(entry.id)}`);
    expect(named.filter((id, i) => named.indexOf(id) !== i)).toEqual([]);
    const firstCatchAll = listeners.findIndex((entry) => typeof entry.id !== "string");
    expect(firstCatchAll).toBeGreaterThan(0);
    expect(listeners.slice(firstCatchAll).every((entry) => typeof entry.id !== "string")).toBe(true);
  });

  it("hands Bolt the table's entries, in its order", () => {
    const calls: Array<[string, unknown]> = [];
    const record = (kind: string) => (id: unknown, listener: unknown) => {
      expect(listener).toBeTypeOf("function");
      calls.push([kind, id]);
    };
    const fakeApp = { command: record("command"), action: record("action"), view: record("view"), event: record("event") };
    registerListeners(fakeApp as never, {} as never);
    expect(calls).toEqual(listeners.map((entry) => [entry.kind, entry.id]));
  });

  it("uses in the views only action ids that ids.ts declares", async () => {
    const sources = await Promise.all(
      [
        "key-list-blocks.ts",
        "home-view.ts",
        "notices.ts",
        "roles-message.ts",
        "integration-list-blocks.ts",
        "integration-inputs.ts",
        "add-integration-modal.ts",
        "rotate-integration-modal.ts",
        "integration-channel-modal.ts",
        "integration-notices.ts",
      ].map((f) => readFile(new URL(`../../src/slack/views/${f}`, import.meta.url), "utf8")),
    );
    for (const source of sources) expect(source).not.toMatch(/action_id:\s*"keyward\./);
  });
});
