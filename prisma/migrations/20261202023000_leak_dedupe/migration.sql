-- Leaks answered once per key and place (review 4 of issue 15): in alert only mode a leaked key stays
-- live, so Slack redelivering an event, an edit of the message or a scanner's repeated report would
-- find it again. The first sighting of a (key, place) is audited and announced; later ones are not.
CREATE TABLE "LeakSighting" (
    "keyId" TEXT NOT NULL,
    "place" TEXT NOT NULL,
    "seenAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "LeakSighting_pkey" PRIMARY KEY ("keyId","place")
);

ALTER TABLE "LeakSighting" ADD CONSTRAINT "LeakSighting_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;
