-- Surveys (问卷调查): questions of four kinds with options, some shown only after an option
-- of an earlier question; sent to a community, grids, buildings or roles for a window of
-- days. Sending writes an invitation for everyone it reaches (like an announcement's
-- receipts): answering turns one's invitation answered, once, in the same transaction that
-- writes the response. A response carries a random id, its grid (for the breakdown) and,
-- only in a named survey, who gave it; it carries no time. In an anonymous survey nothing
-- joins an invitation to a response: the invitations say who answered, the responses what
-- was answered. A property company's satisfaction survey names it and the quarter, and
-- goes into its scorecard when it closes.
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    title TEXT NOT NULL,
    intro TEXT NOT NULL DEFAULT '',
    anonymous BOOLEAN NOT NULL,
    audience TEXT NOT NULL,
    targets TEXT NOT NULL DEFAULT '',
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    -- draft, sent, closed (closed early; a sent survey is also over after closes_on)
    status TEXT NOT NULL DEFAULT 'draft',
    invited INTEGER NOT NULL DEFAULT 0,
    organisation_id INTEGER REFERENCES organisations (id),
    quarter TEXT,
    run_by TEXT,
    scored_at INTEGER,
    created_by INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX surveys_community ON surveys (community_id, created_at);

CREATE TABLE survey_questions (
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    prompt TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    min_choices INTEGER NOT NULL DEFAULT 0,
    max_choices INTEGER NOT NULL DEFAULT 0,
    scale INTEGER NOT NULL DEFAULT 0,
    show_if_option INTEGER
);
CREATE INDEX survey_questions_survey ON survey_questions (survey_id, position);

CREATE TABLE survey_options (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES survey_questions (id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL
);
CREATE INDEX survey_options_question ON survey_options (question_id, position);

CREATE TABLE survey_invitations (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    resident_id INTEGER REFERENCES residents (id),
    account_id INTEGER REFERENCES accounts (id),
    grid_id INTEGER REFERENCES grids (id),
    answered BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX survey_invitations_resident ON survey_invitations (survey_id, resident_id);
CREATE INDEX survey_invitations_account ON survey_invitations (account_id, survey_id);
CREATE INDEX survey_invitations_grid ON survey_invitations (survey_id, grid_id, answered);

CREATE TABLE survey_responses (
    -- random, chosen by the store: no order to read
    id INTEGER PRIMARY KEY,
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    grid_id INTEGER REFERENCES grids (id),
    resident_id INTEGER REFERENCES residents (id),
    account_id INTEGER REFERENCES accounts (id)
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, grid_id);

CREATE TABLE survey_answers (
    survey_id INTEGER NOT NULL REFERENCES surveys (id),
    question_id INTEGER NOT NULL REFERENCES survey_questions (id),
    response_id INTEGER NOT NULL REFERENCES survey_responses (id),
    grid_id INTEGER REFERENCES grids (id),
    option_id INTEGER REFERENCES survey_options (id),
    value INTEGER,
    text TEXT
);
CREATE INDEX survey_answers_tally ON survey_answers (survey_id, question_id, option_id, value);
CREATE INDEX survey_answers_grid ON survey_answers (survey_id, grid_id, question_id, option_id, value);
CREATE INDEX survey_answers_question ON survey_answers (question_id, response_id);

ALTER TABLE notifications ADD COLUMN survey_id INTEGER REFERENCES surveys (id);
