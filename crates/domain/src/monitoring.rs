//! Remote monitoring (domain guide §5): what a device's message says, the rules of a
//! device profile, and how each rule moves between quiet and raised.
//!
//! A rule is evaluated one input at a time: a device's readings, its events, its online
//! state, and the clock's tick (for rules that fire on silence). The rule's state is
//! a small value the store keeps between inputs, so it survives a restart; the store
//! turns the rule's transitions into alarms.
//!
//! The six rule kinds of the guide are three conditions: a threshold (with its own clear
//! threshold) that may also have to hold for a duration, repeat a number of times in a row,
//! or fall inside a daily window (a schedule); an event; an absence; and offline.

use crate::FieldError;
use crate::worktime::china_time;
use chrono::NaiveTime;
use serde::{Deserialize, Deserializer, Serialize};

codes!(
    /// How bad an alarm is, worst first.
    Severity, "severity" {
        Critical => "critical",
        Major => "major",
        Minor => "minor",
        Warning => "warning",
    }
);

impl Severity {
    /// True when `self` is as bad as `floor` or worse.
    pub fn at_least(self, floor: Severity) -> bool {
        self.rank() >= floor.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Severity::Critical => 4,
            Severity::Major => 3,
            Severity::Minor => 2,
            Severity::Warning => 1,
        }
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Severity::parse(&raw).map_err(serde::de::Error::custom)
    }
}

codes!(
    /// The three MQTT topics of a device (`linli/{community}/{device}/{channel}`).
    Channel, "channel" {
        Telemetry => "telemetry",
        Event => "event",
        /// Retained `online`/`offline`, the latter also as the device's Last Will.
        State => "state",
    }
);

/// One named value of a message. Booleans are read as 1 and 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub key: String,
    pub value: f64,
}

/// A device's message, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// `ts` in UTC milliseconds when the device sent one.
    Telemetry {
        ts: Option<i64>,
        readings: Vec<Reading>,
    },
    Event {
        ts: Option<i64>,
        name: String,
    },
    State {
        online: bool,
    },
}

/// At most this many values in one message; longer keys are refused.
pub const MAX_READINGS: usize = 64;
const MAX_KEY: usize = 64;
/// Device timestamps must fall between 2000-01-01 and 2100-01-01 (milliseconds).
const TS_RANGE: std::ops::Range<i64> = 946_684_800_000..4_102_444_800_000;

impl Message {
    /// Reads a payload: telemetry as `{"ts": …, "values": {…}}` or a flat object (a `ts`
    /// key in it is the time), an event as `{"event": "name"}` (or `"type"`), a state as
    /// `online`/`offline` or `{"online": bool}`.
    pub fn parse(channel: Channel, payload: &[u8]) -> Result<Message, FieldError> {
        if channel == Channel::State {
            return match std::str::from_utf8(payload).map(str::trim) {
                Ok("online" | "1" | "true") => Ok(Message::State { online: true }),
                Ok("offline" | "0" | "false") => Ok(Message::State { online: false }),
                _ => match serde_json::from_slice::<serde_json::Value>(payload) {
                    Ok(serde_json::Value::Object(o)) => match o.get("online").and_then(serde_json::Value::as_bool) {
                        Some(online) => Ok(Message::State { online }),
                        None => Err(FieldError::new("payload", "error.payload.state")),
                    },
                    _ => Err(FieldError::new("payload", "error.payload.state")),
                },
            };
        }
        let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice::<serde_json::Value>(payload) else {
            return Err(FieldError::new("payload", "error.payload.json"));
        };
        let ts = match object.remove("ts") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(ts) if TS_RANGE.contains(&ts) => Some(ts),
                _ => return Err(FieldError::new("ts", "error.payload.ts")),
            },
        };
        if channel == Channel::Event {
            let name = object.get("event").or_else(|| object.get("type")).and_then(serde_json::Value::as_str);
            return match name.map(str::trim) {
                Some(n) if !n.is_empty() && n.len() <= MAX_KEY => Ok(Message::Event { ts, name: n.to_owned() }),
                _ => Err(FieldError::new("event", "error.payload.event")),
            };
        }
        let values = match object.remove("values") {
            Some(serde_json::Value::Object(values)) => values,
            Some(_) => return Err(FieldError::new("values", "error.payload.values")),
            None => object,
        };
        let mut readings = Vec::with_capacity(values.len());
        for (key, value) in values {
            let value = match value {
                serde_json::Value::Bool(b) => f64::from(u8::from(b)),
                serde_json::Value::Number(n) => match n.as_f64() {
                    Some(v) if v.is_finite() => v,
                    _ => return Err(FieldError::new("values", "error.payload.values")),
                },
                // Text and nested values are not telemetry; they are left out.
                _ => continue,
            };
            if key.is_empty() || key.len() > MAX_KEY {
                return Err(FieldError::new("values", "error.payload.values"));
            }
            readings.push(Reading { key, value });
        }
        if readings.is_empty() || readings.len() > MAX_READINGS {
            return Err(FieldError::new("values", "error.payload.values"));
        }
        Ok(Message::Telemetry { ts, readings })
    }
}

/// A daily window in China time; `from` after `to` spans midnight (22:00–06:00).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Window {
    pub fn contains(&self, utc_ms: i64) -> bool {
        let t = china_time(utc_ms).time();
        if self.from <= self.to { self.from <= t && t < self.to } else { t >= self.from || t < self.to }
    }
}

/// When a rule raises its alarm, and when the alarm clears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// A value at or past `raise` (above it, or below it with `below`) raises; the alarm
    /// clears only once the value is back past `clear`, so a value hovering at the line does
    /// not flap (hysteresis). Optionally the condition must hold `for_secs` (duration), be
    /// met `times` readings in a row (repeating), or count only inside `window` (schedule).
    Threshold {
        key: String,
        raise: f64,
        clear: f64,
        #[serde(default)]
        below: bool,
        #[serde(default)]
        for_secs: i64,
        #[serde(default = "one")]
        times: u32,
        #[serde(default)]
        window: Option<Window>,
    },
    /// An event raises; `clear_event` clears it, or, without one, only a person does.
    Event { event: String, clear_event: Option<String> },
    /// No reading of `key` above zero for `for_secs` while the device is online (an elderly
    /// resident's water meter that shows no use for a day). Silent while offline, and the
    /// count starts again when the device comes back.
    Absence { key: String, for_secs: i64 },
    /// The device went offline (its Last Will) or sent nothing for `after_secs`.
    Offline { after_secs: i64 },
}

fn one() -> u32 {
    1
}

/// One rule of a profile: the alarm type it raises, how bad, and which case category an
/// alarm opens (when its severity reaches the profile's floor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub alarm: String,
    pub severity: Severity,
    /// The case category's code.
    pub category: String,
    #[serde(flatten)]
    pub when: Condition,
}

/// What a rule remembers between inputs; stored as JSON beside the device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    #[serde(default)]
    pub active: bool,
    /// Since when the threshold has been met (duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// Readings in a row that met it (repeating).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub streak: u32,
    /// The last reading showing use, or when counting started (absence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_use: Option<i64>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One input to a rule.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Readings {
        ts: i64,
        readings: &'a [Reading],
    },
    Event {
        ts: i64,
        name: &'a str,
    },
    Online {
        ts: i64,
        online: bool,
    },
    /// The clock: `last_seen` is the device's last message.
    Tick {
        now: i64,
        online: bool,
        last_seen: Option<i64>,
    },
}

/// What a rule's alarm does after an input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transition {
    Raise {
        at: i64,
        value: Option<f64>,
    },
    /// Still raised and seen again: counts a repeat.
    Repeat {
        at: i64,
        value: Option<f64>,
    },
    Clear {
        at: i64,
    },
}

impl Rule {
    /// Moves the rule's state by one input and says what its alarm does, if anything.
    pub fn step(&self, state: &mut RuleState, input: Input<'_>) -> Option<Transition> {
        match (&self.when, input) {
            (
                Condition::Threshold { key, raise, clear, below, for_secs, times, window },
                Input::Readings { ts, readings },
            ) => {
                let value = readings.iter().find(|r| &r.key == key)?.value;
                let met =
                    if *below { value <= *raise } else { value >= *raise } && window.is_none_or(|w| w.contains(ts));
                if state.active {
                    let cleared = if *below { value > *clear } else { value < *clear };
                    if cleared {
                        *state = RuleState::default();
                        return Some(Transition::Clear { at: ts });
                    }
                    return met.then_some(Transition::Repeat { at: ts, value: Some(value) });
                }
                if !met {
                    state.since = None;
                    state.streak = 0;
                    return None;
                }
                let since = *state.since.get_or_insert(ts);
                state.streak = state.streak.saturating_add(1);
                (state.streak >= *times && ts - since >= for_secs * 1000).then(|| {
                    state.active = true;
                    Transition::Raise { at: ts, value: Some(value) }
                })
            }
            // A condition that holds long enough raises even if the device says nothing more.
            (Condition::Threshold { for_secs, times, window, .. }, Input::Tick { now, online: true, .. }) => {
                let since = state.since?;
                let due = !state.active
                    && *for_secs > 0
                    && state.streak >= *times
                    && now - since >= for_secs * 1000
                    && window.is_none_or(|w| w.contains(now));
                due.then(|| {
                    state.active = true;
                    Transition::Raise { at: now, value: None }
                })
            }
            (Condition::Event { event, clear_event }, Input::Event { ts, name }) => {
                if name == event {
                    let was = std::mem::replace(&mut state.active, true);
                    Some(if was {
                        Transition::Repeat { at: ts, value: None }
                    } else {
                        Transition::Raise { at: ts, value: None }
                    })
                } else if clear_event.as_deref() == Some(name) && state.active {
                    state.active = false;
                    Some(Transition::Clear { at: ts })
                } else {
                    None
                }
            }
            (Condition::Absence { key, .. }, Input::Readings { ts, readings }) => {
                let used = readings.iter().any(|r| &r.key == key && r.value > 0.0);
                if !used {
                    state.last_use.get_or_insert(ts);
                    return None;
                }
                state.last_use = Some(state.last_use.map_or(ts, |u| u.max(ts)));
                std::mem::take(&mut state.active).then_some(Transition::Clear { at: ts })
            }
            (Condition::Absence { .. }, Input::Online { ts, online: true }) => {
                // Back from offline: the silence while away says nothing about use.
                state.last_use = Some(state.last_use.map_or(ts, |u| u.max(ts)));
                None
            }
            (Condition::Absence { for_secs, .. }, Input::Tick { now, online: true, .. }) => {
                let last = *state.last_use.get_or_insert(now);
                (!state.active && now - last >= for_secs * 1000).then(|| {
                    state.active = true;
                    Transition::Raise { at: now, value: None }
                })
            }
            (Condition::Offline { .. }, Input::Online { ts, online }) => {
                let was = std::mem::replace(&mut state.active, !online);
                match (was, online) {
                    (false, false) => Some(Transition::Raise { at: ts, value: None }),
                    (true, true) => Some(Transition::Clear { at: ts }),
                    _ => None,
                }
            }
            (Condition::Offline { .. }, Input::Readings { ts, .. } | Input::Event { ts, .. }) => {
                std::mem::take(&mut state.active).then_some(Transition::Clear { at: ts })
            }
            (Condition::Offline { after_secs }, Input::Tick { now, last_seen: Some(seen), .. }) => {
                (!state.active && now - seen >= after_secs * 1000).then(|| {
                    state.active = true;
                    Transition::Raise { at: now, value: None }
                })
            }
            _ => None,
        }
    }

    /// True when only the clock can raise this rule (or move it on), so the timer visits it.
    pub fn needs_clock(&self) -> bool {
        match &self.when {
            Condition::Threshold { for_secs, .. } => *for_secs > 0,
            Condition::Event { .. } => false,
            Condition::Absence { .. } | Condition::Offline { .. } => true,
        }
    }

    /// True when a person must clear the alarm (an event without a clearing event).
    pub fn manual_clear(&self) -> bool {
        matches!(&self.when, Condition::Event { clear_event: None, .. })
    }
}

/// A cleared alarm that comes back before anyone acknowledged it is the same incident:
/// it is raised again, and after this many returns it is marked as flapping.
pub const FLAP_LIMIT: i64 = 3;

/// A device's code, unique in its community, as given (trimmed): it is the device's
/// segment of its MQTT topic (`linli/{community}/{code}/…`), so 1 to 64 bytes with no
/// space and none of MQTT's `/`, `+` and `#`.
pub fn device_code(raw: &str) -> Result<&str, FieldError> {
    let code = raw.trim();
    if code.is_empty() || code.len() > 64 || code.contains(['/', '+', '#']) || code.chars().any(char::is_whitespace) {
        return Err(FieldError::new("code", "error.device.code"));
    }
    Ok(code)
}

/// The case category of an alarm whose rule names none: facilities (设施设备).
pub const DEFAULT_ALARM_CATEGORY: &str = "02";

/// The case category an alarm's case goes in: the one its rule names.
pub fn alarm_category<'a>(rules: &'a [Rule], alarm: &str) -> &'a str {
    rules.iter().find(|r| r.alarm == alarm).map_or(DEFAULT_ALARM_CATEGORY, |r| r.category.as_str())
}

codes!(
    /// The four states of an alarm: active or cleared, unacknowledged or acknowledged.
    AlarmStatus, "status" {
        ActiveUnack => "active_unack",
        ActiveAck => "active_ack",
        ClearedUnack => "cleared_unack",
        ClearedAck => "cleared_ack",
    }
);

impl AlarmStatus {
    pub fn of(cleared: bool, acknowledged: bool) -> AlarmStatus {
        match (cleared, acknowledged) {
            (false, false) => AlarmStatus::ActiveUnack,
            (false, true) => AlarmStatus::ActiveAck,
            (true, false) => AlarmStatus::ClearedUnack,
            (true, true) => AlarmStatus::ClearedAck,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_device_code_is_one_segment_of_its_mqtt_topic() {
        assert_eq!(device_code(" smoke-3-101 "), Ok("smoke-3-101"));
        for bad in ["", "   ", "a/b", "a+b", "a#", "a b", &"x".repeat(65)] {
            assert_eq!(device_code(bad).unwrap_err().key, "error.device.code", "{bad:?}");
        }
    }

    #[test]
    fn an_alarms_case_goes_in_the_category_its_rule_names_or_facilities() {
        let rule: Rule = serde_json::from_str(
            r#"{"alarm": "smoke", "severity": "critical", "category": "05", "kind": "event", "event": "smoke"}"#,
        )
        .unwrap();
        assert_eq!(alarm_category(std::slice::from_ref(&rule), "smoke"), "05");
        assert_eq!(alarm_category(&[rule], "offline"), DEFAULT_ALARM_CATEGORY);
    }

    const MIN: i64 = 60_000;
    const T0: i64 = 1_790_000_000_000;

    fn rule(json: &str) -> Rule {
        serde_json::from_str(json).unwrap()
    }

    fn reading(key: &str, value: f64) -> Vec<Reading> {
        vec![Reading { key: key.into(), value }]
    }

    fn feed(rule: &Rule, state: &mut RuleState, ts: i64, key: &str, value: f64) -> Option<Transition> {
        rule.step(state, Input::Readings { ts, readings: &reading(key, value) })
    }

    #[test]
    fn payloads_in_both_shapes_and_bad_ones_name_the_field() {
        let nested =
            Message::parse(Channel::Telemetry, br#"{"ts": 1790000000000, "values": {"co": 12.5, "smoke": true}}"#);
        assert_eq!(
            nested.unwrap(),
            Message::Telemetry {
                ts: Some(1_790_000_000_000),
                readings: vec![Reading { key: "co".into(), value: 12.5 }, Reading { key: "smoke".into(), value: 1.0 }],
            }
        );
        let flat = Message::parse(Channel::Telemetry, br#"{"flow": 0, "label": "kitchen"}"#).unwrap();
        assert_eq!(flat, Message::Telemetry { ts: None, readings: reading("flow", 0.0) });
        assert_eq!(Message::parse(Channel::Telemetry, b"not json").unwrap_err().field, "payload");
        assert_eq!(Message::parse(Channel::Telemetry, br#"{"ts": 12, "t": 1}"#).unwrap_err().field, "ts");
        assert_eq!(Message::parse(Channel::Telemetry, br#"{"values": 3}"#).unwrap_err().field, "values");
        assert_eq!(Message::parse(Channel::Telemetry, br#"{"label": "x"}"#).unwrap_err().field, "values");
        assert_eq!(
            Message::parse(Channel::Event, br#"{"event": "thrown_object"}"#).unwrap(),
            Message::Event { ts: None, name: "thrown_object".into() }
        );
        assert_eq!(Message::parse(Channel::Event, br#"{"x": 1}"#).unwrap_err().field, "event");
        assert_eq!(Message::parse(Channel::State, b"offline").unwrap(), Message::State { online: false });
        assert_eq!(Message::parse(Channel::State, br#"{"online": true}"#).unwrap(), Message::State { online: true });
        assert_eq!(Message::parse(Channel::State, b"maybe").unwrap_err().field, "payload");
    }

    #[test]
    fn a_threshold_clears_only_past_its_own_clear_line() {
        let gas = rule(
            r#"{"alarm": "gas", "severity": "critical", "category": "05", "kind": "threshold", "key": "lel", "raise": 20, "clear": 10}"#,
        );
        let mut s = RuleState::default();
        assert_eq!(feed(&gas, &mut s, T0, "lel", 5.0), None);
        assert_eq!(feed(&gas, &mut s, T0 + 1, "lel", 25.0), Some(Transition::Raise { at: T0 + 1, value: Some(25.0) }));
        assert_eq!(feed(&gas, &mut s, T0 + 2, "lel", 15.0), None, "between the lines: still raised, no repeat");
        assert_eq!(feed(&gas, &mut s, T0 + 3, "lel", 22.0), Some(Transition::Repeat { at: T0 + 3, value: Some(22.0) }));
        assert_eq!(feed(&gas, &mut s, T0 + 4, "lel", 9.0), Some(Transition::Clear { at: T0 + 4 }));
        assert_eq!(feed(&gas, &mut s, T0 + 5, "other", 99.0), None, "a reading of another key is ignored");
    }

    #[test]
    fn a_duration_raises_on_a_later_reading_or_on_the_clock() {
        let lane = rule(
            r#"{"alarm": "fire_lane", "severity": "major", "category": "0501", "kind": "threshold", "key": "occupied", "raise": 1, "clear": 1, "for_secs": 600}"#,
        );
        let mut s = RuleState::default();
        assert_eq!(feed(&lane, &mut s, T0, "occupied", 1.0), None);
        assert_eq!(feed(&lane, &mut s, T0 + 5 * MIN, "occupied", 1.0), None);
        let tick = |now| Input::Tick { now, online: true, last_seen: Some(T0) };
        assert_eq!(lane.step(&mut s.clone(), tick(T0 + 9 * MIN)), None);
        assert_eq!(lane.step(&mut s, tick(T0 + 10 * MIN)), Some(Transition::Raise { at: T0 + 10 * MIN, value: None }));
        // A car that leaves before the time resets the count.
        let mut s = RuleState::default();
        feed(&lane, &mut s, T0, "occupied", 1.0);
        feed(&lane, &mut s, T0 + 4 * MIN, "occupied", 0.0);
        assert_eq!(feed(&lane, &mut s, T0 + 11 * MIN, "occupied", 1.0), None);
        assert_eq!(lane.step(&mut s, tick(T0 + 15 * MIN)), None);
    }

    #[test]
    fn a_repeating_rule_needs_its_readings_in_a_row() {
        let lift = rule(
            r#"{"alarm": "lift_fault", "severity": "major", "category": "0202", "kind": "threshold", "key": "fault", "raise": 1, "clear": 1, "times": 3}"#,
        );
        let mut s = RuleState::default();
        assert_eq!(feed(&lift, &mut s, T0, "fault", 1.0), None);
        assert_eq!(feed(&lift, &mut s, T0 + 1, "fault", 1.0), None);
        assert_eq!(feed(&lift, &mut s, T0 + 2, "fault", 0.0), None);
        assert_eq!(feed(&lift, &mut s, T0 + 3, "fault", 1.0), None);
        assert_eq!(feed(&lift, &mut s, T0 + 4, "fault", 1.0), None);
        assert!(matches!(feed(&lift, &mut s, T0 + 5, "fault", 1.0), Some(Transition::Raise { .. })));
        assert_eq!(feed(&lift, &mut s, T0 + 6, "fault", 0.0), Some(Transition::Clear { at: T0 + 6 }));
    }

    #[test]
    fn a_schedule_counts_only_inside_its_window() {
        let door = rule(
            r#"{"alarm": "door_held", "severity": "minor", "category": "0204", "kind": "threshold", "key": "open", "raise": 1, "clear": 1, "window": {"from": "22:00:00", "to": "06:00:00"}}"#,
        );
        let at = |h, m| {
            crate::worktime::utc_ms(
                chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(h, m, 0).unwrap(),
            )
        };
        let (afternoon, night) = (at(14, 0), at(23, 30));
        let mut s = RuleState::default();
        assert_eq!(feed(&door, &mut s, afternoon, "open", 1.0), None);
        assert!(matches!(feed(&door, &mut s, night, "open", 1.0), Some(Transition::Raise { .. })));
    }

    #[test]
    fn absence_fires_after_a_silent_day_but_not_while_offline() {
        let meter = rule(
            r#"{"alarm": "no_water_use", "severity": "major", "category": "10", "kind": "absence", "key": "flow", "for_secs": 86400}"#,
        );
        let day = 24 * 60 * MIN;
        let mut s = RuleState::default();
        assert_eq!(feed(&meter, &mut s, T0, "flow", 3.0), None);
        assert_eq!(feed(&meter, &mut s, T0 + 60 * MIN, "flow", 0.0), None, "a zero reading is not use");
        let tick = |now, online| Input::Tick { now, online, last_seen: Some(now) };
        assert_eq!(meter.step(&mut s, tick(T0 + day - 1, true)), None);
        assert_eq!(meter.step(&mut s.clone(), tick(T0 + 2 * day, false)), None, "offline: silent");
        assert_eq!(meter.step(&mut s, tick(T0 + day, true)), Some(Transition::Raise { at: T0 + day, value: None }));
        assert_eq!(meter.step(&mut s, tick(T0 + day + 1, true)), None, "raised once");
        assert_eq!(feed(&meter, &mut s, T0 + day + 5, "flow", 1.0), Some(Transition::Clear { at: T0 + day + 5 }));
        // Back from two days offline: the count starts again.
        let mut s = RuleState { last_use: Some(T0), ..RuleState::default() };
        assert_eq!(meter.step(&mut s, Input::Online { ts: T0 + 2 * day, online: true }), None);
        assert_eq!(meter.step(&mut s, tick(T0 + 2 * day + 1, true)), None);
    }

    #[test]
    fn offline_by_last_will_or_by_silence_and_back() {
        let offline = rule(
            r#"{"alarm": "offline", "severity": "warning", "category": "02", "kind": "offline", "after_secs": 900}"#,
        );
        let mut s = RuleState::default();
        assert_eq!(
            offline.step(&mut s, Input::Online { ts: T0, online: false }),
            Some(Transition::Raise { at: T0, value: None })
        );
        assert_eq!(offline.step(&mut s, Input::Online { ts: T0 + 1, online: false }), None);
        assert_eq!(
            offline.step(&mut s, Input::Online { ts: T0 + 2, online: true }),
            Some(Transition::Clear { at: T0 + 2 })
        );
        let tick = |now| Input::Tick { now, online: true, last_seen: Some(T0) };
        assert_eq!(offline.step(&mut s, tick(T0 + 14 * MIN)), None);
        assert!(matches!(offline.step(&mut s, tick(T0 + 15 * MIN)), Some(Transition::Raise { .. })));
        assert_eq!(feed(&offline, &mut s, T0 + 16 * MIN, "x", 1.0), Some(Transition::Clear { at: T0 + 16 * MIN }));
    }

    #[test]
    fn an_event_without_a_clearing_event_waits_for_a_person() {
        let thrown = rule(
            r#"{"alarm": "thrown_object", "severity": "major", "category": "0503", "kind": "event", "event": "thrown_object"}"#,
        );
        assert!(thrown.manual_clear());
        let mut s = RuleState::default();
        let ev = |ts, name| Input::Event { ts, name };
        assert!(matches!(thrown.step(&mut s, ev(T0, "thrown_object")), Some(Transition::Raise { .. })));
        assert!(matches!(thrown.step(&mut s, ev(T0 + 1, "thrown_object")), Some(Transition::Repeat { .. })));
        assert_eq!(thrown.step(&mut s, ev(T0 + 2, "all_clear")), None);
        let smoke = rule(
            r#"{"alarm": "smoke", "severity": "critical", "category": "05", "kind": "event", "event": "smoke", "clear_event": "smoke_clear"}"#,
        );
        assert!(!smoke.manual_clear());
    }

    #[test]
    fn severities_compare_worst_first() {
        assert!(Severity::Critical.at_least(Severity::Major));
        assert!(Severity::Major.at_least(Severity::Major));
        assert!(!Severity::Warning.at_least(Severity::Minor));
        assert!(serde_json::from_str::<Severity>("\"fatal\"").is_err());
    }
}
