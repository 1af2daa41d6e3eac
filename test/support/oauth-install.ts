// A person installing keyward in their workspace, as a browser does it: GET /slack/install (a
// redirect to slack.com's consent page, with a signed state and its cookie), the approval on
// slack.com (the fake issues the code), and the redirect back to GET /slack/oauth_redirect.
import { expect } from "vitest";
import type { TestApp } from "./app-harness.ts";
import type { FakeInstallTarget } from "./fake-slack-oauth.ts";

export interface InstallStart {
  status: number;
  location: string;
  state: string;
  /** The `slack-app-oauth-state=…` pair of Set-Cookie, as a browser sends it back. */
  cookie: string;
}

/** GET /slack/install, not following its redirect. */
export async function startInstall(app: TestApp): Promise<InstallStart> {
  const response = await fetch(`${app.keyward.url}/slack/install`, { redirect: "manual" });
  const location = response.headers.get("location") ?? "";
  const setCookie = response.headers.get("set-cookie") ?? "";
  const state = new URL(location || "http://x/").searchParams.get("state") ?? "";
  return { status: response.status, location, state, cookie: setCookie.split(";")[0] ?? "" };
}

/** GET /slack/oauth_redirect as Slack's redirect reaches it (cookie: what the browser holds, if anything). */
export async function finishInstall(app: TestApp, query: { code?: string; state?: string; error?: string }, cookie?: string) {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === "string"));
  const response = await fetch(`${app.keyward.url}/slack/oauth_redirect?${params}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  return { status: response.status, body: await response.text() };
}

/** The whole install of one workspace (or org); returns its bot token as the fake minted it. */
export async function installWorkspace(app: TestApp, target: FakeInstallTarget): Promise<string> {
  const start = await startInstall(app);
  expect(start.status).toBe(302);
  const code = app.fake.oauth.issueCode(target);
  const done = await finishInstall(app, { code, state: start.state }, start.cookie);
  expect(done.status, done.body).toBe(200);
  const workspaceId = (target.isEnterpriseInstall ? target.enterpriseId : target.teamId)!;
  return app.fake.oauth.installationFor(workspaceId)!.botToken;
}
