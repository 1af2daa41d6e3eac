import type { Clock } from "../domain/runtime.ts";

type Window = { start: number; failures: number };

/**
 * Counts failed authentications per client (an IPv4 address or an IPv6 /64; see client-address.ts):
 * after `limit` failures within a minute, that client's further failures are answered 429 with
 * Retry-After until the minute is over. Only failures are counted and only failures are refused,
 * so a valid key is always served, whoever else shares its address. In memory, per instance.
 *
 * Windows live in two generations, rotated every window (so a rotation never drops a window that
 * is still running) and whenever the current one holds half of `maxClients`: a flood of distinct
 * addresses then pushes out the oldest half, not everyone's counts, and memory stays bounded
 * without ever walking the maps (deleting from the head of a Map makes later iteration slow).
 */
export class AuthFailureLimiter {
  private current = new Map<string, Window>();
  private previous = new Map<string, Window>();
  private rotatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxClients = 100_000,
  ) {
    this.rotatedAt = clock.now().getTime();
  }

  /**
   * Records a failed authentication. Answers the seconds to wait when the client had already
   * used up its failures this window (the request gets 429), or 0 (the request gets 401).
   */
  recordFailure(client: string): number {
    const now = this.clock.now().getTime();
    if (now - this.rotatedAt >= this.windowMs) this.rotate(now);
    const stored = this.current.get(client) ?? this.previous.get(client);
    const window = stored && stored.start + this.windowMs > now ? stored : { start: now, failures: 0 };
    if (window.failures >= this.limit) return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    window.failures++;
    if (window !== this.current.get(client)) {
      // New, renewed, or from the previous generation: a client still failing is kept current.
      this.current.delete(client);
      this.previous.delete(client);
      if (this.current.size >= this.maxClients / 2) this.rotate(now);
      this.current.set(client, window);
    }
    return 0;
  }

  /** How many clients are being counted (for tests of the memory bound). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private rotate(now: number): void {
    this.previous = this.current;
    this.current = new Map();
    this.rotatedAt = now;
  }
}
