import type { KeyRowView } from "../../src/slack/views/view-models.ts";

/**
 * A key row at Slack's extremes (a 61-character name, a 500-character description, a 40-character
 * role), working and never used. Each builder test overrides only what it is about.
 */
export function longKeyRow(i: number, overrides: Partial<KeyRowView> = {}): KeyRowView {
  return {
    id: `0190a000-0000-7000-8000-${String(i).padStart(12, "0")}`,
    name: `${"W".repeat(60)}${i}`,
    description: "d".repeat(500),
    kind: "service",
    roleName: "R".repeat(40),
    last4: "abcd",
    createdBy: "U0123456789",
    expiresAt: new Date("2027-01-01T00:00:00Z"),
    lastUsedAt: null,
    expired: false,
    rolled: false,
    canChange: true,
    ...overrides,
  };
}
