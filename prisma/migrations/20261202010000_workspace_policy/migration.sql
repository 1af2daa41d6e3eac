-- Workspace policies (issue 14): one row per workspace, absent = no limits and the configured
-- reminder thresholds. Creates and rolls read it under a shared advisory lock of the workspace,
-- policy changes under the exclusive one, so no key beyond a committed policy is made after it.
CREATE TABLE "WorkspacePolicy" (
    "workspaceId" TEXT NOT NULL,
    "maxLifetimeServiceDays" INTEGER,
    "maxLifetimePersonalDays" INTEGER,
    "requireDescription" BOOLEAN NOT NULL DEFAULT false,
    "personalMaxRoleId" TEXT,
    "approvalRoleIds" TEXT[],
    "reminderDays" INTEGER[],
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "WorkspacePolicy_pkey" PRIMARY KEY ("workspaceId")
);

ALTER TABLE "WorkspacePolicy" ADD CONSTRAINT "WorkspacePolicy_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
