-- One row that /readyz rewrites while the store is marked unable to write (a full disk):
-- when the write commits again, space has returned and the mark clears.
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO write_probe (id, at) VALUES (1, 0);
