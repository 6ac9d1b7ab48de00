-- Community activities (社区活动): organised by the community, a social organisation or
-- residents (proposed, then approved by staff). Registration takes a place or joins the
-- line exactly as a service's slot does (`version` is the row lock, `line` the arrival
-- order, the statuses a booking's: booked = registered, served = attended, no_show =
-- absent). Each registration carries a six-digit check-in code, unique within the
-- activity, shown on the resident's phone. A report with photos follows the day.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    venue TEXT NOT NULL,
    -- local time, 'YYYY-MM-DD HH:MM'
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    care_tags TEXT NOT NULL DEFAULT '',
    grid_ids TEXT NOT NULL DEFAULT '',
    organiser TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations (id),
    status TEXT NOT NULL,
    decision_note TEXT NOT NULL DEFAULT '',
    decided_by INTEGER REFERENCES accounts (id),
    report TEXT,
    reported_at INTEGER,
    version INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX activities_community ON activities (community_id, starts_at);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    grid_id INTEGER REFERENCES grids (id),
    registered_by INTEGER NOT NULL REFERENCES accounts (id),
    status TEXT NOT NULL,
    line INTEGER NOT NULL,
    code TEXT NOT NULL,
    checked_in_at INTEGER,
    checked_in_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX registrations_line ON registrations (activity_id, line);
CREATE UNIQUE INDEX registrations_code ON registrations (activity_id, code);
CREATE UNIQUE INDEX registrations_once ON registrations (activity_id, resident_id) WHERE status IN ('booked', 'waiting');
CREATE INDEX registrations_activity ON registrations (activity_id, status, line);
CREATE INDEX registrations_resident ON registrations (resident_id, status);

CREATE TABLE activity_photos (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    bytes BLOB NOT NULL,
    thumbnail BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX activity_photos_activity ON activity_photos (activity_id);

ALTER TABLE notifications ADD COLUMN activity_id INTEGER REFERENCES activities (id);
