-- Leak sightings keyed by a digest of the place (hostile review of issue 15): a scanner's location
-- is text of the scanner's choosing, and as the key of LeakSighting_pkey a long one (2000 CJK
-- characters, ~6000 bytes) exceeded the btree's row size, so the leaked key was never revoked. The
-- place is now the SHA-256 (64 hex digits) of what it was, as leak-service.ts's sightingPlace
-- computes it over the place's UTF-8 bytes, so a place already seen is still recognised.
-- Idempotent: a place that is already a digest is left alone (an old one starts "slack:" or "gitlab:").
UPDATE "LeakSighting"
SET place = encode(sha256(convert_to(place, 'UTF8')), 'hex')
WHERE place !~ '^[0-9a-f]{64}$';
