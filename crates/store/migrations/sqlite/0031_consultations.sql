-- Community consultations (城乡社区协商) and major matters under 四议两公开: each step dated and
-- recorded once, in order, with a meeting's members, present and agreeing where it votes;
-- the steps that publish put their text on the public record in the same transaction.
CREATE TABLE consultations (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    proposal_id INTEGER REFERENCES proposals (id),
    status TEXT NOT NULL DEFAULT 'running',
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX consultations_community ON consultations (community_id, created_at);

CREATE TABLE consultation_steps (
    id INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    step TEXT NOT NULL,
    held_on TEXT NOT NULL,
    note TEXT NOT NULL,
    members INTEGER,
    present INTEGER,
    agree INTEGER,
    passed BOOLEAN NOT NULL DEFAULT TRUE,
    public_record_id INTEGER REFERENCES public_records (id),
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (consultation_id, step)
);

ALTER TABLE public_records ADD COLUMN consultation_id INTEGER REFERENCES consultations (id);

-- An announcement finds each resident's verified account: by resident.
CREATE INDEX accounts_resident ON accounts (resident_id);
