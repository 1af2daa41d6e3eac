-- Leak response (issue 15): where leaks are reported (`/keys security #channel`; null: nowhere but
-- the thread and the creator's DM) and whether a leaked key is revoked or only reported.
ALTER TABLE "Workspace" ADD COLUMN "securityChannel" TEXT;
ALTER TABLE "Workspace" ADD COLUMN "leakMode" TEXT NOT NULL DEFAULT 'revoke';
