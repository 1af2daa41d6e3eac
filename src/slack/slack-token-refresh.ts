// Token rotation (OAuth installs): the refresh itself, done here rather than through Bolt's
// installer, whose client retries and whose store call is an upsert (see SlackInstallService.refresh).
import type { FetchFunction } from "@slack/web-api";
import { type SlackTokenRefresh, TokenRefreshError } from "../domain/slack-install-service.ts";
import { boltLogger, type Logger } from "../logger.ts";
import { errorCode } from "./slack-api-errors.ts";

/**
 * oauth.v2.access with grant_type refresh_token, on a client that never retries: the refresh token
 * is single-use, so a second attempt after a timeout would only get invalid_refresh_token.
 */
export async function createSlackTokenRefresh(
  credentials: { clientId: string; clientSecret: string },
  apiUrl: string,
  logger: Logger,
  fetch?: FetchFunction,
): Promise<SlackTokenRefresh> {
  const { WebClient } = await import("@slack/web-api");
  const client = new WebClient(undefined, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: 10_000, logger: boltLogger(logger), fetch });
  return async (refreshToken) => {
    try {
      const answer = await client.oauth.v2.access({
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
        grant_type: "refresh_token",
        refresh_token: refreshToken,
      });
      if (!answer.access_token || !answer.refresh_token) throw new Error("oauth.v2.access answered without a token");
      return { botToken: answer.access_token, refreshToken: answer.refresh_token, expiresInSeconds: answer.expires_in ?? null };
    } catch (error) {
      // The error's code only: never the request, which carries the refresh token and client secret.
      const code = errorCode(error);
      logger.warn({ code }, "could not refresh a Slack bot token");
      throw new TokenRefreshError(code);
    }
  };
}
