-- A request whose approved key was swept (the process died before its delivery was confirmed, rule 4)
-- is marked undelivered by the sweep; its requester and approver are told by the next key-request
-- pass, once (claimed by a conditional update, so two instances do not both tell).
ALTER TABLE "KeyRequest" ADD COLUMN "undeliveredNotice" BOOLEAN NOT NULL DEFAULT false;
