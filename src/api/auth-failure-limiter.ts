import type { Clock } from "../domain/runtime.ts";

/**
 * Counts failed authentications per client (an IPv4 address or an IPv6 /64; see client-address.ts):
 * after `limit` failures within a minute, that client's further failures are answered 429 with
 * Retry-After until the minute is over. Only failures are counted and only failures are refused,
 * so a valid key is always served, whoever else shares its address. In memory, per instance.
 */
export class AuthFailureLimiter {
  // Insertion order is window-start order (an expired window is deleted before a new one is set),
  // so the first entry is always the oldest: that is the one to expire or evict.
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxClients = 100_000,
  ) {}

  /**
   * Records a failed authentication. Answers the seconds to wait when the client had already
   * used up its failures this window (the request gets 429), or 0 (the request gets 401).
   */
  recordFailure(client: string): number {
    const now = this.clock.now().getTime();
    this.dropExpired(now);
    const window = this.windows.get(client);
    if (window && window.failures >= this.limit) return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    if (window) {
      window.failures++;
      return 0;
    }
    // A flood of distinct addresses evicts the oldest windows, not everyone's counts at once.
    if (this.windows.size >= this.maxClients) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { start: now, failures: 1 });
    return 0;
  }

  /** How many clients are being counted (for tests of the memory bound). */
  get size(): number {
    return this.windows.size;
  }

  private dropExpired(now: number): void {
    for (const [client, window] of this.windows) {
      if (window.start + this.windowMs > now) return;
      this.windows.delete(client);
    }
  }
}
