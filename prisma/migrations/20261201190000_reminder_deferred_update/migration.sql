-- AlterTable
ALTER TABLE "ReminderDelivery" ADD COLUMN     "deferredUpdate" JSONB;
