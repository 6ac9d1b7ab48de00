-- A report found to repeat an open case is merged into it: refused with the reason, and
-- pointed at the case it repeats. Merged reports stay out of the indicators.
ALTER TABLE cases ADD COLUMN merged_into INTEGER REFERENCES cases (id);
