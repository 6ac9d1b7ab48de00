-- The owners' assembly (业主大会会议, Civil Code Art. 278): a draft with its matters, then a
-- notice that freezes the matters and the electorate, a voting window, and the count.
-- Dates are China dates (YYYY-MM-DD); instants are UTC milliseconds.
CREATE TABLE assemblies (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    form TEXT NOT NULL CHECK (form IN ('meeting', 'written')),
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    -- An owner may cast the ballot again until the window closes; the last one counts.
    allow_changes BOOLEAN NOT NULL DEFAULT FALSE,
    -- Agree and oppose shown while voting (participation always is).
    show_running BOOLEAN NOT NULL DEFAULT FALSE,
    -- The community's 从众 rule, as it stood when the notice went out.
    follow_majority BOOLEAN NOT NULL DEFAULT FALSE,
    created_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    -- Set once by the notice, with the electorate's totals; nothing changes afterwards.
    noticed_at INTEGER,
    electorate_area_dm2 INTEGER,
    electorate_owners INTEGER,
    -- Set once by the count after the window: the hash of the ballot chain's last link.
    counted_at INTEGER,
    tally_hash TEXT,
    -- The ballot chain's length and last hash: a ballot's transaction updates them first,
    -- which takes the assembly's row lock, so links are added one at a time.
    ballot_seq INTEGER NOT NULL DEFAULT 0,
    chain_head TEXT NOT NULL DEFAULT ''
);
CREATE INDEX assemblies_community ON assemblies (community_id, created_at);

CREATE TABLE assembly_matters (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    UNIQUE (assembly_id, position)
);

-- The frozen electorate: one row per voter as the law counts them (a buyer of several
-- units once with the summed area; the developer's unsold units once), and which owners
-- of record may cast that voter's ballot.
CREATE TABLE assembly_electors (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    area_dm2 INTEGER NOT NULL,
    units INTEGER NOT NULL,
    -- The units, in words (e.g. 3号楼 1单元 1202), for the ballot and the inspection.
    label TEXT NOT NULL
);
CREATE INDEX assembly_electors_assembly ON assembly_electors (assembly_id);

CREATE TABLE assembly_elector_owners (
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    owner_id INTEGER NOT NULL REFERENCES owners (id),
    PRIMARY KEY (assembly_id, owner_id)
);

-- The ballot that counts, one per voter (the unique key is what makes a second submission,
-- from any device at any moment, one ballot).
CREATE TABLE assembly_ballots (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    channel TEXT NOT NULL CHECK (channel IN ('online', 'paper', 'proxy')),
    -- One code per matter, comma-separated ('agree,oppose,'), or 'blank' / 'invalid'.
    marks TEXT NOT NULL,
    receipt TEXT NOT NULL,
    cast_by INTEGER REFERENCES accounts (id),
    cast_at INTEGER NOT NULL,
    link_id INTEGER NOT NULL,
    UNIQUE (assembly_id, elector_id)
);

-- Every ballot and every change to one, chained by hash: each link's hash covers the one
-- before it, so a changed or removed row breaks the chain. Append-only.
CREATE TABLE assembly_ballot_links (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    seq INTEGER NOT NULL,
    elector_id INTEGER NOT NULL REFERENCES assembly_electors (id),
    channel TEXT NOT NULL,
    marks TEXT NOT NULL,
    cast_by INTEGER REFERENCES accounts (id),
    cast_at INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (assembly_id, seq)
);

CREATE TRIGGER assembly_ballot_links_no_update BEFORE UPDATE ON assembly_ballot_links
BEGIN
    SELECT RAISE(ABORT, 'assembly_ballot_links is append-only');
END;
CREATE TRIGGER assembly_ballot_links_no_delete BEFORE DELETE ON assembly_ballot_links
BEGIN
    SELECT RAISE(ABORT, 'assembly_ballot_links is append-only');
END;

-- A notice about an assembly (its notice to the owners) links to it from the inbox.
ALTER TABLE notifications ADD COLUMN assembly_id INTEGER REFERENCES assemblies (id);
