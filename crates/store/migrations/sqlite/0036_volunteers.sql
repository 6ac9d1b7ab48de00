-- Volunteers (志愿者) and service points (服务积分 / 时间储蓄).
--
-- A resident registers as a volunteer with consent to the record (`consent_at`) and, apart,
-- consent to be named to others (`named`). Teams and projects group volunteers. An activity
-- has shifts; a volunteer signs up for one as a resident takes a place (the places of
-- store::places: `version` is the row lock, `line` the arrival order, served = hours
-- recorded). Hours are recorded by whoever organises (谁组织谁记录), naming the issuer; the
-- record's five categories are the volunteer's details, these hours, and the training,
-- awards and evaluations of `volunteer_entries`. A volunteer may ask for a correction of an
-- hours record; the organiser accepts (the record changes, the request keeps what it was)
-- or declines with a reason.
--
-- Points: `points_entries` is an append-only ledger (triggers refuse any change); every
-- entry has its reason and source. `points_balances` is the sum kept beside it, changed in
-- the same transaction as the entry, never below zero (CHECK and the guarded UPDATE). Shop
-- items have a stock that never goes below zero; a redemption is an entry of minus its cost,
-- a reversal a new entry giving it back.
CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL UNIQUE REFERENCES residents (id),
    skills TEXT NOT NULL DEFAULT '',
    consent_at INTEGER NOT NULL,
    named BOOLEAN NOT NULL DEFAULT FALSE,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX volunteers_community ON volunteers (community_id);

CREATE TABLE volunteer_teams (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    organisation_id INTEGER REFERENCES organisations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX volunteer_teams_community ON volunteer_teams (community_id);

CREATE TABLE volunteer_members (
    team_id INTEGER NOT NULL REFERENCES volunteer_teams (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, volunteer_id)
);

CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    role TEXT NOT NULL,
    -- local time, 'YYYY-MM-DD HH:MM'
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shifts_activity ON shifts (activity_id);

CREATE TABLE shift_signups (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES shifts (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    status TEXT NOT NULL,
    line INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX shift_signups_line ON shift_signups (shift_id, line);
CREATE UNIQUE INDEX shift_signups_once ON shift_signups (shift_id, resident_id) WHERE status IN ('booked', 'waiting');
CREATE INDEX shift_signups_resident ON shift_signups (resident_id);

CREATE TABLE volunteer_hours (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    signup_id INTEGER UNIQUE REFERENCES shift_signups (id),
    activity_id INTEGER REFERENCES activities (id),
    team_id INTEGER REFERENCES volunteer_teams (id),
    project TEXT NOT NULL,
    served_on TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    content TEXT NOT NULL,
    issuer TEXT NOT NULL,
    organisation_id INTEGER REFERENCES organisations (id),
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX volunteer_hours_volunteer ON volunteer_hours (volunteer_id, served_on);
CREATE INDEX volunteer_hours_community ON volunteer_hours (community_id, served_on);

CREATE TABLE volunteer_corrections (
    id INTEGER PRIMARY KEY,
    hours_id INTEGER NOT NULL REFERENCES volunteer_hours (id),
    was_minutes INTEGER NOT NULL,
    asked_minutes INTEGER NOT NULL CHECK (asked_minutes > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    decided_by INTEGER REFERENCES accounts (id),
    decided_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX volunteer_corrections_open ON volunteer_corrections (hours_id) WHERE status = 'open';

CREATE TABLE volunteer_entries (
    id INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    on_date TEXT NOT NULL,
    issuer TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX volunteer_entries_volunteer ON volunteer_entries (volunteer_id);

CREATE TABLE points_rules (
    community_id INTEGER NOT NULL REFERENCES communities (id),
    action TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    PRIMARY KEY (community_id, action)
);

CREATE TABLE points_balances (
    resident_id INTEGER PRIMARY KEY REFERENCES residents (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    balance INTEGER NOT NULL CHECK (balance >= 0),
    updated_at INTEGER NOT NULL
);

CREATE TABLE points_entries (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    delta INTEGER NOT NULL CHECK (delta <> 0),
    balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- what earned or spent it, once: 'hours:7', 'registration:12', 'redemption:3', ''
    source TEXT NOT NULL DEFAULT '',
    reverses_id INTEGER UNIQUE REFERENCES points_entries (id),
    by_account INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX points_entries_resident ON points_entries (resident_id, id);
CREATE INDEX points_entries_community ON points_entries (community_id, id);
CREATE UNIQUE INDEX points_entries_source ON points_entries (source) WHERE source <> '';

CREATE TRIGGER points_entries_no_update BEFORE UPDATE ON points_entries
BEGIN
    SELECT RAISE(ABORT, 'points_entries is append-only');
END;
CREATE TRIGGER points_entries_no_delete BEFORE DELETE ON points_entries
BEGIN
    SELECT RAISE(ABORT, 'points_entries is append-only');
END;

CREATE TABLE shop_items (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    organisation_id INTEGER REFERENCES organisations (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    cost INTEGER NOT NULL CHECK (cost > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX shop_items_community ON shop_items (community_id);

CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES shop_items (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    cost INTEGER NOT NULL,
    status TEXT NOT NULL,
    handed_by INTEGER REFERENCES accounts (id),
    handed_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX redemptions_resident ON redemptions (resident_id);
CREATE INDEX redemptions_community ON redemptions (community_id, id);
