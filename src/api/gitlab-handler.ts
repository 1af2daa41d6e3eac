// GitLab's Token Revocation API for self-managed instances, under /gitlab/v1 (GitLab's docs:
// development/sec/token_revocation_api): GitLab's secret detection finds a keyward key in a
// repository and hands it here; keyward answers it as it answers a key pasted into Slack.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DomainError } from "../domain/errors.ts";
import type { DomainServices } from "../domain/index.ts";
import type { LeakReport } from "../domain/leak-service.ts";
import type { Clock } from "../domain/runtime.ts";
import { revokeTokensBodySchema } from "../domain/schemas.ts";
import { revocableTokenTypes } from "../domain/secret-scanning.ts";
import type { Logger } from "../logger.ts";
import type { FailedAuthentications } from "./failed-authentications.ts";
import { errorResponse, sendError } from "./http-errors.ts";
import { sendJson } from "./http-json.ts";

export const gitlabPrefix = "/gitlab/v1";

/**
 * GitLab's docs ask for a rate-limited service: past these, 429 (GitLab retries later). At most this
 * many revoke_tokens requests at once, and this many a minute, per instance; a request holds at most
 * maxRevokeBatch findings (schemas.ts) in at most this many bytes (larger: 400, not worth a retry),
 * read within bodyTimeoutMs (a body dribbled in slowly would hold one of the few slots; 400 and the
 * connection closed).
 */
export const gitlabLimits = { inFlight: 4, perMinute: 120, maxBodyBytes: 1024 * 1024, bodyTimeoutMs: 5_000 } as const;

interface GitlabDeps {
  services: Pick<DomainServices, "leaks">;
  clock: Clock;
  logger: Logger;
  /** GITLAB_REVOCATION_TOKEN; undefined: the API is off and every path under /gitlab/v1 is a 404. */
  token: string | undefined;
  /** Wrong tokens per client, counted with the REST API's failed authentications: past the limit, 429. */
  failedAuth: FailedAuthentications;
  /** The creator's DM and the security channel's post, after the answer (absent: no Slack). */
  announce?: (report: LeakReport) => Promise<void>;
  /** Tests: a shorter wait for the body than gitlabLimits.bodyTimeoutMs. */
  bodyTimeoutMs?: number;
}

const types = new Set(revocableTokenTypes);
const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export function createGitlabHandler(deps: GitlabDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = deps.token === undefined ? undefined : digest(deps.token);
  let inFlight = 0;
  let window = { start: 0, count: 0 };

  // Both sides hashed first: equal lengths, so the comparison takes the same time whatever was sent.
  const authorised = (header: string | undefined) => expected !== undefined && header !== undefined && timingSafeEqual(digest(header), expected);

  /** Seconds to wait, or 0 when this request may go ahead (counted). */
  function throttle(): number {
    const now = deps.clock.now().getTime();
    if (now - window.start >= 60_000) window = { start: now, count: 0 };
    if (inFlight >= gitlabLimits.inFlight) return 1;
    if (window.count >= gitlabLimits.perMinute) return Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
    window.count++;
    return 0;
  }

  async function revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const wait = throttle();
    if (wait > 0) {
      res.setHeader("retry-after", String(wait));
      return sendError(res, new DomainError("rate_limited", `Too many revocation requests; try again in ${wait} s.`));
    }
    inFlight++;
    try {
      const findings = uniqueTokens(parseFindings(await readBody(req, deps.bodyTimeoutMs ?? gitlabLimits.bodyTimeoutMs)));
      // Every finding is looked at before the answer: a 204 means each key that was live is revoked now.
      let failed = 0;
      let unavailable = 0;
      for (const [index, finding] of findings.entries()) {
        const outcome = await answer(finding, index);
        if (outcome === "failed") failed++;
        else if (outcome === "unavailable") unavailable++;
      }
      if (failed === 0 && unavailable === 0) return void res.writeHead(204).end();
      if (failed === 0) {
        // The database is away (as REST answers it): 503, one log line, and GitLab's retry finishes the batch.
        deps.logger.warn({ unavailable, findings: findings.length }, "GitLab revocation request: the database is unavailable");
        res.setHeader("retry-after", "30");
        return sendError(
          res,
          new DomainError("unavailable", `${unavailable} of ${findings.length} findings could not be answered: the database is unavailable. Try again later.`),
        );
      }
      failed += unavailable;
      // GitLab retries the whole request; a key revoked this time is no longer live then, so the retry is a no-op for it.
      const failure = errorResponse(new Error("some findings failed")); // a 500 with a reference, as for any unexpected failure
      deps.logger.error({ reference: failure.reference, failed, findings: findings.length }, "GitLab revocation request: some findings failed");
      failure.body.error.message = `${failed} of ${findings.length} findings could not be answered; the others were. Reference ${failure.reference}.`;
      sendJson(res, failure.status, failure.body);
    } finally {
      inFlight--;
    }
  }

  /**
   * One finding, on its own: a failure (a database hiccup, a location the database refused) must
   * not stop the findings after it, or one bad finding would keep every later key of the batch live
   * on every retry. "unavailable": the database is away (logged once by the caller).
   */
  async function answer(finding: { token: string; location?: string | null }, index: number): Promise<"answered" | "unavailable" | "failed"> {
    try {
      const location = finding.location ?? null;
      const report = await deps.services.leaks.respond(finding.token, { source: "api" }, { kind: "scanner", scanner: "gitlab", location });
      // Announced as soon as it is committed: a later finding that fails must not leave this one untold.
      if (report) announce(report);
      return "answered";
    } catch (error) {
      if (error instanceof DomainError && error.code === "unavailable") return "unavailable";
      // Its name and code only: a driver's or Prisma's message may quote the values it was given (the location).
      const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
      deps.logger.error({ finding: index, error: { name: String(name), code: code === undefined ? undefined : String(code) } }, "a GitLab finding failed");
      return "failed";
    }
  }

  function announce(report: LeakReport): void {
    void deps.announce?.(report).catch((error: unknown) => deps.logger.warn({ err: error, keyId: report.key.id }, "could not announce a leak GitLab reported"));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://keyward.invalid").pathname;
    if (expected === undefined) return sendError(res, new DomainError("not_found", "There is nothing here."));
    const method = (req.method ?? "GET").toUpperCase();
    const route = routes[path];
    if (!route) return sendError(res, new DomainError("not_found", "There is no such endpoint."));
    if (!authorised(req.headers.authorization)) {
      const wait = deps.failedAuth.record(req);
      if (wait > 0) {
        res.setHeader("retry-after", String(wait));
        return sendError(res, new DomainError("rate_limited", `Too many failed authentications; try again in ${wait} s.`));
      }
      return sendError(res, new DomainError("unauthenticated", "Send the pre-shared token as the Authorization header."));
    }
    if (method !== route) {
      res.setHeader("allow", route);
      return sendError(res, new DomainError("method_not_allowed", `${method} is not allowed here.`));
    }
    if (path.endsWith("/revocable_token_types")) return sendJson(res, 200, { types: revocableTokenTypes });
    return revoke(req, res);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!(error instanceof DomainError)) deps.logger.error({ err: error }, "GitLab revocation request failed");
      if (error instanceof DomainError && error.details?.closeConnection) res.setHeader("connection", "close");
      if (!res.headersSent) sendError(res, error instanceof DomainError ? new DomainError(error.code, error.message) : error);
    });
  };
}

const routes: Record<string, "GET" | "POST"> = {
  [`${gitlabPrefix}/revocable_token_types`]: "GET",
  [`${gitlabPrefix}/revoke_tokens`]: "POST",
};

/** 400 for anything GitLab's docs call invalid: not JSON, not a list of findings, or a type keyward does not list. */
function parseFindings(body: string): Array<{ type: string; token: string; location?: string | null }> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new DomainError("malformed_request", "The body is not valid JSON.");
  }
  const parsed = revokeTokensBodySchema.safeParse(json);
  if (!parsed.success) throw new DomainError("malformed_request", "The body must be a list of {type, token, location}.");
  const unsupported = parsed.data.find((f) => !types.has(f.type));
  if (unsupported) throw new DomainError("malformed_request", `keyward does not revoke tokens of that type; it lists ${revocableTokenTypes.join(", ")}.`);
  return parsed.data;
}

/** One finding per token, the first one's location kept: a token repeated a thousand times is looked up once. */
function uniqueTokens<T extends { token: string }>(findings: T[]): T[] {
  const seen = new Set<string>();
  return findings.filter((f) => !seen.has(f.token) && Boolean(seen.add(f.token)));
}

function readBody(req: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onError);
    };
    const fail = (error: unknown) => {
      stop();
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > gitlabLimits.maxBodyBytes)
        return fail(new DomainError("malformed_request", `The body is larger than ${gitlabLimits.maxBodyBytes / 1024} KiB.`, { closeConnection: true }));
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = (error: unknown) => fail(error);
    const timer = setTimeout(
      () => fail(new DomainError("malformed_request", `The body did not arrive within ${timeoutMs / 1000} s.`, { closeConnection: true })),
      timeoutMs,
    );
    req.on("data", onData).on("end", onEnd).on("error", onError);
  });
}
