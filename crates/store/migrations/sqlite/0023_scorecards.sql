-- Supervising the property company: good and bad records entered with evidence (each counts
-- for a year in the credit score), and the owners' satisfaction surveys of a quarter run by
-- the owners' committee or the residents' committee. The cases sent to the company are read
-- from the case tables.
CREATE TABLE property_records (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('good', 'bad')),
    -- Tenths of a point.
    points INTEGER NOT NULL CHECK (points > 0),
    title TEXT NOT NULL,
    evidence TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX property_records_organisation ON property_records (organisation_id, occurred_on);

CREATE TABLE property_surveys (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    -- YYYY-Qn
    quarter TEXT NOT NULL,
    run_by TEXT NOT NULL CHECK (run_by IN ('owners_committee', 'residents_committee')),
    respondents INTEGER NOT NULL CHECK (respondents > 0),
    satisfied INTEGER NOT NULL CHECK (satisfied >= 0 AND satisfied <= respondents),
    recorded_by INTEGER NOT NULL REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (organisation_id, quarter, run_by)
);
