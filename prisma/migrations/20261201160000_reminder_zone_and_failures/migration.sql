-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "expiryTimeZone" TEXT;

-- AlterTable
ALTER TABLE "IntegrationConfig" ADD COLUMN     "expiryTimeZone" TEXT;

-- AlterTable
ALTER TABLE "ReminderDelivery" ADD COLUMN     "firstFailedAt" TIMESTAMPTZ(3);

-- Rows from before this migration are planned again on the next pass, so that one created with its
-- expiry already inside a reminder window gets the reminder it missed (the ledger refuses duplicates).
UPDATE "ApiKey" SET "nextReminderAt" = now() WHERE "nextReminderAt" > now() AND "deletedAt" IS NULL;
UPDATE "IntegrationConfig" SET "nextReminderAt" = now() WHERE "nextReminderAt" > now();
