import { createPrismaStore } from "../src/db/prisma-store.ts";
import { ReminderService } from "../src/domain/reminder-service.ts";
import type { ReminderNotifier } from "../src/domain/reminder-types.ts";
import { createTestDatabase } from "../test/support/test-database.ts";
import { ManualClock } from "../test/support/fixed-runtime.ts";
import { round } from "./stats.ts";

const days = [30, 14, 7, 3, 1, 0];
const now = new Date("2027-01-15T12:00:00Z");

/**
 * One reminder pass over `rows` configurations of which `due` are due, beside a pass with none
 * due, on a freshly filled database. Slack is replaced by a notifier that answers at once, so
 * the figures are the pass's own cost (query, claim, ledger).
 */
export async function benchReminderPass(rows: number, due: number, kind: "pglite" | "postgres" = "pglite") {
  const db = await createTestDatabase(kind);
  try {
    await db.sql.exec(`INSERT INTO "Workspace" (id) VALUES ('TBENCH')`);
    // Not due: expiries a year out. Due: expiring in 6 days (the 7-day threshold).
    await db.sql.query(
      `INSERT INTO "IntegrationConfig" (id, "workspaceId", integration, alias, ciphertext, "keyVersion", last4, "expiresAt", "reminderChannel", "createdBy", "createdAt", "nextReminderAt")
       SELECT lpad(g::text, 12, '0'), 'TBENCH', 'github', 'alias-' || g, 'x', 1, 'abcd',
              CASE WHEN g <= $2 THEN $1::timestamptz + interval '6 days' ELSE $1::timestamptz + interval '365 days' END,
              'C0BENCH', 'UBENCH', $1::timestamptz,
              CASE WHEN g <= $2 THEN $1::timestamptz - interval '1 hour' ELSE $1::timestamptz + interval '300 days' END
         FROM generate_series(1, $3) AS g`,
      [now.toISOString(), due, rows],
    );
    await db.sql.exec(`ANALYZE "IntegrationConfig"`);
    let delivered = 0;
    const notifier: ReminderNotifier = {
      deliver: async (claim) => {
        delivered++;
        return { status: "sent", channel: "C0BENCH", ts: claim.deliveryId };
      },
    };
    const service = new ReminderService({ store: createPrismaStore(db.prisma), reminderNotifier: notifier, clock: new ManualClock(now), reminderDays: days });
    const start = performance.now();
    const report = await service.runPass();
    const withDue = performance.now() - start;
    const again = performance.now();
    await service.runPass(); // same rows, now none due
    const noneDue = performance.now() - again;
    if (delivered !== due) throw new Error(`expected ${due} reminders, got ${delivered}`);
    return { rows, due, database: kind, passWithDueMs: round(withDue, 1), passNoneDueMs: round(noneDue, 1), claimed: report.claimed };
  } finally {
    await db.close();
  }
}
