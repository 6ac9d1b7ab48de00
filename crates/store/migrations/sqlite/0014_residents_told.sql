-- Usability review (issue 12): residents told what happens, separation of duties.

-- Who gave a case's last feedback (处理反馈): they may not also verify it.
ALTER TABLE cases ADD COLUMN handled_by INTEGER REFERENCES accounts (id);
UPDATE cases SET handled_by = (SELECT e.account_id FROM case_events e
    WHERE e.case_id = cases.id AND e.kind = 'feedback' ORDER BY e.id DESC LIMIT 1);

-- A notice's particulars in words: a refusal's reason, who received the case, its deadline.
-- New kinds of notice: assigned (a dispatch, to whoever receives it), handed_back (to the
-- staff), yours_* (to the resident who reported).
ALTER TABLE notifications ADD COLUMN detail TEXT NOT NULL DEFAULT '';

-- A refusal's reason is told to the reporter: it is public, and so were the old ones.
-- (The timeline is append-only; this one backfill lifts the guard and puts it back.)
DROP TRIGGER case_events_no_update;
UPDATE case_events SET public = TRUE WHERE kind = 'refuse';
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
