-- Remote monitoring (domain guide §5): device profiles with their rules, devices in the
-- registry, every accepted message, telemetry (raw, then hourly), each rule's state, and
-- alarms that open cases.

-- A profile is a kind of device and its rules (JSON, `linli_domain::monitoring::Rule`).
-- Alarms at or above `case_severity` open a case.
CREATE TABLE device_profiles (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    rules TEXT NOT NULL,
    case_severity TEXT NOT NULL DEFAULT 'major'
);

INSERT INTO device_profiles (code, name_zh, name_en, rules, case_severity) VALUES
('smoke_detector', '烟感探测器', 'Smoke detector', '[
  {"alarm": "smoke", "severity": "critical", "category": "05", "kind": "threshold", "key": "smoke", "raise": 1, "clear": 1},
  {"alarm": "low_battery", "severity": "warning", "category": "02", "kind": "threshold", "key": "battery", "raise": 15, "clear": 25, "below": true},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 3600}
]', 'major'),
('gas_detector', '燃气探测器', 'Gas detector', '[
  {"alarm": "gas", "severity": "critical", "category": "05", "kind": "threshold", "key": "lel", "raise": 25, "clear": 10, "for_secs": 10},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 3600}
]', 'major'),
('water_leak', '水浸传感器', 'Water-leak sensor', '[
  {"alarm": "water_leak", "severity": "major", "category": "0203", "kind": "threshold", "key": "leak", "raise": 1, "clear": 1},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 3600}
]', 'major'),
('water_level', '水位传感器', 'Water-level sensor', '[
  {"alarm": "high_water", "severity": "major", "category": "02", "kind": "threshold", "key": "level", "raise": 80, "clear": 60, "times": 2},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 3600}
]', 'major'),
('elder_water_meter', '独居老人水表', 'Water meter (elderly living alone)', '[
  {"alarm": "no_water_use", "severity": "major", "category": "10", "kind": "absence", "key": "flow", "for_secs": 86400},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 7200}
]', 'major'),
('elevator', '电梯控制器', 'Lift controller', '[
  {"alarm": "lift_fault", "severity": "major", "category": "0202", "kind": "threshold", "key": "fault", "raise": 1, "clear": 1},
  {"alarm": "entrapment", "severity": "critical", "category": "0202", "kind": "event", "event": "entrapment", "clear_event": "released"},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 1800}
]', 'major'),
('fire_lane_camera', '消防通道摄像头', 'Fire-lane camera', '[
  {"alarm": "fire_lane_blocked", "severity": "major", "category": "0501", "kind": "threshold", "key": "occupied", "raise": 1, "clear": 1, "for_secs": 600},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 1800}
]', 'major'),
('thrown_object_camera', '高空抛物摄像头', 'Thrown-object camera', '[
  {"alarm": "thrown_object", "severity": "major", "category": "0503", "kind": "event", "event": "thrown_object"},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 1800}
]', 'major'),
('door_access', '门禁', 'Door access', '[
  {"alarm": "door_forced", "severity": "minor", "category": "0204", "kind": "event", "event": "forced"},
  {"alarm": "door_held_open", "severity": "warning", "category": "0204", "kind": "threshold", "key": "open", "raise": 1, "clear": 1, "for_secs": 300, "window": {"from": "22:00:00", "to": "06:00:00"}},
  {"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 3600}
]', 'major');

-- A device where it is (a building, and a room, household or resident when it belongs to
-- one: an elderly resident's water meter). `code` names it in MQTT topics. The token for
-- HTTP ingestion is kept only as its SHA-256.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    community_id INTEGER NOT NULL REFERENCES communities (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    profile_id INTEGER NOT NULL REFERENCES device_profiles (id),
    building_id INTEGER REFERENCES buildings (id),
    room TEXT NOT NULL DEFAULT '',
    household_id INTEGER REFERENCES households (id) ON DELETE SET NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    token_hash TEXT UNIQUE,
    online BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (community_id, code)
);
CREATE INDEX devices_building ON devices (building_id);

-- Every accepted message, written before it is acknowledged. A redelivery has the same
-- key (device, a hash of the payload, and its time), so it changes nothing.
CREATE TABLE device_messages (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    msg_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (device_id, msg_key)
);
CREATE INDEX device_messages_received ON device_messages (received_at);

-- Raw telemetry, kept for the retention period; then summed per hour.
CREATE TABLE telemetry (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, key, ts)
);

CREATE TABLE telemetry_hourly (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    hour INTEGER NOT NULL,
    n INTEGER NOT NULL,
    total DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, key, hour)
);

-- Each device's last value per key.
CREATE TABLE device_values (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (device_id, key)
);

-- What each rule remembers (JSON, `linli_domain::monitoring::RuleState`): survives a restart.
CREATE TABLE rule_states (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    alarm TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, alarm)
);

-- An alarm: one open per (device, alarm type), open until it is both cleared and
-- acknowledged. A repeat counts; a return before acknowledgement counts as a flap.
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id),
    community_id INTEGER NOT NULL REFERENCES communities (id),
    building_id INTEGER REFERENCES buildings (id),
    alarm TEXT NOT NULL,
    severity TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    repeats INTEGER NOT NULL DEFAULT 0,
    flaps INTEGER NOT NULL DEFAULT 0,
    value DOUBLE PRECISION,
    cleared_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES accounts (id),
    closed BOOLEAN NOT NULL DEFAULT FALSE,
    -- The severity reached the profile's floor: the alarm must have a case.
    wants_case BOOLEAN NOT NULL DEFAULT FALSE,
    case_id INTEGER REFERENCES cases (id)
);
CREATE UNIQUE INDEX alarms_open ON alarms (device_id, alarm) WHERE closed = FALSE;
CREATE INDEX alarms_board ON alarms (community_id, closed);
CREATE INDEX alarms_case ON alarms (case_id);
CREATE INDEX alarms_wanting_case ON alarms (id) WHERE wants_case = TRUE AND case_id IS NULL;

-- What happened to an alarm, for its history: raised, raised_again, cleared, acknowledged.
CREATE TABLE alarm_events (
    id INTEGER PRIMARY KEY,
    alarm_id INTEGER NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    value DOUBLE PRECISION
);
CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, id);
