-- A step sent again with the same Idempotency-Key (a phone on a bad network, a client
-- after a crash) is taken once: the key is kept with the step's timeline event.
ALTER TABLE case_events ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX case_events_idempotency_key ON case_events (case_id, idempotency_key);
