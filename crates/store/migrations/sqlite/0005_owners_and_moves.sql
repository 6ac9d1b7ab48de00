-- Owners of record (产权人) and the areas of the exclusive units, on which the owners'
-- assembly counts (Civil Code Art. 278): a unit is a row of households (building, unit,
-- room). Areas are exact, in dm² (0.01 m²): register, surveyed and contract area; the
-- first present counts. Owners are people found again by the blind index of their ID
-- number (so a buyer of several units is one owner), or the community's developer.
ALTER TABLE households ADD COLUMN register_area_dm2 INTEGER;
ALTER TABLE households ADD COLUMN survey_area_dm2 INTEGER;
ALTER TABLE households ADD COLUMN contract_area_dm2 INTEGER;

CREATE TABLE owners (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL CHECK (kind IN ('person', 'developer')),
    name TEXT NOT NULL,
    id_number_enc TEXT,
    id_number_index TEXT,
    id_number_masked TEXT,
    phone_enc TEXT,
    phone_masked TEXT,
    resident_id INTEGER REFERENCES residents (id),
    UNIQUE (community_id, id_number_index)
);
CREATE UNIQUE INDEX owners_developer ON owners (community_id) WHERE kind = 'developer';
CREATE INDEX owners_resident ON owners (resident_id);

-- Who held which unit, and when: a transfer ends the old rows and adds new ones, so the
-- history stays. Co-owners of one unit are several rows with the same dates.
CREATE TABLE ownerships (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    owner_id INTEGER NOT NULL REFERENCES owners (id),
    since TEXT NOT NULL,
    until TEXT,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX ownerships_current ON ownerships (community_id, household_id) WHERE until IS NULL;
CREATE INDEX ownerships_household ON ownerships (household_id, since);
CREATE INDEX ownerships_owner ON ownerships (owner_id);

-- Moving in and out. The resident row holds the current stay; a stay that ends (a move
-- to another household of the community, or out of it) is copied here first, so the
-- history is kept, never overwritten. A resident who moved out keeps the row, marked by
-- moved_out_on, and leaves every count and list of current residents.
ALTER TABLE residents ADD COLUMN moved_in_on TEXT;
ALTER TABLE residents ADD COLUMN moved_out_on TEXT;

CREATE TABLE residence_history (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    household_id INTEGER NOT NULL REFERENCES households (id),
    moved_in_on TEXT,
    moved_out_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX residence_history_resident ON residence_history (resident_id, moved_out_on);

-- Counts and grid lists are of current residents: their indexes cover only them.
DROP INDEX residents_community;
CREATE INDEX residents_present ON residents (community_id, household_id, birth_date) WHERE moved_out_on IS NULL;
DROP INDEX residents_grid;
CREATE INDEX residents_grid ON residents (community_id, grid_id, household_id, id) WHERE moved_out_on IS NULL;

-- A building placed in a grid by hand stays there when boundaries are imported again.
ALTER TABLE buildings ADD COLUMN grid_pinned BOOLEAN NOT NULL DEFAULT FALSE;
