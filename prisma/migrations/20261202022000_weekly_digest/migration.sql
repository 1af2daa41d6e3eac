-- The weekly hygiene digest (issue 15): where and when a workspace gets it, and a ledger of the
-- digests claimed and posted, one per workspace and ISO week.
ALTER TABLE "Workspace" ADD COLUMN "digestChannel" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "digestWeekday" INTEGER;
ALTER TABLE "Workspace" ADD COLUMN "digestHour" INTEGER;
ALTER TABLE "Workspace" ADD COLUMN "digestTimeZone" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "digestAppId" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "digestNextAt" TIMESTAMPTZ(3);

CREATE TABLE "DigestDelivery" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "week" TEXT NOT NULL,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedBy" TEXT,
    "claimedAt" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "channel" TEXT,
    "messageTs" TEXT,
    "lastError" TEXT,

    CONSTRAINT "DigestDelivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "DigestDelivery_workspaceId_week_key" ON "DigestDelivery"("workspaceId", "week");
CREATE INDEX "DigestDelivery_status_claimedAt_idx" ON "DigestDelivery"("status", "claimedAt");

ALTER TABLE "DigestDelivery" ADD CONSTRAINT "DigestDelivery_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE INDEX "Workspace_digestNextAt_idx" ON "Workspace"("digestNextAt");
