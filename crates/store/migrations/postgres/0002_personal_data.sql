-- Personal data of residents, protected (PIPL): ID numbers and phones are sealed with
-- XChaCha20-Poly1305 (*_enc), found by keyed blind indexes (*_index), shown masked
-- (*_masked). The last four phone digits are kept for search; they are part of the
-- masked form anyway. Pinyin initials of the name serve search (zs finds 张三).

ALTER TABLE residents ADD COLUMN id_number_enc TEXT;
ALTER TABLE residents ADD COLUMN id_number_index TEXT;
ALTER TABLE residents ADD COLUMN id_number_masked TEXT;
ALTER TABLE residents ADD COLUMN phone_enc TEXT;
ALTER TABLE residents ADD COLUMN phone_index TEXT;
ALTER TABLE residents ADD COLUMN phone_masked TEXT;
ALTER TABLE residents ADD COLUMN phone_last4 TEXT;
ALTER TABLE residents ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
-- The grid of the resident's building, kept with the row: every grid worker's query is
-- scoped by it. Written with the row, and rewritten when a building changes grid.
ALTER TABLE residents ADD COLUMN grid_id BIGINT REFERENCES grids (id);
UPDATE residents SET grid_id = (SELECT b.grid_id FROM households h JOIN buildings b ON b.id = h.building_id
                                WHERE h.id = residents.household_id);

CREATE UNIQUE INDEX residents_id_number ON residents (community_id, id_number_index);
-- Lists page through residents in household order without sorting.
CREATE INDEX residents_order ON residents (community_id, household_id, id);
CREATE INDEX residents_grid ON residents (community_id, grid_id, household_id, id);
-- text_pattern_ops: prefix searches (LIKE 'p%') use the index whatever the collation.
CREATE INDEX residents_name ON residents (community_id, name text_pattern_ops);
CREATE INDEX residents_initials ON residents (community_id, name_initials text_pattern_ops);
CREATE INDEX residents_phone_last4 ON residents (community_id, phone_last4);

-- A signed-in resident sees what the community holds about them through this link.
ALTER TABLE accounts ADD COLUMN resident_id BIGINT REFERENCES residents (id);

CREATE INDEX audit_events_community ON audit_events (community_id, at);

-- Access to personal data (reveals, exports): whose, which field, why.
ALTER TABLE audit_events ADD COLUMN subject_resident_id BIGINT;
ALTER TABLE audit_events ADD COLUMN field TEXT;
ALTER TABLE audit_events ADD COLUMN reason TEXT;
CREATE INDEX audit_events_subject ON audit_events (subject_resident_id);
