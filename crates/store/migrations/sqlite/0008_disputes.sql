-- Disputes (矛盾纠纷): a case of a dispute category carries its risk, its parties, the
-- mediation sessions, how it ended (agreement, record, referral) and the follow-up
-- visit. Screening sweeps are recorded per grid every half month, even when they find
-- nothing. Names, phones, agreements and session notes are sealed (personal data).

-- Mediation runs, as a rule, within 30 days, weekends and holidays included.
UPDATE case_categories SET limit_amount = 30, limit_kind = 'calendar_days' WHERE kind = 'dispute';

CREATE TABLE disputes (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    -- normal, high or violence (a threat of violence: urgent, escalated at once)
    risk TEXT NOT NULL DEFAULT 'normal',
    -- agreement (调解协议书), record (oral agreement on record) or failed; NULL while mediating
    settlement TEXT,
    settled_on TEXT,
    agreement_sealed TEXT,
    -- legal_aid, arbitration, court or administrative
    referral TEXT,
    -- kept, partly or broken, from the follow-up visit after an agreement
    follow_up TEXT,
    followed_up_on TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX disputes_risk ON disputes (risk);

CREATE TABLE dispute_parties (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES disputes (case_id),
    -- applicant or respondent
    side TEXT NOT NULL,
    name_sealed TEXT NOT NULL,
    phone_sealed TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX dispute_parties_case ON dispute_parties (case_id);

CREATE TABLE mediation_sessions (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES disputes (case_id),
    held_on TEXT NOT NULL,
    mediators TEXT NOT NULL,
    -- agreed, partly, continue or failed
    outcome TEXT NOT NULL,
    notes_sealed TEXT,
    recorded_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX mediation_sessions_case ON mediation_sessions (case_id, held_on);

CREATE TABLE screening_sweeps (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    grid_id INTEGER NOT NULL REFERENCES grids (id),
    swept_on TEXT NOT NULL,
    -- 2026-11-1 (the 1st to the 15th) or 2026-11-2 (the 16th to the end)
    half_month TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    -- Disputes found; 0 is a sweep that found nothing.
    found INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX screening_sweeps_period ON screening_sweeps (community_id, half_month, grid_id);
