-- People who need care (关爱对象): tags with a visiting plan, and the grid workers' visits
-- (走访). Tags are codes, readable only by the roles that see residents; visit notes may
-- hold health details and are sealed like ID numbers.
CREATE TABLE care_tags (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    tag TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (resident_id, tag)
);
CREATE INDEX care_tags_community ON care_tags (community_id, resident_id);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    grid_id INTEGER NOT NULL REFERENCES grids (id),
    resident_id INTEGER NOT NULL REFERENCES residents (id),
    account_id INTEGER REFERENCES accounts (id),
    visited_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    notes_enc TEXT,
    follow_up BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);
CREATE INDEX visits_resident ON visits (resident_id, visited_on);
CREATE INDEX visits_grid ON visits (community_id, grid_id, visited_on);
