-- A petition for a temporary owners' meeting (物业管理条例 Art. 13): owners sign online,
-- and the meeting must be called once the signers hold at least 20% of the area AND are
-- at least 20% of the owners. Signatures are kept by owner of record; the bar is read
-- over the register as it stands, so a signer who sells their unit stops counting.
CREATE TABLE assembly_petitions (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    started_by INTEGER NOT NULL REFERENCES accounts (id),
    started_at INTEGER NOT NULL,
    -- When the double bar was first met (the convener is told then).
    met_at INTEGER,
    -- The temporary meeting called in answer; set once.
    assembly_id INTEGER REFERENCES assemblies (id)
);
CREATE INDEX assembly_petitions_community ON assembly_petitions (community_id, started_at);

CREATE TABLE assembly_petition_signatures (
    petition_id INTEGER NOT NULL REFERENCES assembly_petitions (id),
    owner_id INTEGER NOT NULL REFERENCES owners (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (petition_id, owner_id)
);

-- Who convenes an assembly: the owners' committee, or the residents' committee for a first
-- assembly or where there is no owners' committee.
ALTER TABLE assemblies ADD COLUMN convener TEXT NOT NULL DEFAULT 'owners_committee'
    CHECK (convener IN ('owners_committee', 'residents_committee'));

-- A notice about a petition (its bar met) links to it from the inbox.
ALTER TABLE notifications ADD COLUMN petition_id INTEGER REFERENCES assembly_petitions (id);
