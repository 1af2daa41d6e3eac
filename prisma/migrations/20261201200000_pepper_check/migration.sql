-- CreateTable: one row per installation (id 1), holding its pepper check (src/domain/pepper-check.ts).
-- No row is inserted here: the row belongs to one installation's pepper, and the install's seed
-- database (scripts/pglite-seed.mjs) is migrated before any pepper exists. keyward writes it at its
-- first open; a database upgraded to this migration gets it the same way.
CREATE TABLE "Installation" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "pepperCheck" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Installation_pkey" PRIMARY KEY ("id")
);
