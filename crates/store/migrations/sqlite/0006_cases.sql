-- Closed-loop case handling (domain guide §2). Categories are two-level with codes and
-- carry their time limit and who handles them; they are the services of Open311.
CREATE TABLE case_categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_code TEXT,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- problem or dispute (矛盾纠纷)
    kind TEXT NOT NULL DEFAULT 'problem',
    limit_amount INTEGER NOT NULL,
    -- working_hours, working_days or calendar_hours
    limit_kind TEXT NOT NULL,
    -- grid_worker, property_company, community_staff or social_organisation
    handler TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO case_categories (code, parent_code, name_zh, name_en, kind, limit_amount, limit_kind, handler) VALUES
('01', NULL, '环境卫生', 'Sanitation', 'problem', 2, 'working_days', 'property_company'),
('0101', '01', '垃圾堆放', 'Rubbish dumped', 'problem', 8, 'working_hours', 'property_company'),
('0102', '01', '垃圾分类不规范', 'Waste not sorted', 'problem', 2, 'working_days', 'grid_worker'),
('0103', '01', '楼道杂物', 'Clutter in stairwells', 'problem', 3, 'working_days', 'property_company'),
('02', NULL, '设施维修', 'Repairs', 'problem', 5, 'working_days', 'property_company'),
('0201', '02', '路灯损坏', 'Street light out', 'problem', 3, 'working_days', 'property_company'),
('0202', '02', '电梯故障', 'Lift out of order', 'problem', 4, 'calendar_hours', 'property_company'),
('0203', '02', '管道漏水', 'Pipe leaking', 'problem', 24, 'calendar_hours', 'property_company'),
('0204', '02', '门禁损坏', 'Door entry broken', 'problem', 2, 'working_days', 'property_company'),
('03', NULL, '邻里纠纷', 'Neighbour disputes', 'dispute', 30, 'working_days', 'community_staff'),
('0301', '03', '噪音纠纷', 'Noise dispute', 'dispute', 30, 'working_days', 'community_staff'),
('0302', '03', '漏水纠纷', 'Water-leak dispute', 'dispute', 30, 'working_days', 'community_staff'),
('0303', '03', '宠物纠纷', 'Pet dispute', 'dispute', 30, 'working_days', 'community_staff'),
('0304', '03', '家庭矛盾', 'Family conflict', 'dispute', 30, 'working_days', 'social_organisation'),
('04', NULL, '物业服务', 'Property services', 'problem', 5, 'working_days', 'property_company'),
('0401', '04', '保洁不到位', 'Cleaning not done', 'problem', 2, 'working_days', 'property_company'),
('0402', '04', '绿化养护', 'Green space care', 'problem', 5, 'working_days', 'property_company'),
('0403', '04', '物业费争议', 'Service-fee query', 'problem', 3, 'working_days', 'community_staff'),
('05', NULL, '安全隐患', 'Safety hazards', 'problem', 4, 'calendar_hours', 'grid_worker'),
('0501', '05', '消防通道堵塞', 'Fire lane blocked', 'problem', 4, 'calendar_hours', 'grid_worker'),
('0502', '05', '电动车楼道充电', 'E-bike charging indoors', 'problem', 4, 'calendar_hours', 'grid_worker'),
('0503', '05', '高空抛物', 'Objects thrown from height', 'problem', 24, 'calendar_hours', 'community_staff'),
('06', NULL, '违章搭建', 'Illegal building work', 'problem', 5, 'working_days', 'community_staff'),
('07', NULL, '噪音扰民', 'Noise nuisance', 'problem', 8, 'working_hours', 'grid_worker'),
('08', NULL, '停车秩序', 'Parking', 'problem', 8, 'working_hours', 'property_company'),
('09', NULL, '政策咨询', 'Policy enquiry', 'problem', 3, 'working_days', 'community_staff'),
('10', NULL, '关爱帮扶', 'Care and help', 'problem', 3, 'working_days', 'social_organisation');

-- Days that break the weekly pattern: public holidays on weekdays, and worked weekends
-- (调休). Edited by the operator; the seed is the State Council's 2026 schedule (check it
-- against the notice and add each new year's when it is published).
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    -- holiday or workday
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);
INSERT INTO calendar_days (day, kind, name) VALUES
('2026-01-01', 'holiday', '元旦'), ('2026-01-02', 'holiday', '元旦'), ('2026-01-04', 'workday', '元旦调休'),
('2026-02-16', 'holiday', '春节'), ('2026-02-17', 'holiday', '春节'), ('2026-02-18', 'holiday', '春节'),
('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'), ('2026-02-23', 'holiday', '春节'),
('2026-02-14', 'workday', '春节调休'), ('2026-02-28', 'workday', '春节调休'),
('2026-04-06', 'holiday', '清明节'),
('2026-05-01', 'holiday', '劳动节'), ('2026-05-04', 'holiday', '劳动节'), ('2026-05-05', 'holiday', '劳动节'),
('2026-05-09', 'workday', '劳动节调休'),
('2026-06-19', 'holiday', '端午节'),
('2026-09-25', 'holiday', '中秋节'),
('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'), ('2026-10-05', 'holiday', '国庆节'),
('2026-10-06', 'holiday', '国庆节'), ('2026-10-07', 'holiday', '国庆节'),
('2026-09-20', 'workday', '国庆节调休'), ('2026-10-10', 'workday', '国庆节调休');

-- A case: where it is, what it is, who reported it and who holds it now. State, level
-- and the counters are what the last timeline event left; the timeline is the record.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    grid_id INTEGER REFERENCES grids (id),
    category_id INTEGER NOT NULL REFERENCES case_categories (id),
    -- resident, patrol, phone, visit, hotline, api, alarm
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    building_id INTEGER REFERENCES buildings (id),
    household_id INTEGER REFERENCES households (id),
    lon DOUBLE PRECISION,
    lat DOUBLE PRECISION,
    address TEXT NOT NULL DEFAULT '',
    reporter_account_id INTEGER REFERENCES accounts (id),
    reporter_name TEXT NOT NULL DEFAULT '',
    -- The reporter's name is hidden from everyone but staff.
    anonymous BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL,
    level TEXT NOT NULL,
    resume_to TEXT,
    suspended_at INTEGER,
    -- Bumped by every step: a step applies only to the version it was decided on.
    version INTEGER NOT NULL DEFAULT 0,
    -- Who must act now: an account (grid worker, staff) or a party (property company, social organisation).
    assignee_account_id INTEGER REFERENCES accounts (id),
    assignee_organisation_id INTEGER REFERENCES organisations (id),
    reported_at INTEGER NOT NULL,
    registered_at INTEGER,
    dispatched_at INTEGER,
    accepted_at INTEGER,
    closed_at INTEGER,
    deadline INTEGER,
    reworks INTEGER NOT NULL DEFAULT 0,
    extensions INTEGER NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    self_resolved BOOLEAN NOT NULL DEFAULT FALSE,
    rating INTEGER,
    rating_comment TEXT,
    -- A resubmitted report with the same key creates nothing new.
    idempotency_key TEXT,
    UNIQUE (community_id, idempotency_key)
);
CREATE INDEX cases_list ON cases (community_id, reported_at);
-- Counts by state (open, to register, to verify) read this index alone.
CREATE INDEX cases_state ON cases (community_id, state);
CREATE INDEX cases_grid ON cases (community_id, grid_id, reported_at);
CREATE INDEX cases_assignee ON cases (assignee_account_id, state);
CREATE INDEX cases_organisation ON cases (assignee_organisation_id, state);
CREATE INDEX cases_reporter ON cases (reporter_account_id, reported_at);
CREATE INDEX cases_deadline ON cases (community_id, deadline);
CREATE INDEX cases_closed ON cases (community_id, closed_at);

-- The timeline: append-only. Nothing updates or deletes a row of it (a trigger refuses).
CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    at INTEGER NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Photos of a report or of the handler's feedback: re-encoded (no location metadata), with a thumbnail.
CREATE TABLE case_photos (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    event_id INTEGER REFERENCES case_events (id),
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    thumbnail BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id);

CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN
    SELECT RAISE(ABORT, 'case_events is append-only');
END;
