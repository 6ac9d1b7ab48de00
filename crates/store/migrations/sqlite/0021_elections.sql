-- Electing the owners' committee at an assembly: the seats to fill, and one candidate per
-- matter of kind 'committee' (owners answer agree, oppose or abstain for each, agreeing to
-- at most as many candidates as there are seats). Candidates are owners of record, named
-- in public, and frozen with the notice like every matter.
ALTER TABLE assemblies ADD COLUMN seats INTEGER;

CREATE TABLE assembly_candidates (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    matter_id INTEGER NOT NULL UNIQUE REFERENCES assembly_matters (id),
    owner_id INTEGER NOT NULL REFERENCES owners (id),
    name TEXT NOT NULL,
    nomination TEXT NOT NULL CHECK (nomination IN ('party', 'residents_committee', 'self', 'joint')),
    UNIQUE (assembly_id, owner_id)
);
