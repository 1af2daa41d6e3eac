-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "nextReminderAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "IntegrationConfig" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "integration" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "last4" TEXT NOT NULL,
    "isDefault" BOOLEAN,
    "expiresAt" TIMESTAMPTZ(3),
    "reminderChannel" TEXT,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "rotatedAt" TIMESTAMPTZ(3),
    "rotatedBy" TEXT,
    "nextReminderAt" TIMESTAMPTZ(3),

    CONSTRAINT "IntegrationConfig_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReminderDelivery" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "threshold" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedBy" TEXT,
    "claimedAt" TIMESTAMPTZ(3) NOT NULL,
    "sentAt" TIMESTAMPTZ(3),
    "channel" TEXT,
    "messageTs" TEXT,
    "lastError" TEXT,

    CONSTRAINT "ReminderDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ApiKey_nextReminderAt_idx" ON "ApiKey"("nextReminderAt");

-- CreateIndex
CREATE INDEX "IntegrationConfig_workspaceId_id_idx" ON "IntegrationConfig"("workspaceId", "id");

-- CreateIndex
CREATE INDEX "IntegrationConfig_nextReminderAt_idx" ON "IntegrationConfig"("nextReminderAt");

-- CreateIndex
CREATE INDEX "IntegrationConfig_keyVersion_idx" ON "IntegrationConfig"("keyVersion");

-- CreateIndex
CREATE UNIQUE INDEX "IntegrationConfig_workspaceId_integration_alias_key" ON "IntegrationConfig"("workspaceId", "integration", "alias");

-- CreateIndex
CREATE UNIQUE INDEX "IntegrationConfig_workspaceId_integration_isDefault_key" ON "IntegrationConfig"("workspaceId", "integration", "isDefault");

-- CreateIndex
CREATE INDEX "ReminderDelivery_status_claimedAt_idx" ON "ReminderDelivery"("status", "claimedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReminderDelivery_subjectType_subjectId_expiresAt_threshold_key" ON "ReminderDelivery"("subjectType", "subjectId", "expiresAt", "threshold");

-- AddForeignKey
ALTER TABLE "IntegrationConfig" ADD CONSTRAINT "IntegrationConfig_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReminderDelivery" ADD CONSTRAINT "ReminderDelivery_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
