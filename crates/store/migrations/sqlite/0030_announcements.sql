-- Announcements (通知公告) with read receipts: a notice to a community, some grids, some
-- buildings or some roles, pinned or expiring, marked important or not. Each person it
-- reaches has a receipt: a resident of record in the places it targets (their account, if
-- verified, gets it in the inbox and through the webhook), or an account holding a targeted
-- role. A receipt is read when its person opens the notice, or told in person (当面告知) by
-- the grid worker for those without a phone.
CREATE TABLE announcements (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    important BOOLEAN NOT NULL DEFAULT FALSE,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    expires_on TEXT,
    audience TEXT NOT NULL,
    targets TEXT NOT NULL DEFAULT '',
    recipients INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    published_at INTEGER NOT NULL
);
CREATE INDEX announcements_community ON announcements (community_id, published_at);

CREATE TABLE announcement_receipts (
    id INTEGER PRIMARY KEY,
    announcement_id INTEGER NOT NULL REFERENCES announcements (id),
    resident_id INTEGER REFERENCES residents (id),
    account_id INTEGER REFERENCES accounts (id),
    grid_id INTEGER REFERENCES grids (id),
    read_at INTEGER,
    told_at INTEGER,
    told_by INTEGER REFERENCES accounts (id)
);
CREATE INDEX announcement_receipts_grid ON announcement_receipts (announcement_id, grid_id, read_at);
CREATE UNIQUE INDEX announcement_receipts_resident ON announcement_receipts (announcement_id, resident_id);
CREATE INDEX announcement_receipts_account ON announcement_receipts (account_id, announcement_id);

ALTER TABLE notifications ADD COLUMN announcement_id INTEGER REFERENCES announcements (id);
