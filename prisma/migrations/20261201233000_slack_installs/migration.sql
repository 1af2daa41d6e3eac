-- OAuth installs (SLACK_CLIENT_ID/SECRET/STATE_SECRET): one row per installed workspace, its tokens
-- sealed with the key ring; and a workspace's pause while it is uninstalled (its reminders wait).
ALTER TABLE "Workspace" ADD COLUMN "slackPausedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "SlackInstall" (
    "workspaceId" TEXT NOT NULL,
    "teamId" TEXT,
    "enterpriseId" TEXT,
    "isEnterpriseInstall" BOOLEAN NOT NULL,
    "appId" TEXT,
    "botId" TEXT,
    "botUserId" TEXT,
    "installerUserId" TEXT,
    "details" JSONB NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "keyVersion" INTEGER NOT NULL,
    "binding" INTEGER NOT NULL,
    "botExpiresAt" TIMESTAMPTZ(3),
    "installedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlackInstall_pkey" PRIMARY KEY ("workspaceId")
);

-- CreateIndex
CREATE INDEX "SlackInstall_enterpriseId_idx" ON "SlackInstall"("enterpriseId");
