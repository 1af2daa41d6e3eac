import { describe, expect, it } from "vitest";
import { AuthFailureLimiter } from "../../src/api/auth-failure-limiter.ts";
import { ManualClock } from "../support/fixed-runtime.ts";

describe("AuthFailureLimiter", () => {
  it("lets `limit` failures through, then answers the seconds left in the minute", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 3);
    expect([1, 2, 3].map(() => limiter.recordFailure("198.51.100.4"))).toEqual([0, 0, 0]);
    expect(limiter.recordFailure("198.51.100.4")).toBe(60);
    clock.advance(45_500);
    expect(limiter.recordFailure("198.51.100.4")).toBe(15);
    // Other clients are not affected.
    expect(limiter.recordFailure("198.51.100.5")).toBe(0);
  });

  it("starts a fresh minute when the window is over", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 2);
    limiter.recordFailure("a");
    limiter.recordFailure("a");
    expect(limiter.recordFailure("a")).toBeGreaterThan(0);
    clock.advance(60_000);
    expect(limiter.recordFailure("a")).toBe(0);
    expect(limiter.recordFailure("a")).toBe(0);
    expect(limiter.recordFailure("a")).toBe(60);
  });

  it("stays bounded under a flood of distinct clients, evicting the oldest rather than everyone", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 1, 60_000, 1000);
    limiter.recordFailure("attacker");
    clock.advance(1);
    limiter.recordFailure("second");
    clock.advance(1);
    for (let i = 0; i < 5000; i++) {
      limiter.recordFailure(`flood-${i}`);
      expect(limiter.size).toBeLessThanOrEqual(1000);
    }
    // The 999 newest clients are still counted; only the oldest were evicted.
    expect(limiter.recordFailure("flood-4999")).toBeGreaterThan(0);
    expect(limiter.recordFailure("flood-4001")).toBeGreaterThan(0);
    expect(limiter.size).toBe(1000);
  });

  it("forgets expired windows, so memory follows the last minute's failures", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 5);
    for (let i = 0; i < 500; i++) limiter.recordFailure(`client-${i}`);
    expect(limiter.size).toBe(500);
    clock.advance(60_000);
    limiter.recordFailure("late");
    expect(limiter.size).toBe(1);
  });
});
