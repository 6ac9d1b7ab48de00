-- Security review (issue 11).

-- ID numbers are masked as the province and city and the last two characters
-- (`3101************51`): the old form (`310117********6951`) hid exactly the birth date,
-- which was shown beside it. Recomputed from the old masked form, which holds every
-- character the new one keeps.
UPDATE residents SET id_number_masked = substr(id_number_masked, 1, 4) || '************' || substr(id_number_masked, 17, 2)
    WHERE id_number_masked IS NOT NULL AND length(id_number_masked) = 18;
UPDATE owners SET id_number_masked = substr(id_number_masked, 1, 4) || '************' || substr(id_number_masked, 17, 2)
    WHERE id_number_masked IS NOT NULL AND length(id_number_masked) = 18;

-- A step's note is internal unless its author makes it public; a comment a client
-- application posts through Open311 is public by nature.
ALTER TABLE case_events ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
-- Comments that client applications posted through Open311 were public: they stay so.
-- (The timeline is append-only; this one backfill lifts the guard and puts it back.)
DROP TRIGGER case_events_no_update;
UPDATE case_events SET public = TRUE WHERE kind = 'comment';
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;

-- What a report with an idempotency key said, so that the same key with another body is
-- refused instead of answered with the first case.
ALTER TABLE cases ADD COLUMN request_digest TEXT;
