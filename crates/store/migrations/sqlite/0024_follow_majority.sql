-- The community's rule on non-voters (从众): whether abstainers are counted with the side
-- that leads, as the community's own rules may say since the Civil Code. Off by default;
-- each assembly freezes the rule as it stands at its notice.
ALTER TABLE communities ADD COLUMN follow_majority BOOLEAN NOT NULL DEFAULT FALSE;
