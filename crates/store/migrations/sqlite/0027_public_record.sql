-- 居务公开: the community's public record, read without signing in. Staff enter decisions
-- and their implementation, hearings, consultation outcomes, funds, relief and donations;
-- the owners' assembly's final result is posted by the system. An item is published once
-- and stays: a correction is a new item. Information must be published within a number of
-- working days from when it arose, set per community.
CREATE TABLE public_records (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    arose_on TEXT NOT NULL,
    published_at INTEGER,
    created_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    assembly_id INTEGER REFERENCES assemblies (id)
);
CREATE INDEX public_records_board ON public_records (community_id, published_at);
CREATE UNIQUE INDEX public_records_assembly ON public_records (assembly_id);

ALTER TABLE communities ADD COLUMN publish_within_days INTEGER NOT NULL DEFAULT 20;
