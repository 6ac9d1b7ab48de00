-- Services of social organisations (社会组织服务): each organisation publishes its services
-- (a kind, who may use them: an age range and care tags) and their slots (a start, a length,
-- a number of places). A booking holds a place or waits in line: `line` is its arrival
-- order within the slot, fixed under the slot's row lock, so a rush never overbooks and a
-- cancelled place goes to the first in line. What the organisation writes after serving is
-- sealed (encrypted) and, for counselling and legal aid, read by its own staff only.
-- A referral sends a resident to a service from a case, a dispute or a care visit; its
-- reason is sealed, its status is what the referrer follows.
CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    care_tags TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX services_community ON services (community_id, kind);
CREATE INDEX services_organisation ON services (organisation_id);

CREATE TABLE service_slots (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services (id),
    -- local time, 'YYYY-MM-DD HH:MM'
    starts_at TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    capacity INTEGER NOT NULL,
    -- bumped by every booking change: the row lock that orders them
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX service_slots_service ON service_slots (service_id, starts_at);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    grid_id INTEGER REFERENCES grids (id),
    service_id INTEGER NOT NULL REFERENCES services (id),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    source TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    visit_id INTEGER REFERENCES visits (id),
    reason_sealed TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'sent',
    -- the organisation's reason for declining or closing without service
    answer TEXT NOT NULL DEFAULT '',
    referred_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES accounts (id),
    decided_at INTEGER,
    served_at INTEGER,
    closed_at INTEGER
);
CREATE INDEX referrals_organisation ON referrals (organisation_id, status, created_at);
CREATE INDEX referrals_community ON referrals (community_id, created_at);
CREATE INDEX referrals_resident ON referrals (resident_id);

CREATE TABLE bookings (
    id INTEGER PRIMARY KEY,
    slot_id INTEGER NOT NULL REFERENCES service_slots (id),
    service_id INTEGER NOT NULL REFERENCES services (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    grid_id INTEGER REFERENCES grids (id),
    -- the resident's own account, or the grid worker or staff who booked for them
    booked_by INTEGER NOT NULL REFERENCES accounts (id),
    referral_id INTEGER REFERENCES referrals (id),
    status TEXT NOT NULL,
    line INTEGER NOT NULL,
    reminded BOOLEAN NOT NULL DEFAULT FALSE,
    notes_sealed TEXT,
    served_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX bookings_line ON bookings (slot_id, line);
CREATE UNIQUE INDEX bookings_once ON bookings (slot_id, resident_id) WHERE status IN ('booked', 'waiting');
CREATE INDEX bookings_slot ON bookings (slot_id, status, line);
CREATE INDEX bookings_resident ON bookings (resident_id, status);
CREATE INDEX bookings_community ON bookings (community_id, updated_at);

ALTER TABLE notifications ADD COLUMN booking_id INTEGER REFERENCES bookings (id);
ALTER TABLE notifications ADD COLUMN referral_id INTEGER REFERENCES referrals (id);
