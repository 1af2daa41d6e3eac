// The fake Slack's OAuth side, through the real @slack/web-api client (as Bolt's installer calls it),
// so the install tests can trust what oauth.v2.access and auth.test answer.
import { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeSlack, type FakeSlack } from "./fake-slack.ts";

let fake: FakeSlack;
const app = { clientId: "1.2", clientSecret: "s3cret" };
const client = () => new WebClient(undefined, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });

beforeEach(async () => {
  fake = await startFakeSlack({ token: "xoxb-single" });
  fake.oauth.configure({ ...app, tokenExpiresIn: 3600 });
});
afterEach(async () => {
  await fake.close();
});

describe("oauth.v2.access in the fake", () => {
  it("exchanges a code once for a team's own bot token, which auth.test then answers for", async () => {
    const code = fake.oauth.issueCode({ teamId: "T0ONE", teamName: "One", installerUserId: "U0INST" });
    const answer = await client().oauth.v2.access({ client_id: app.clientId, client_secret: app.clientSecret, code });
    expect(answer).toMatchObject({
      ok: true,
      token_type: "bot",
      team: { id: "T0ONE", name: "One" },
      enterprise: null,
      is_enterprise_install: false,
      authed_user: { id: "U0INST" },
      expires_in: 3600,
    });
    expect(String(answer.access_token)).toMatch(/^xoxb-/);
    expect(String(answer.refresh_token)).toMatch(/^xoxe-/);
    const auth = await new WebClient(String(answer.access_token), { slackApiUrl: fake.url }).auth.test();
    expect(auth).toMatchObject({ team_id: "T0ONE", user_id: answer.bot_user_id, is_enterprise_install: false });
    await expect(client().oauth.v2.access({ client_id: app.clientId, client_secret: app.clientSecret, code })).rejects.toMatchObject({
      data: { error: "invalid_code" },
    });
  });

  it("refuses wrong client credentials, by form and by HTTP Basic", async () => {
    const code = fake.oauth.issueCode({ teamId: "T0ONE" });
    await expect(client().oauth.v2.access({ client_id: app.clientId, client_secret: "nope", code })).rejects.toMatchObject({
      data: { error: "bad_client_secret" },
    });
    const basic = (secret: string) =>
      fetch(`${fake.url}oauth.v2.access`, {
        method: "POST",
        headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${secret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ code }).toString(),
      }).then((r) => r.json() as Promise<{ ok: boolean; error?: string }>);
    expect(await basic("nope")).toMatchObject({ ok: false, error: "bad_client_secret" });
    expect(await basic(app.clientSecret)).toMatchObject({ ok: true });
  });

  it("answers an org-wide install with team null, and refresh tokens work once", async () => {
    const code = fake.oauth.issueCode({ enterpriseId: "E0ORG", isEnterpriseInstall: true });
    const answer = await client().oauth.v2.access({ client_id: app.clientId, client_secret: app.clientSecret, code });
    expect(answer).toMatchObject({ team: null, enterprise: { id: "E0ORG" }, is_enterprise_install: true });
    const refresh = {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: "refresh_token" as const,
      refresh_token: String(answer.refresh_token),
    };
    const refreshed = await client().oauth.v2.access(refresh);
    expect(refreshed.access_token).not.toBe(answer.access_token);
    expect(refreshed.expires_in).toBe(43_200);
    await expect(client().oauth.v2.access(refresh)).rejects.toMatchObject({ data: { error: "invalid_refresh_token" } });
    // Revoked: its tokens stop working.
    fake.oauth.revoke("E0ORG");
    await expect(new WebClient(String(refreshed.access_token), { slackApiUrl: fake.url, retryConfig: { retries: 0 } }).auth.test()).rejects.toMatchObject({
      data: { error: "token_revoked" },
    });
  });
});
