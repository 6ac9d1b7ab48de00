-- Documents an owner reads before voting on a matter (the contract, the budget, the quote,
-- the candidate's statement): a PDF or a picture, added while the assembly is a draft and
-- frozen with its notice. The SHA-256 is shown beside each, so a printed copy can be
-- compared with what was published.
CREATE TABLE assembly_documents (
    id INTEGER PRIMARY KEY,
    assembly_id INTEGER NOT NULL REFERENCES assemblies (id),
    matter_id INTEGER NOT NULL REFERENCES assembly_matters (id),
    title TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg')),
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_by INTEGER NOT NULL REFERENCES accounts (id),
    added_at INTEGER NOT NULL
);
CREATE INDEX assembly_documents_matter ON assembly_documents (assembly_id, matter_id, id);
