-- Open311 GeoReport v2: the keys client applications post with, and what a request
-- carries beyond a case (its public token, the reporter's sealed contact, a media link).
CREATE TABLE open311_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- SHA-256 of the key; the key itself is shown once, when it is made.
    key_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

ALTER TABLE cases ADD COLUMN public_token TEXT;
ALTER TABLE cases ADD COLUMN contact_sealed TEXT;
ALTER TABLE cases ADD COLUMN media_url TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN open311_key_id INTEGER REFERENCES open311_keys (id);
CREATE UNIQUE INDEX cases_public_token ON cases (public_token);
-- City-wide windows (Open311 GET requests without a jurisdiction).
CREATE INDEX cases_reported ON cases (reported_at);

-- Requests of a private category (disputes, care) are never listed publicly.
ALTER TABLE case_categories ADD COLUMN public BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE case_categories SET public = FALSE WHERE kind = 'dispute' OR code = '10';
