-- AlterTable: rows sealed before this migration are bound to their row id only (binding 1);
-- keyward re-encrypts them with binding 2 (workspace, integration, alias and id) at start-up.
ALTER TABLE "IntegrationConfig" ADD COLUMN     "binding" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex
CREATE INDEX "IntegrationConfig_binding_idx" ON "IntegrationConfig"("binding");
