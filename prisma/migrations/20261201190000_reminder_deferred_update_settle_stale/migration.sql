-- AlterTable
ALTER TABLE "ReminderDelivery" ADD COLUMN     "deferredUpdate" JSONB;

-- Reminders posted before the ledger settled anything, about an expiry their subject no longer has
-- (rotated since, or deleted): settled now, so the first change after this deploy does not rewrite
-- months-old messages with facts that were never theirs. (Here rather than in the migration that
-- added settledAt, which some databases have applied already.)
UPDATE "ReminderDelivery" d SET "settledAt" = now()
 WHERE d.status = 'sent' AND d."settledAt" IS NULL
   AND ((d."subjectType" = 'integration' AND NOT EXISTS (SELECT 1 FROM "IntegrationConfig" c WHERE c.id = d."subjectId" AND c."expiresAt" = d."expiresAt"))
     OR (d."subjectType" = 'api_key' AND NOT EXISTS (SELECT 1 FROM "ApiKey" k WHERE k.id = d."subjectId" AND k."expiresAt" = d."expiresAt")));
