import type { Clock } from "../domain/runtime.ts";

/**
 * Slows repeated failed authentications from one address: after `limit` failures within a
 * minute, requests from it get 429 with Retry-After until the minute is over. Counted per
 * address in memory (per instance); bounded so that many addresses cannot grow it forever.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxAddresses = 100_000,
  ) {}

  /** Seconds to wait, or 0 when the address may try. */
  retryAfter(address: string): number {
    const window = this.current(address);
    if (!window || window.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - this.clock.now().getTime()) / 1000));
  }

  recordFailure(address: string): void {
    const window = this.current(address) ?? { start: this.clock.now().getTime(), failures: 0 };
    window.failures++;
    if (!this.windows.has(address) && this.windows.size >= this.maxAddresses) this.windows.clear();
    this.windows.set(address, window);
  }

  private current(address: string) {
    const window = this.windows.get(address);
    if (window && window.start + this.windowMs <= this.clock.now().getTime()) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}
