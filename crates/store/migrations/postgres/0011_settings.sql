-- Settings the operator changes in the app (not in the configuration file), as text.
-- rating.satisfied_after_days: a closed case its reporter has not rated in so many days
-- counts as satisfied (0: it stays unrated).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO settings (key, value, updated_at) VALUES ('rating.satisfied_after_days', '0', 0);
