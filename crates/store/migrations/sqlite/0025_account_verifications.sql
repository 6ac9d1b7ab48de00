-- Account verification (业主身份认证): a signed-in account asks to be linked to the
-- community's record of its holder, found by name and ID number through the blind index:
-- an owner of record, a registered resident, or both (one person). The link is made when
-- the community's staff confirm it (having seen the ID card), or when the holder types the
-- code sent to the phone on record. Until then the account stands for nobody.
CREATE TABLE account_verifications (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    owner_id INTEGER REFERENCES owners (id),
    resident_id INTEGER REFERENCES residents (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'refused', 'withdrawn')),
    requested_at INTEGER NOT NULL,
    -- The code sent to the phone on record: its keyed hash, when it lapses, wrong tries.
    code_hash TEXT,
    code_sent_at INTEGER,
    code_expires_at INTEGER,
    code_attempts INTEGER NOT NULL DEFAULT 0,
    -- 'staff' or 'sms', who decided (staff) and why a refusal.
    method TEXT,
    decided_by INTEGER REFERENCES accounts (id),
    decided_at INTEGER,
    reason TEXT,
    CHECK (owner_id IS NOT NULL OR resident_id IS NOT NULL)
);
CREATE UNIQUE INDEX account_verifications_one_pending ON account_verifications (account_id) WHERE status = 'pending';
CREATE INDEX account_verifications_community ON account_verifications (community_id, status, requested_at);

-- An owner of record who lives elsewhere has no resident row: the verified account is
-- kept on the owner.
ALTER TABLE owners ADD COLUMN account_id INTEGER REFERENCES accounts (id);
CREATE INDEX owners_account ON owners (account_id);
