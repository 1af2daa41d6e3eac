import type { IncomingMessage } from "node:http";
import type { Clock } from "../domain/runtime.ts";
import { AuthFailureLimiter } from "./auth-failure-limiter.ts";
import { type AddressRange, clientAddress, limiterKey, TrustedProxies } from "./client-address.ts";

/**
 * Failed authentications by client address (behind TRUST_PROXY, the client its proxies name), for
 * every endpoint that takes a credential: `/api/v1` (a key) and `/gitlab/v1` (the pre-shared
 * token). One instance serves both, so a client guessing at both has one budget,
 * API_AUTH_FAILURES_PER_MINUTE, not one per endpoint. Only failures are counted and refused.
 */
export class FailedAuthentications {
  private readonly limiter: AuthFailureLimiter;
  private readonly proxies: TrustedProxies;

  constructor(clock: Clock, perMinute: number, trustProxy: readonly AddressRange[]) {
    this.limiter = new AuthFailureLimiter(clock, perMinute);
    this.proxies = new TrustedProxies(trustProxy);
  }

  /** Counts a failed authentication of `req`'s client: the seconds it must wait (answer 429), or 0 (answer 401). */
  record(req: IncomingMessage): number {
    const client = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], this.proxies) ?? "unknown";
    return this.limiter.recordFailure(limiterKey(client));
  }
}
