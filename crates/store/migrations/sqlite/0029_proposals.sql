-- Residents' proposals (居民议事): a resident's topic, supported once by each resident of
-- the community (the primary key of the supports holds that on both backends, however many
-- arrive at once), its threshold fixed when proposed, the community's answer, reports and
-- photos. An accepted proposal becomes an item of the issues ledger.
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    threshold INTEGER NOT NULL,
    supports INTEGER NOT NULL DEFAULT 0,
    answer TEXT NOT NULL DEFAULT '',
    decided_by INTEGER REFERENCES accounts (id),
    decided_at INTEGER,
    reached_at INTEGER,
    ledger_item_id INTEGER REFERENCES ledger_items (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX proposals_community ON proposals (community_id, status);

CREATE TABLE proposal_supports (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, resident_id)
);

CREATE TABLE proposal_reports (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, account_id)
);

CREATE TABLE proposal_photos (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id),
    bytes BLOB NOT NULL,
    thumbnail BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX proposal_photos_proposal ON proposal_photos (proposal_id);

ALTER TABLE communities ADD COLUMN proposal_permille INTEGER NOT NULL DEFAULT 20;
ALTER TABLE notifications ADD COLUMN proposal_id INTEGER REFERENCES proposals (id);
