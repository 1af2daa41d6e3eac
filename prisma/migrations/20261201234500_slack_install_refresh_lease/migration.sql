-- OAuth installs: when the workspace was last installed through OAuth (an install or reinstall, not
-- a token refresh), so that a late or retried app_uninstalled / tokens_revoked older than it is
-- ignored; and a lease on the row while one instance spends its single-use refresh token.
ALTER TABLE "SlackInstall" ADD COLUMN "lastInstalledAt" TIMESTAMPTZ(3);
UPDATE "SlackInstall" SET "lastInstalledAt" = "installedAt";
ALTER TABLE "SlackInstall" ALTER COLUMN "lastInstalledAt" SET NOT NULL;
ALTER TABLE "SlackInstall" ADD COLUMN "refreshHolder" TEXT;
ALTER TABLE "SlackInstall" ADD COLUMN "refreshUntil" TIMESTAMPTZ(3);
