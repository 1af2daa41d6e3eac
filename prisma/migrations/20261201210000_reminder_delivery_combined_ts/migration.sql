-- AlterTable: several reminders due in one channel are posted as one message (issue 13). Its ts is
-- kept here rather than in "messageTs": a release before this one (a rollback, or the other half of
-- a rolling deploy) rewrites a "messageTs" message whole after a rotation, snooze or deletion, which
-- would wipe the other configurations' parts; it leaves these rows alone instead.
ALTER TABLE "ReminderDelivery" ADD COLUMN "combinedTs" TEXT;

-- CreateTable: who is rewriting a combined message now (a lease; see ReminderMessageLock in schema.prisma).
CREATE TABLE "ReminderMessageLock" (
    "workspaceId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "ts" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "until" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ReminderMessageLock_pkey" PRIMARY KEY ("workspaceId","channel","ts")
);
