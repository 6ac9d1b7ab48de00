-- Notifications: an in-app inbox per account, and a transactional outbox for an optional
-- webhook (an SMS or WeChat gateway). Both are written in the transaction of the change
-- they announce, so a notice is never lost nor sent for a change that did not happen.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    case_id INTEGER REFERENCES cases (id),
    -- new_case, escalated, due_soon, overdue, reminder, rated, reopened, rework
    kind TEXT NOT NULL,
    -- Makes a deadline notice once per deadline (`overdue:12:1764…`); NULL for the others.
    dedupe_key TEXT,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    UNIQUE (account_id, dedupe_key)
);
CREATE INDEX notifications_inbox ON notifications (account_id, id);
CREATE INDEX notifications_case ON notifications (case_id, kind);

-- Accounts that want one digest a day instead of a push per notice.
CREATE TABLE notification_settings (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    daily_digest BOOLEAN NOT NULL DEFAULT FALSE,
    digest_sent_on TEXT
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- notice or digest
    kind TEXT NOT NULL,
    notification_id INTEGER REFERENCES notifications (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at INTEGER,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
CREATE INDEX outbox_notification ON outbox (notification_id);

-- The deadline sweep looks at running cases city-wide.
CREATE INDEX cases_running_deadline ON cases (deadline)
    WHERE state IN ('registered', 'dispatched', 'accepted', 'handled');
