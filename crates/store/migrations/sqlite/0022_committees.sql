-- The owners' committee an election put in office, and its duties as tracked tasks: the
-- first meeting (chair and vice chair), filing with the street, regular meetings, and
-- decisions signed by more than half of all members and published.
CREATE TABLE committees (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    assembly_id INTEGER NOT NULL UNIQUE REFERENCES assemblies (id),
    -- The China date the election's final result was published: the term's first day.
    elected_on TEXT NOT NULL,
    chair_id INTEGER REFERENCES assembly_candidates (id),
    vice_chair_id INTEGER REFERENCES assembly_candidates (id),
    first_meeting_on TEXT,
    filed_on TEXT,
    filed_by INTEGER REFERENCES accounts (id)
);
CREATE INDEX committees_community ON committees (community_id, elected_on);

-- Members and alternates (候补, in order) as the election's result placed them.
CREATE TABLE committee_members (
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    candidate_id INTEGER NOT NULL REFERENCES assembly_candidates (id),
    standing TEXT NOT NULL CHECK (standing IN ('member', 'alternate')),
    rank INTEGER NOT NULL,
    PRIMARY KEY (committee_id, candidate_id)
);

CREATE TABLE committee_meetings (
    id INTEGER PRIMARY KEY,
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    held_on TEXT NOT NULL,
    minutes TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX committee_meetings_committee ON committee_meetings (committee_id, held_on);

-- A decision stands only when more than half of all members signed it (checked when it
-- is recorded); it is then published to the owners.
CREATE TABLE committee_decisions (
    id INTEGER PRIMARY KEY,
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX committee_decisions_committee ON committee_decisions (committee_id, decided_on);

CREATE TABLE committee_decision_signers (
    decision_id INTEGER NOT NULL REFERENCES committee_decisions (id),
    candidate_id INTEGER NOT NULL REFERENCES assembly_candidates (id),
    PRIMARY KEY (decision_id, candidate_id)
);

-- One reminder per duty and deadline, whoever runs the sweep and however often.
CREATE TABLE committee_reminders (
    committee_id INTEGER NOT NULL REFERENCES committees (id),
    duty TEXT NOT NULL,
    due_on TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (committee_id, duty, due_on)
);

-- A notice about the committee's duties links to the committee's page.
ALTER TABLE notifications ADD COLUMN committee_id INTEGER REFERENCES committees (id);
