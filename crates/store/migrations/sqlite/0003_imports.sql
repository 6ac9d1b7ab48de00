-- Checked imports waiting for their commit: the file is kept sealed (it holds personal
-- data) until the person who checked it commits or it expires.
CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    content_enc TEXT NOT NULL,
    rows INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX import_batches_community ON import_batches (community_id);
