-- Key requests (issue 14): a person asks for a key, an approver decides once. The approvals channel
-- is the workspace's; without one, requests go by DM to the Admins.
ALTER TABLE "Workspace" ADD COLUMN "approvalsChannel" TEXT;

CREATE TABLE "KeyRequest" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "roleId" TEXT NOT NULL,
    "roleName" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "kind" "ApiKeyKind" NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "expiryTimeZone" TEXT,
    "reason" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "channelId" TEXT,
    "status" TEXT NOT NULL,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMPTZ(3),
    "denyReason" TEXT,
    "keyId" TEXT,
    "messages" JSONB NOT NULL DEFAULT '[]',
    "messagesStale" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "lapsesAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "KeyRequest_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "KeyRequest_workspaceId_id_idx" ON "KeyRequest"("workspaceId", "id");
CREATE INDEX "KeyRequest_status_lapsesAt_idx" ON "KeyRequest"("status", "lapsesAt");
CREATE INDEX "KeyRequest_messagesStale_idx" ON "KeyRequest"("messagesStale");

ALTER TABLE "KeyRequest" ADD CONSTRAINT "KeyRequest_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
