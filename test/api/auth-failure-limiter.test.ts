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
    // At least the newest half are still counted; only the oldest were evicted.
    for (let i = 4500; i < 5000; i++) expect(limiter.recordFailure(`flood-${i}`)).toBeGreaterThan(0);
    expect(limiter.recordFailure("attacker")).toBe(0);
  });

  it("keeps a client that goes on failing through a flood of others", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 100, 60_000, 1000);
    for (let i = 0; i < 5000; i++) {
      if (i % 200 === 0) limiter.recordFailure("persistent");
      limiter.recordFailure(`flood-${i}`);
    }
    expect(limiter.size).toBeLessThanOrEqual(1000);
    // 25 failures recorded, none forgotten: 75 more are allowed, then 429.
    for (let i = 0; i < 75; i++) expect(limiter.recordFailure("persistent")).toBe(0);
    expect(limiter.recordFailure("persistent")).toBeGreaterThan(0);
  });

  it("renews a window that is over even while the client is still stored", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 1);
    limiter.recordFailure("a");
    clock.advance(30_000);
    limiter.recordFailure("b");
    clock.advance(30_000);
    // Rotated at 60 s; "a" is in the previous generation and its window is over.
    expect(limiter.recordFailure("a")).toBe(0);
    clock.advance(10_000);
    expect(limiter.recordFailure("a")).toBe(50);
    // "b" is in the previous generation too, and its window (from 30 s) is still running.
    expect(limiter.recordFailure("b")).toBe(20);
  });

  it("forgets expired windows within two minutes, so memory follows recent failures", () => {
    const clock = new ManualClock(new Date("2026-12-01T10:00:00Z"));
    const limiter = new AuthFailureLimiter(clock, 5);
    for (let i = 0; i < 500; i++) limiter.recordFailure(`client-${i}`);
    expect(limiter.size).toBe(500);
    clock.advance(60_000);
    limiter.recordFailure("late");
    clock.advance(60_000);
    limiter.recordFailure("later");
    expect(limiter.size).toBe(2);
  });
});
