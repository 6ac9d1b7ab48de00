//! Remote monitoring in the database: devices and their profiles, ingestion of device
//! messages (stored and evaluated in one transaction, a redelivery changing nothing),
//! the clock's rounds for rules that fire on silence, alarms, and the cases alarms open.
//!
//! The rules themselves are in [`linli_domain::monitoring`]; this module keeps their
//! state in `rule_states` and turns their transitions into `alarms` rows.

mod alarms;
mod clock;
mod ingest;
mod telemetry;

use crate::crypto::{random_token, token_hash};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use linli_domain::case::Event;
use linli_domain::monitoring::{Channel, Input, Message, Rule, RuleState, Severity, Transition};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

/// Marks a device's HTTP ingestion token.
pub const DEVICE_TOKEN_PREFIX: &str = "dev_";
/// A message without its own time is a redelivery only within this window of the first.
pub const UNTIMED_DEDUPE_MS: i64 = 10 * 60_000;
/// How many devices one round of the clock looks at per transaction.
const TICK_CHUNK: i64 = 500;

/// A kind of device and its rules.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub rules: Vec<Rule>,
    /// Alarms at this severity or worse open a case.
    pub case_severity: Severity,
}

/// A device to register.
#[derive(Debug, Clone, Default)]
pub struct NewDevice {
    pub community_id: i64,
    pub code: String,
    pub name: String,
    pub profile_code: String,
    pub building_id: Option<i64>,
    pub room: String,
    pub household_id: Option<i64>,
    pub resident_id: Option<i64>,
}

/// A device as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub community_id: i64,
    pub code: String,
    pub name: String,
    pub profile_code: String,
    pub profile_zh: String,
    pub profile_en: String,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub room: String,
    pub resident_id: Option<i64>,
    /// The grid of the device's building.
    pub grid_id: Option<i64>,
    /// Tied to a resident or a household (a home): personal data.
    pub personal: bool,
    pub online: bool,
    pub last_seen: Option<i64>,
    /// Alarms not yet both cleared and acknowledged.
    pub open_alarms: i64,
}

/// A device's last value of one key.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LastValue {
    pub key: String,
    pub ts: i64,
    pub value: f64,
}

/// An alarm as the board shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AlarmRow {
    pub id: i64,
    pub device_id: i64,
    pub device_code: String,
    pub device_name: String,
    pub community_id: i64,
    pub building_id: Option<i64>,
    pub building_name: Option<String>,
    pub room: String,
    /// The grid of the alarm's building.
    pub grid_id: Option<i64>,
    /// Raised by a device tied to a resident or a household.
    pub personal: bool,
    pub alarm: String,
    #[sqlx(try_from = "String")]
    pub severity: Severity,
    pub raised_at: i64,
    pub last_seen: i64,
    pub repeats: i64,
    pub flaps: i64,
    pub value: Option<f64>,
    pub cleared_at: Option<i64>,
    pub acknowledged_at: Option<i64>,
    pub closed: bool,
    pub case_id: Option<i64>,
}

impl AlarmRow {
    /// Where the alarm stands: active or cleared, acknowledged or not.
    pub fn status(&self) -> linli_domain::monitoring::AlarmStatus {
        linli_domain::monitoring::AlarmStatus::of(self.cleared_at.is_some(), self.acknowledged_at.is_some())
    }

    pub fn flapping(&self) -> bool {
        self.flaps >= linli_domain::monitoring::FLAP_LIMIT
    }
}

/// Which device a message is from: its topic's community and device codes (MQTT), or the
/// device an HTTP token named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceRef {
    Topic { community: String, device: String },
    Id(i64),
}

/// A message as it arrived.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub device: DeviceRef,
    pub channel: Channel,
    pub payload: Vec<u8>,
    pub received_at: i64,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stored,
    /// Already stored: a redelivery.
    Duplicate,
    UnknownDevice,
    Malformed(FieldError),
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::UnknownDevice => "unknown_device",
            Outcome::Malformed(_) => "malformed",
        }
    }
}

/// The result of a batch or of a round of the clock.
#[derive(Debug, Default)]
pub struct Ingested {
    pub outcomes: Vec<Outcome>,
    /// Communities whose alarms changed (for the live board).
    pub communities: BTreeSet<i64>,
    /// Alarms raised or raised again.
    pub raised: Vec<i64>,
    /// Cases opened for new alarms after the batch.
    pub cases: Vec<i64>,
}

/// A point of a chart: one bucket's low, mean and high.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesPoint {
    pub ts: i64,
    pub low: f64,
    pub mean: f64,
    pub high: f64,
}

/// The device a message names, resolved in the transaction.
#[derive(Clone, Copy, sqlx::FromRow)]
struct Target {
    id: i64,
    community_id: i64,
    building_id: Option<i64>,
    profile_id: i64,
    online: bool,
    last_seen: Option<i64>,
}

/// The key that makes a redelivery a no-op: the payload's hash with its own time, or with
/// a window of the arrival time when it has none.
fn message_key(channel: Channel, payload: &[u8], ts: Option<i64>, received_at: i64) -> String {
    let mut hash = Sha256::new();
    hash.update(channel.as_str().as_bytes());
    hash.update([0]);
    hash.update(payload);
    let digest = hex::encode(&hash.finalize()[..16]);
    match ts {
        Some(_) => digest,
        None => format!("{digest}@{}", received_at / UNTIMED_DEDUPE_MS),
    }
}

/// Inputs a message gives the rules: a device heard from after being offline is online.
fn inputs_of<'a>(message: &'a Message, ts: i64, was_online: bool) -> Vec<Input<'a>> {
    let mut inputs = Vec::with_capacity(2);
    let back = !was_online && !matches!(message, Message::State { .. });
    if back {
        inputs.push(Input::Online { ts, online: true });
    }
    match message {
        Message::Telemetry { readings, .. } => inputs.push(Input::Readings { ts, readings }),
        Message::Event { name, .. } => inputs.push(Input::Event { ts, name }),
        Message::State { online } => inputs.push(Input::Online { ts, online: *online }),
    }
    inputs
}

/// A device (`d`) tied to a resident or a household (a home) is personal data. Its `room`
/// is a place in the building (`1单元楼道`, `地下泵房`), which is not.
macro_rules! personal_device {
    () => {
        "(d.resident_id IS NOT NULL OR d.household_id IS NOT NULL) AS personal"
    };
}

const DEVICE_COLUMNS: &str = concat!(
    "d.id, d.community_id, d.code, d.name, p.code AS profile_code, p.name_zh AS profile_zh, \
     p.name_en AS profile_en, d.building_id, b.name AS building_name, d.room, d.resident_id, b.grid_id, ",
    personal_device!(),
    ", d.online, d.last_seen, \
     (SELECT COUNT(*) FROM alarms a WHERE a.device_id = d.id AND a.closed = FALSE) AS open_alarms \
     FROM devices d JOIN device_profiles p ON p.id = d.profile_id LEFT JOIN buildings b ON b.id = d.building_id"
);

const ALARM_COLUMNS: &str = concat!(
    "a.id, a.device_id, d.code AS device_code, d.name AS device_name, a.community_id, \
     a.building_id, b.name AS building_name, d.room, b.grid_id, ",
    personal_device!(),
    ", a.alarm, a.severity, a.raised_at, a.last_seen, a.repeats, a.flaps, \
     a.value, a.cleared_at, a.acknowledged_at, a.closed, a.case_id \
     FROM alarms a JOIN devices d ON d.id = a.device_id LEFT JOIN buildings b ON b.id = a.building_id"
);

impl Store {
    /// Every device profile with its parsed rules.
    pub async fn device_profiles(&self) -> StoreResult<Vec<Profile>> {
        let rows: Vec<(i64, String, String, String, String, String)> = read!(self, |db| sqlx::query_as(
            "SELECT id, code, name_zh, name_en, rules, case_severity FROM device_profiles ORDER BY id"
        )
        .fetch_all(db)
        .await?);
        rows.into_iter()
            .map(|(id, code, name_zh, name_en, rules, floor)| {
                let rules: Vec<Rule> = serde_json::from_str(&rules)
                    .map_err(|e| StoreError::Config(format!("device profile {code}: bad rules: {e}")))?;
                let case_severity = Severity::parse(&floor).map_err(StoreError::Invalid)?;
                Ok(Profile { id, code, name_zh, name_en, rules, case_severity })
            })
            .collect()
    }

    /// Registers a device; returns its id and its HTTP ingestion token (shown once).
    pub async fn register_device(&self, new: &NewDevice) -> StoreResult<(i64, String)> {
        let code = linli_domain::monitoring::device_code(&new.code).map_err(StoreError::Invalid)?;
        let name = new.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("name", "error.required")));
        }
        let profile = self
            .device_profiles()
            .await?
            .into_iter()
            .find(|p| p.code == new.profile_code)
            .ok_or(StoreError::Invalid(FieldError::new("profile", "error.choice")))?;
        if let Some(building) = new.building_id {
            let community: Option<i64> =
                read!(self, |db| sqlx::query_scalar("SELECT community_id FROM buildings WHERE id = $1")
                    .bind(building)
                    .fetch_optional(db)
                    .await?);
            if community != Some(new.community_id) {
                return Err(StoreError::Invalid(FieldError::new("building", "error.choice")));
            }
        }
        let token = format!("{DEVICE_TOKEN_PREFIX}{}", random_token());
        let id: i64 = transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO devices (community_id, code, name, profile_id, building_id, room, household_id, resident_id, \
                 token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(new.community_id)
            .bind(code)
            .bind(name)
            .bind(profile.id)
            .bind(new.building_id)
            .bind(new.room.trim())
            .bind(new.household_id)
            .bind(new.resident_id)
            .bind(token_hash(&token))
            .bind(now_ms())
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("code"))?
        })?;
        Ok((id, token))
    }

    /// The community's devices, by building and code.
    pub async fn devices(&self, community_id: i64) -> StoreResult<Vec<DeviceRow>> {
        let sql = format!("SELECT {DEVICE_COLUMNS} WHERE d.community_id = $1 ORDER BY d.building_id, d.code");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn device(&self, id: i64) -> StoreResult<DeviceRow> {
        let sql = format!("SELECT {DEVICE_COLUMNS} WHERE d.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The device's last value of each key.
    pub async fn device_values(&self, id: i64) -> StoreResult<Vec<LastValue>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT key, ts, value FROM device_values WHERE device_id = $1 ORDER BY key"
        )
        .bind(id)
        .fetch_all(db)
        .await?))
    }

    /// The device an HTTP ingestion token belongs to.
    pub async fn device_by_token(&self, token: &str) -> StoreResult<Option<i64>> {
        if !token.starts_with(DEVICE_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(read!(self, |db| sqlx::query_scalar("SELECT id FROM devices WHERE token_hash = $1")
            .bind(token_hash(token))
            .fetch_optional(db)
            .await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redelivery_has_the_same_key_and_an_untimed_repeat_later_does_not() {
        let payload = br#"{"flow": 1}"#;
        let t = 1_790_000_000_000;
        assert_eq!(
            message_key(Channel::Telemetry, payload, None, t),
            message_key(Channel::Telemetry, payload, None, t + 1)
        );
        assert_ne!(
            message_key(Channel::Telemetry, payload, None, t),
            message_key(Channel::Telemetry, payload, None, t + UNTIMED_DEDUPE_MS)
        );
        assert_ne!(
            message_key(Channel::Telemetry, payload, Some(t), t),
            message_key(Channel::Event, payload, Some(t), t)
        );
    }
}
