-- AlterTable: several reminders due in one channel are posted as one message (issue 13). Its ts is
-- kept here rather than in "messageTs": a release before this one (a rollback, or the other half of
-- a rolling deploy) rewrites a "messageTs" message whole after a rotation, snooze or deletion, which
-- would wipe the other configurations' parts; it leaves these rows alone instead.
ALTER TABLE "ReminderDelivery" ADD COLUMN "combinedTs" TEXT;
