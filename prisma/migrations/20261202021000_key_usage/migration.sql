-- Usage at a glance (issue 15 item 4): each key's uses per UTC day, counted in memory and added
-- in batches by every instance (INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count);
-- kept 90 days (the day index serves the periodic delete of older rows).
CREATE TABLE "KeyUsageDay" (
    "workspaceId" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "KeyUsageDay_pkey" PRIMARY KEY ("keyId","day")
);

CREATE INDEX "KeyUsageDay_day_idx" ON "KeyUsageDay"("day");

ALTER TABLE "KeyUsageDay" ADD CONSTRAINT "KeyUsageDay_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "KeyUsageDay" ADD CONSTRAINT "KeyUsageDay_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;
