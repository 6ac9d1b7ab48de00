-- Paper ballots, proxies and the results phase of an owners' assembly.
--
-- A paper ballot is keyed in twice, by two different people, from the signed paper and its
-- photo: each person's entry is kept here, and only when two people's entries agree does
-- the ballot count (a mismatch is flagged on the committee's desk). A person keying the same
-- ballot again corrects their own entry.
CREATE TABLE assembly_paper_entries (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    marks TEXT NOT NULL,
    -- Signed by the owner's registered proxy rather than the owner.
    by_proxy BOOLEAN NOT NULL DEFAULT FALSE,
    -- The photo of the signed paper (re-encoded JPEG); the first entry of a ballot carries it.
    photo BLOB,
    thumbnail BLOB,
    entered_by INTEGER NOT NULL REFERENCES accounts (id),
    entered_at INTEGER NOT NULL,
    UNIQUE (assembly_id, elector_id, entered_by)
);
CREATE INDEX assembly_paper_entries_elector ON assembly_paper_entries (assembly_id, elector_id);

-- A proxy (委托) registered from the owner's written authorisation: the proxy's identity
-- (the ID number sealed, its blind index finding the proxy's own account if they have one
-- here) and the authorisation's photo. At most one proxy in force per voter; revoking
-- keeps the row.
CREATE TABLE assembly_proxies (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    name TEXT NOT NULL,
    id_number_enc TEXT NOT NULL,
    id_number_index TEXT NOT NULL,
    id_number_masked TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    photo BLOB NOT NULL,
    thumbnail BLOB NOT NULL,
    registered_by INTEGER NOT NULL REFERENCES accounts (id),
    registered_at INTEGER NOT NULL,
    revoked_by INTEGER REFERENCES accounts (id),
    revoked_at INTEGER
);
CREATE UNIQUE INDEX assembly_proxies_in_force ON assembly_proxies (assembly_id, elector_id) WHERE revoked_at IS NULL;
CREATE INDEX assembly_proxies_account ON assembly_proxies (account_id);

-- After the count: the preliminary result is posted with an objection period (询异) to
-- this China date; owners on the roll may object, the committee answers every objection,
-- and after the period the committee publishes the final result.
ALTER TABLE assemblies ADD COLUMN objections_until TEXT;
ALTER TABLE assemblies ADD COLUMN finalised_at INTEGER;
CREATE TABLE assembly_objections (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    answer TEXT,
    answered_by INTEGER REFERENCES accounts (id),
    answered_at INTEGER
);
CREATE INDEX assembly_objections_assembly ON assembly_objections (assembly_id, id);
