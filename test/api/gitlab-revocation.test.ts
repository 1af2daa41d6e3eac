import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { parseAddressRange } from "../../src/api/client-address.ts";
import { afterEach, describe, expect, it } from "vitest";
import { createApiHandler } from "../../src/api/api-handler.ts";
import { FailedAuthentications } from "../../src/api/failed-authentications.ts";
import { DomainError } from "../../src/domain/errors.ts";
import { createGitlabHandler, gitlabLimits } from "../../src/api/gitlab-handler.ts";
import type { DomainServices } from "../../src/domain/index.ts";
import type { LeakReport, LeakService } from "../../src/domain/leak-service.ts";
import { maxRevokeBatch } from "../../src/domain/schemas.ts";
import { systemClock } from "../../src/domain/runtime.ts";
import { createLogger } from "../../src/logger.ts";
import { ManualClock } from "../support/fixed-runtime.ts";

const token = "pre-shared-0123456789abcdef";
const type = "gitleaks_rule_id_keyward_api_key";
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** The handler alone on a port of its own, with a leak service that records what it was asked and may be held up. */
async function serve(options: { token?: string; respond?: () => Promise<null>; clock?: ManualClock; failedAuth?: FailedAuthentications } = {}) {
  const clock = options.clock ?? new ManualClock(new Date("2026-12-02T12:00:00Z"));
  const failedAuth = options.failedAuth ?? new FailedAuthentications(clock, 20, []);
  const asked: string[] = [];
  const leaks = {
    respond: async (secret: string) => {
      asked.push(secret);
      return options.respond ? options.respond() : null;
    },
  } as unknown as LeakService;
  const handler = createGitlabHandler({
    services: { leaks },
    clock,
    logger: createLogger("silent"),
    token: "token" in options ? options.token : token,
    failedAuth,
  });
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitlab/v1`;
  const revoke = (body: unknown, headers: Record<string, string> = { authorization: token }) =>
    fetch(`${url}/revoke_tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { url, clock, asked, revoke };
}

describe("GitLab's Token Revocation API", () => {
  it("is off (404 on every path) without GITLAB_REVOCATION_TOKEN", async () => {
    const { url, revoke, asked } = await serve({ token: undefined });
    expect((await fetch(`${url}/revocable_token_types`)).status).toBe(404);
    expect((await fetch(`${url}/revocable_token_types`, { headers: { authorization: "" } })).status).toBe(404);
    expect((await revoke([{ type, token: "kw_x" }])).status).toBe(404);
    expect(asked).toEqual([]);
  });

  it("answers 204 for findings it takes (unknown tokens included), 400 for bodies GitLab's docs call invalid", async () => {
    const { revoke, asked } = await serve();
    expect((await revoke([])).status).toBe(204);
    expect(
      (
        await revoke([
          { type, token: "kw_unknown", location: "https://x/y" },
          { type, token: "other" },
        ])
      ).status,
    ).toBe(204);
    expect(asked).toEqual(["kw_unknown", "other"]);
    for (const body of ["", "nope", "{}", "null", [{ type }], [{ type, token: 5 }], [{ type: "gitleaks_rule_id_other", token: "t" }]]) {
      const answer = await revoke(body);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("malformed_request");
    }
    const tooMany = Array.from({ length: maxRevokeBatch + 1 }, () => ({ type, token: "t" }));
    expect((await revoke(tooMany)).status).toBe(400);
    expect(asked).toHaveLength(2);
  });

  it("refuses a missing, wrong or decorated token with 401 before reading anything", async () => {
    const { url, revoke, asked } = await serve();
    for (const headers of [{} as Record<string, string>, { authorization: "x" }, { authorization: `Bearer ${token}` }, { authorization: token.slice(0, -1) }]) {
      expect((await revoke([{ type, token: "t" }], headers)).status).toBe(401);
      expect((await fetch(`${url}/revocable_token_types`, { headers })).status).toBe(401);
    }
    expect(asked).toEqual([]);
  });

  it("answers 429 with Retry-After past the failed authentications a client may make, and still serves the right token", async () => {
    // Behind a trusted proxy (loopback here), X-Forwarded-For names the client.
    const clock = new ManualClock(new Date("2026-12-02T12:00:00Z"));
    const { url, revoke, asked } = await serve({ clock, failedAuth: new FailedAuthentications(clock, 3, [parseAddressRange("127.0.0.1")!]) });
    const from = (client: string, authorization: string) => ({ authorization, "x-forwarded-for": client });
    const attacker = "198.51.100.7";
    for (let i = 0; i < 3; i++) expect((await revoke([{ type, token: "t" }], from(attacker, "wrong"))).status).toBe(401);
    const refused = await revoke([{ type, token: "t" }], from(attacker, "wrong"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    expect((await fetch(`${url}/revocable_token_types`, { headers: from(attacker, "") })).status).toBe(429);
    expect(asked).toEqual([]);
    // Only failures are refused: GitLab with the right token is served, from another address or the same one.
    expect((await revoke([{ type, token: "kw_a" }], from("203.0.113.9", token))).status).toBe(204);
    expect((await revoke([{ type, token: "kw_b" }], from(attacker, token))).status).toBe(204);
    expect(asked).toEqual(["kw_a", "kw_b"]);
    // Another client's failures are its own; the attacker's count ends with its minute.
    expect((await revoke([], from("203.0.113.9", "wrong"))).status).toBe(401);
    clock.advance(60_000);
    expect((await revoke([], from(attacker, "wrong"))).status).toBe(401);
  });

  it("counts wrong tokens together with the REST API's failed authentications (one budget a client)", async () => {
    const clock = new ManualClock(new Date("2026-12-02T12:00:00Z"));
    const failedAuth = new FailedAuthentications(clock, 2, []);
    const { revoke } = await serve({ clock, failedAuth });
    const api = createServer(createApiHandler({ services: {} as DomainServices, logger: createLogger("silent"), failedAuth }));
    servers.push(api);
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const roles = () => fetch(`http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v1/roles`).then((r) => r.status);
    expect([await roles(), await roles()]).toEqual([401, 401]);
    expect((await revoke([], { authorization: "wrong" })).status).toBe(429);
    expect((await revoke([], { authorization: token })).status).toBe(204);
  });

  it("answers 429 with Retry-After past the requests in flight at once, and past the requests a minute", async () => {
    let release: () => void = () => {};
    const held = new Promise<null>((resolve) => {
      release = () => resolve(null);
    });
    const { revoke, clock, asked } = await serve({ respond: () => held });
    const slow = Array.from({ length: gitlabLimits.inFlight }, () => revoke([{ type, token: "t" }]));
    while (asked.length < gitlabLimits.inFlight) await new Promise((resolve) => setTimeout(resolve, 5));
    const refused = await revoke([{ type, token: "t" }]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    release();
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual(Array(gitlabLimits.inFlight).fill(204));
    for (let i = gitlabLimits.inFlight; i < gitlabLimits.perMinute; i++) expect((await revoke([])).status).toBe(204);
    const throttled = await revoke([]);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    clock.advance(60_000);
    expect((await revoke([])).status).toBe(204);
  });
});

/** Review 4 of issue 15: the handler against a leak service that answers as each test says. */
describe("GitLab revocation after review 4", () => {
  const report = { workspaceId: "T1", key: { id: "k1" }, revoked: true } as unknown as LeakReport;

  async function serveWith(respond: (secret: string, n: number) => Promise<LeakReport | null>, bodyTimeoutMs?: number) {
    const asked: string[] = [];
    const announced: LeakReport[] = [];
    const leaks = {
      respond: async (secret: string) => {
        asked.push(secret);
        return respond(secret, asked.length);
      },
    } as unknown as LeakService;
    const handler = createGitlabHandler({
      services: { leaks },
      clock: new ManualClock(new Date("2026-12-02T12:00:00Z")),
      logger: createLogger("silent"),
      token,
      failedAuth: new FailedAuthentications(systemClock, 20, []),
      announce: async (r) => void announced.push(r),
      ...(bodyTimeoutMs ? { bodyTimeoutMs } : {}),
    });
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/gitlab/v1/revoke_tokens`;
    const revoke = (body: unknown) =>
      fetch(url, { method: "POST", headers: { authorization: token, "content-type": "application/json" }, body: JSON.stringify(body) });
    return { asked, announced, revoke, port };
  }

  it("still tells the creator about a key it revoked when a later finding of the same request fails", async () => {
    const { announced, revoke } = await serveWith(async (_s, n) => {
      if (n === 1) return report; // revoked and committed
      throw new Error("connection terminated"); // a database hiccup on the next finding
    });
    const answer = await revoke([
      { type, token: "kw_first", location: "a" },
      { type, token: "kw_second", location: "b" },
    ]);
    expect(answer.status).toBe(500); // GitLab retries; the first key is already revoked, so the retry finds nothing to announce
    await new Promise((r) => setTimeout(r, 50));
    expect(announced).toEqual([report]);
  });

  it("answers every finding even when an earlier one fails, then 500 (GitLab retries the batch)", async () => {
    const { asked, announced, revoke } = await serveWith(async (secret) => {
      if (secret === "kw_first") throw new Error("invalid byte sequence for encoding");
      return report;
    });
    const answer = await revoke([
      { type, token: "kw_first", location: "a" },
      { type, token: "kw_second", location: "b" },
    ]);
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "internal", message: /^1 of 2 findings/ });
    expect(asked).toEqual(["kw_first", "kw_second"]);
    expect(announced).toEqual([report]); // announce() is called before the answer is sent
  });

  it("answers 503 with Retry-After when the database is away for every finding that failed (as REST does), not 500", async () => {
    const { asked, revoke } = await serveWith(async (secret) => {
      if (secret === "kw_second") return null;
      throw new DomainError("unavailable", "The database is unavailable.");
    });
    const answer = await revoke([
      { type, token: "kw_first", location: "a" },
      { type, token: "kw_second", location: "b" },
      { type, token: "kw_third", location: "c" },
    ]);
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("30");
    expect(((await answer.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "unavailable", message: /^2 of 3 findings/ });
    expect(asked).toEqual(["kw_first", "kw_second", "kw_third"]);
  });

  it("looks a token repeated in one request up once (1000 copies cost one look-up, not 1000)", async () => {
    const { asked, revoke } = await serveWith(async () => null);
    const answer = await revoke(Array.from({ length: 1000 }, () => ({ type, token: "kw_same", location: "x" })));
    expect(answer.status).toBe(204);
    expect(asked).toHaveLength(1);
  });

  it("answers a body dribbled in slower than its timeout with 400, closes the connection, and frees the slot", async () => {
    const { asked, port, revoke } = await serveWith(async () => null, 200);
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk) => received.push(chunk));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write(
      `POST /gitlab/v1/revoke_tokens HTTP/1.1\r\nhost: x\r\nauthorization: ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[`,
    );
    await closed;
    expect(Buffer.concat(received).toString("latin1")).toMatch(/^HTTP\/1\.1 400/);
    expect(asked).toEqual([]);
    for (let i = 0; i < gitlabLimits.inFlight + 1; i++) expect((await revoke([])).status).toBe(204);
  });
});
