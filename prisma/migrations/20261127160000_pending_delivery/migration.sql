-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "pendingSince" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "ApiKey_pendingSince_idx" ON "ApiKey"("pendingSince");
