-- AlterTable: a roll gives the replacement an expiry of its own, so the old key's expiry from before
-- the roll is kept on it, to be given back if the replacement's secret reached nobody (rule 4).
ALTER TABLE "ApiKey" ADD COLUMN     "expiresAtBeforeRoll" TIMESTAMPTZ(3);

-- Keys rolled before this migration: their replacement was given a copy of their expiry.
UPDATE "ApiKey" AS o SET "expiresAtBeforeRoll" = n."expiresAt"
  FROM "ApiKey" AS n
 WHERE o."replacedBy" = n.id AND o."workspaceId" = n."workspaceId";
