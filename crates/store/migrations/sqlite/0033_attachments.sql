-- Files attached to an announcement or to a joint meeting (its minutes' documents): a PDF as
-- sent or a picture re-encoded on the way in, each kept with its size and SHA-256. Each
-- belongs to exactly one of the two.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    announcement_id INTEGER REFERENCES announcements (id),
    meeting_id INTEGER REFERENCES joint_meetings (id),
    title TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg')),
    bytes BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    added_by INTEGER NOT NULL REFERENCES accounts (id),
    added_at INTEGER NOT NULL,
    CHECK ((announcement_id IS NULL) <> (meeting_id IS NULL))
);
CREATE INDEX attachments_announcement ON attachments (announcement_id, id);
CREATE INDEX attachments_meeting ON attachments (meeting_id, id);
