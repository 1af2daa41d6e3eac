-- AlterTable
ALTER TABLE "ReminderDelivery" ADD COLUMN     "settledAt" TIMESTAMPTZ(3);
