-- The joint mechanism (联席会议): the issues ledger (问题台账) of problems no single party can
-- solve, each linked to where it came from; the monthly joint meetings with their invited
-- parties and guests, attendance, agenda and minutes; and the resolutions, each with a
-- responsible party and a deadline, its progress (its own, its case's, or its children's),
-- its follow-ups (督办) and, once done, the evidence it was struck off (销号) with.
CREATE TABLE ledger_items (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    case_id INTEGER REFERENCES cases (id),
    organisation_id INTEGER REFERENCES organisations (id),
    status TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    raised_by INTEGER NOT NULL REFERENCES accounts (id),
    raised_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX ledger_items_community ON ledger_items (community_id, status);

CREATE TABLE joint_meetings (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    place TEXT NOT NULL,
    convened_by INTEGER NOT NULL REFERENCES accounts (id),
    minutes TEXT NOT NULL DEFAULT '',
    held_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX joint_meetings_community ON joint_meetings (community_id, starts_at);

-- Who is invited: each party of the community, and guests by name; whether they came.
CREATE TABLE meeting_members (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES joint_meetings (id),
    organisation_id INTEGER REFERENCES organisations (id),
    guest TEXT NOT NULL DEFAULT '',
    present BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX meeting_members_meeting ON meeting_members (meeting_id);

CREATE TABLE meeting_agenda (
    meeting_id INTEGER NOT NULL REFERENCES joint_meetings (id),
    ledger_item_id INTEGER NOT NULL REFERENCES ledger_items (id),
    PRIMARY KEY (meeting_id, ledger_item_id)
);

CREATE TABLE resolutions (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    meeting_id INTEGER NOT NULL REFERENCES joint_meetings (id),
    ledger_item_id INTEGER REFERENCES ledger_items (id),
    parent_id INTEGER REFERENCES resolutions (id),
    weight INTEGER,
    title TEXT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    due_on TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    case_id INTEGER REFERENCES cases (id),
    reminded_for TEXT,
    escalated_at INTEGER,
    evidence TEXT NOT NULL DEFAULT '',
    done_at INTEGER,
    done_by INTEGER REFERENCES accounts (id),
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX resolutions_open ON resolutions (community_id, done_at, due_on);
CREATE INDEX resolutions_meeting ON resolutions (meeting_id);
CREATE UNIQUE INDEX resolutions_case ON resolutions (case_id);

-- What happened to a resolution after the meeting: progress reported, a follow-up (督办),
-- a reminder or escalation by the system, its case opened, struck off.
CREATE TABLE resolution_updates (
    id INTEGER PRIMARY KEY,
    resolution_id INTEGER NOT NULL REFERENCES resolutions (id),
    kind TEXT NOT NULL,
    progress INTEGER,
    note TEXT NOT NULL DEFAULT '',
    account_id INTEGER REFERENCES accounts (id),
    at INTEGER NOT NULL
);
CREATE INDEX resolution_updates_resolution ON resolution_updates (resolution_id, at);

ALTER TABLE notifications ADD COLUMN resolution_id INTEGER REFERENCES resolutions (id);
ALTER TABLE notifications ADD COLUMN meeting_id INTEGER REFERENCES joint_meetings (id);
