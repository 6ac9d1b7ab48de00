-- Foundation: administrative tree, parties, accounts and sessions, the registry skeleton.
-- Timestamps are UTC milliseconds since the epoch (INTEGER here, BIGINT on PostgreSQL).
-- Tenant tables carry community_id; districts, streets, accounts and their sessions and
-- tokens are global on purpose (see docs/scaling.md).

CREATE TABLE districts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE streets (
    id INTEGER PRIMARY KEY,
    district_id INTEGER NOT NULL REFERENCES districts (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE communities (
    id INTEGER PRIMARY KEY,
    street_id INTEGER NOT NULL REFERENCES streets (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    -- Bumped by every registry write in the same transaction; validates cached counts.
    registry_version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX communities_street ON communities (street_id);

CREATE TABLE grids (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    boundary TEXT
);
CREATE INDEX grids_community ON grids (community_id);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (community_id, name)
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE,
    phone_index TEXT UNIQUE,
    phone_masked TEXT,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'zh',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (username IS NOT NULL OR phone_index IS NOT NULL)
);

CREATE TABLE role_assignments (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    street_id INTEGER REFERENCES streets (id),
    community_id INTEGER REFERENCES communities (id),
    organisation_id INTEGER REFERENCES organisations (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX role_assignments_account ON role_assignments (account_id);
CREATE INDEX role_assignments_community ON role_assignments (community_id);

CREATE TABLE grid_workers (
    community_id INTEGER NOT NULL REFERENCES communities (id),
    grid_id INTEGER NOT NULL REFERENCES grids (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    duty TEXT NOT NULL,
    PRIMARY KEY (grid_id, account_id)
);
CREATE INDEX grid_workers_account ON grid_workers (account_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    locked_until INTEGER
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE buildings (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    grid_id INTEGER NOT NULL REFERENCES grids (id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    floors INTEGER NOT NULL,
    units INTEGER NOT NULL,
    UNIQUE (community_id, name)
);
CREATE INDEX buildings_grid ON buildings (grid_id);

CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    building_id INTEGER NOT NULL REFERENCES buildings (id),
    unit INTEGER NOT NULL,
    room TEXT NOT NULL,
    UNIQUE (building_id, unit, room)
);
CREATE INDEX households_community ON households (community_id);

CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    name TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    relation TEXT NOT NULL,
    residence_type TEXT NOT NULL
);
CREATE INDEX residents_household ON residents (household_id);
-- Covers the per-grid counts: household sizes and age bands without touching the table.
CREATE INDEX residents_community ON residents (community_id, household_id, birth_date);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    community_id INTEGER,
    account_id INTEGER,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at INTEGER NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
