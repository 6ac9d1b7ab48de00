//! Remote monitoring in the database: devices and their profiles, ingestion of device
//! messages (stored and evaluated in one transaction, a redelivery changing nothing),
//! the clock's rounds for rules that fire on silence, alarms, and the cases alarms open.
//!
//! The rules themselves are in [`linli_domain::monitoring`]; this module keeps their
//! state in `rule_states` and turns their transitions into `alarms` rows.

use crate::crypto::{random_token, token_hash};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use linli_domain::case::{Event, State};
use linli_domain::monitoring::{Channel, Input, Message, Rule, RuleState, Severity, Transition};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

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
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct LastValue {
    pub key: String,
    pub ts: i64,
    pub value: f64,
}

/// An alarm as the board shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
    pub severity: String,
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
    /// `active_unack`, `active_ack`, `cleared_unack` or `cleared_ack`.
    pub fn status(&self) -> &'static str {
        linli_domain::monitoring::alarm_status(self.cleared_at.is_some(), self.acknowledged_at.is_some())
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

/// Runs `inputs` through every rule of `profile` for `target` in a transaction: loads
/// the rules' states, writes those that changed, and turns transitions into alarm rows.
/// Adds the community to `out.communities` and raised alarms to `out.raised`.
async fn evaluate(
    tx: &mut crate::Tx,
    target: &Target,
    profile: &Profile,
    inputs: &[Input<'_>],
    now: i64,
    out: &mut Ingested,
) -> StoreResult<()> {
    let stored: Vec<(String, String)> =
        crate::on!(tx, |c| sqlx::query_as("SELECT alarm, state FROM rule_states WHERE device_id = $1")
            .bind(target.id)
            .fetch_all(c)
            .await)?;
    let mut states: HashMap<String, RuleState> =
        stored.into_iter().map(|(a, s)| (a, serde_json::from_str(&s).unwrap_or_default())).collect();
    for rule in &profile.rules {
        let before = states.get(&rule.alarm).cloned().unwrap_or_default();
        let mut state = before.clone();
        let mut transitions = Vec::new();
        for input in inputs.iter() {
            if let Some(t) = rule.step(&mut state, *input) {
                transitions.push(t);
            }
        }
        if state != before {
            crate::on!(tx, |c| sqlx::query(
                "INSERT INTO rule_states (device_id, alarm, state, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (device_id, alarm) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            )
            .bind(target.id)
            .bind(&rule.alarm)
            .bind(serde_json::to_string(&state).unwrap_or_default())
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
            states.insert(rule.alarm.clone(), state);
        }
        for t in transitions {
            out.communities.insert(target.community_id);
            match t {
                Transition::Raise { at, value } => {
                    let open: Option<(i64, Option<i64>)> = crate::on!(tx, |c| sqlx::query_as(
                        "SELECT id, cleared_at FROM alarms WHERE device_id = $1 AND alarm = $2 AND closed = FALSE",
                    )
                    .bind(target.id)
                    .bind(&rule.alarm)
                    .fetch_optional(c)
                    .await)?;
                    let id: i64 = match open {
                        None => {
                            let id: i64 = crate::on!(tx, |c| {
                                sqlx::query_scalar(
                                "INSERT INTO alarms (device_id, community_id, building_id, alarm, severity, raised_at, \
                                 last_seen, value, wants_case) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING id",
                            )
                            .bind(target.id)
                            .bind(target.community_id)
                            .bind(target.building_id)
                            .bind(&rule.alarm)
                            .bind(rule.severity.as_str())
                            .bind(at)
                            .bind(value)
                            .bind(rule.severity.at_least(profile.case_severity))
                            .fetch_one(c)
                            .await
                            })?;
                            alarm_event(tx, id, at, "raised", None, value).await?;
                            id
                        }
                        // Cleared but nobody acknowledged it yet: the same incident, back.
                        Some((id, Some(_))) => {
                            crate::on!(tx, |c| sqlx::query(
                                "UPDATE alarms SET cleared_at = NULL, flaps = flaps + 1, repeats = repeats + 1, \
                                 last_seen = $2, value = COALESCE($3, value) WHERE id = $1",
                            )
                            .bind(id)
                            .bind(at)
                            .bind(value)
                            .execute(c)
                            .await
                            .map(|r| r.rows_affected()))?;
                            alarm_event(tx, id, at, "raised_again", None, value).await?;
                            id
                        }
                        Some((id, None)) => {
                            crate::on!(tx, |c| sqlx::query(
                                "UPDATE alarms SET repeats = repeats + 1, last_seen = $2, value = COALESCE($3, value) \
                                 WHERE id = $1",
                            )
                            .bind(id)
                            .bind(at)
                            .bind(value)
                            .execute(c)
                            .await
                            .map(|r| r.rows_affected()))?;
                            id
                        }
                    };
                    out.raised.push(id);
                }
                Transition::Repeat { at, value } => {
                    crate::on!(tx, |c| sqlx::query(
                        "UPDATE alarms SET repeats = repeats + 1, last_seen = $3, value = COALESCE($4, value) \
                         WHERE device_id = $1 AND alarm = $2 AND closed = FALSE AND cleared_at IS NULL",
                    )
                    .bind(target.id)
                    .bind(&rule.alarm)
                    .bind(at)
                    .bind(value)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                }
                Transition::Clear { at } => {
                    let cleared: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                        "UPDATE alarms SET cleared_at = $3, closed = (acknowledged_at IS NOT NULL) \
                         WHERE device_id = $1 AND alarm = $2 AND closed = FALSE AND cleared_at IS NULL RETURNING id",
                    )
                    .bind(target.id)
                    .bind(&rule.alarm)
                    .bind(at)
                    .fetch_optional(c)
                    .await)?;
                    if let Some(id) = cleared {
                        alarm_event(tx, id, at, "cleared", None, None).await?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Writes one line of an alarm's history.
async fn alarm_event(
    tx: &mut crate::Tx,
    alarm_id: i64,
    at: i64,
    kind: &str,
    account_id: Option<i64>,
    value: Option<f64>,
) -> StoreResult<()> {
    crate::on!(tx, |c| sqlx::query(
        "INSERT INTO alarm_events (alarm_id, at, kind, account_id, value) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(alarm_id)
    .bind(at)
    .bind(kind)
    .bind(account_id)
    .bind(value)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
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
        let code = new.code.trim();
        if code.is_empty() || code.len() > 64 || code.contains(['/', '+', '#']) || code.chars().any(char::is_whitespace)
        {
            return Err(StoreError::Invalid(FieldError::new("code", "error.device.code")));
        }
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

    /// Stores and evaluates a batch of messages in one transaction, then opens the cases
    /// of new alarms. A message already stored (a redelivery) changes nothing; an unknown
    /// device or a malformed payload is reported in its outcome and stops nothing. When
    /// this returns `Ok`, every stored message is durable and may be acknowledged.
    pub async fn ingest(&self, batch: &[Incoming]) -> StoreResult<Ingested> {
        let profiles: HashMap<i64, Profile> = self.device_profiles().await?.into_iter().map(|p| (p.id, p)).collect();
        let parsed: Vec<Result<Message, FieldError>> =
            batch.iter().map(|m| Message::parse(m.channel, &m.payload)).collect();
        let now = now_ms();
        let mut out = transaction!(self, |tx| {
            let mut out = Ingested::default();
            for (incoming, message) in batch.iter().zip(&parsed) {
                let message = match message {
                    Ok(m) => m,
                    Err(e) => {
                        out.outcomes.push(Outcome::Malformed(e.clone()));
                        continue;
                    }
                };
                let (msg_ts, readings) = match message {
                    Message::Telemetry { ts, readings } => (*ts, Some(readings)),
                    Message::Event { ts, .. } => (*ts, None),
                    Message::State { .. } => (None, None),
                };
                let ts = msg_ts.unwrap_or(incoming.received_at);
                // A no-op update returns the device as it was and, on PostgreSQL, takes its
                // row lock: two instances never evaluate one device's rules at once.
                let found: Option<Target> = match &incoming.device {
                    DeviceRef::Id(id) => crate::on!(tx, |c| sqlx::query_as(
                        "UPDATE devices SET online = online WHERE id = $1 \
                         RETURNING id, community_id, building_id, profile_id, online, last_seen",
                    )
                    .bind(*id)
                    .fetch_optional(c)
                    .await)?,
                    DeviceRef::Topic { community, device } => crate::on!(tx, |c| sqlx::query_as(
                        "UPDATE devices SET online = online \
                         WHERE code = $2 AND community_id = (SELECT id FROM communities WHERE code = $1) \
                         RETURNING id, community_id, building_id, profile_id, online, last_seen",
                    )
                    .bind(community)
                    .bind(device)
                    .fetch_optional(c)
                    .await)?,
                };
                let Some(target) = found else {
                    out.outcomes.push(Outcome::UnknownDevice);
                    continue;
                };
                let key = message_key(incoming.channel, &incoming.payload, msg_ts, incoming.received_at);
                let fresh = crate::on!(tx, |c| sqlx::query(
                    "INSERT INTO device_messages (device_id, msg_key, channel, ts, received_at, payload) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, msg_key) DO NOTHING",
                )
                .bind(target.id)
                .bind(&key)
                .bind(incoming.channel.as_str())
                .bind(ts)
                .bind(incoming.received_at)
                .bind(String::from_utf8_lossy(&incoming.payload).as_ref())
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?
                    == 1;
                if !fresh {
                    out.outcomes.push(Outcome::Duplicate);
                    continue;
                }
                let online = !matches!(message, Message::State { online: false });
                crate::on!(tx, |c| sqlx::query(
                    "UPDATE devices SET online = $2, \
                     last_seen = CASE WHEN $2 AND (last_seen IS NULL OR last_seen < $3) THEN $3 ELSE last_seen END \
                     WHERE id = $1",
                )
                .bind(target.id)
                .bind(online)
                .bind(ts)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                for r in readings.into_iter().flatten() {
                    crate::on!(tx, |c| sqlx::query(
                        "INSERT INTO telemetry (device_id, key, ts, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (device_id, key, ts) DO UPDATE SET value = excluded.value",
                    )
                    .bind(target.id)
                    .bind(&r.key)
                    .bind(ts)
                    .bind(r.value)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                    crate::on!(tx, |c| sqlx::query(
                        "INSERT INTO device_values (device_id, key, ts, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (device_id, key) DO UPDATE SET ts = excluded.ts, value = excluded.value \
                         WHERE excluded.ts >= device_values.ts",
                    )
                    .bind(target.id)
                    .bind(&r.key)
                    .bind(ts)
                    .bind(r.value)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                }
                if let Some(profile) = profiles.get(&target.profile_id) {
                    let inputs = inputs_of(message, ts, target.online);
                    evaluate(tx, &target, profile, &inputs, now, &mut out).await?;
                }
                out.outcomes.push(Outcome::Stored);
            }
            out
        })?;
        // Only a batch that raised alarms can have cases to open (the clock's round catches
        // any left over). The messages are stored: a case that cannot be opened now must not
        // make the caller store (or leave unacknowledged) the batch again.
        if out.raised.is_empty() {
            return Ok(out);
        }
        out.cases = self.open_alarm_cases().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "opening alarm cases failed; the clock will try again");
            Vec::new()
        });
        Ok(out)
    }
}

impl Store {
    /// One round of the clock at `now`: rules that fire on silence (absence, offline by
    /// silence, a duration that has run) are evaluated for every device whose profile has
    /// one. Tests pass their own `now`.
    pub async fn monitor_tick(&self, now: i64) -> StoreResult<Ingested> {
        let profiles: HashMap<i64, Profile> = self
            .device_profiles()
            .await?
            .into_iter()
            .filter(|p| p.rules.iter().any(Rule::needs_clock))
            .map(|p| (p.id, p))
            .collect();
        let mut out = Ingested::default();
        let mut after = 0_i64;
        loop {
            let devices: Vec<Target> = read!(self, |db| sqlx::query_as(
                "SELECT id, community_id, building_id, profile_id, online, last_seen FROM devices \
                 WHERE id > $1 ORDER BY id LIMIT $2"
            )
            .bind(after)
            .bind(TICK_CHUNK)
            .fetch_all(db)
            .await?);
            let Some(last) = devices.last() else { break };
            after = last.id;
            let watched: Vec<Target> = devices.into_iter().filter(|t| profiles.contains_key(&t.profile_id)).collect();
            if watched.is_empty() {
                continue;
            }
            out = transaction!(self, |tx| {
                for target in &watched {
                    if let Some(profile) = profiles.get(&target.profile_id) {
                        let inputs = [Input::Tick { now, online: target.online, last_seen: target.last_seen }];
                        evaluate(tx, target, profile, &inputs, now, &mut out).await?;
                    }
                }
                out
            })?;
        }
        out.cases = self.open_alarm_cases().await?;
        Ok(out)
    }

    /// Opens the case of every alarm that wants one and has none: routed to the grid of
    /// the device's building, in the category its rule names, registered and dispatched by
    /// the system. An alarm of the same type in the same building whose case is still open
    /// joins that case instead (grouping per building). Safe to repeat: the case's
    /// idempotency key is the alarm's.
    pub async fn open_alarm_cases(&self) -> StoreResult<Vec<i64>> {
        type Wanting = (i64, i64, Option<i64>, String, i64);
        let wanting: Vec<Wanting> = read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, building_id, alarm, device_id FROM alarms \
             WHERE wants_case = TRUE AND case_id IS NULL AND closed = FALSE ORDER BY id LIMIT 200"
        )
        .fetch_all(db)
        .await?);
        let mut opened = Vec::new();
        for (alarm_id, community_id, building_id, alarm, device_id) in wanting {
            let sibling: Option<i64> = match building_id {
                Some(building) => read!(self, |db| sqlx::query_scalar(
                    "SELECT a.case_id FROM alarms a JOIN cases c ON c.id = a.case_id WHERE a.building_id = $1 \
                     AND a.alarm = $2 AND a.closed = FALSE AND a.id <> $3 AND c.state NOT IN ('closed', 'refused') \
                     ORDER BY a.id LIMIT 1"
                )
                .bind(building)
                .bind(&alarm)
                .bind(alarm_id)
                .fetch_optional(db)
                .await?),
                None => None,
            };
            let device = self.device(device_id).await?;
            let case_id = match sibling {
                // The alarm joins the open case and its timeline notes it, in one transaction.
                Some(case_id) => {
                    let now = now_ms();
                    transaction!(self, |tx| {
                        let joined = crate::on!(tx, |c| sqlx::query(
                            "UPDATE alarms SET case_id = $1 WHERE id = $2 AND case_id IS NULL"
                        )
                        .bind(case_id)
                        .bind(alarm_id)
                        .execute(c)
                        .await
                        .map(|r| r.rows_affected()))?;
                        if joined == 1 {
                            let text = format!("{} · {alarm}", device.name);
                            crate::disputes::note(tx, case_id, now, None, "alarm", &text).await?;
                        }
                    })?;
                    opened.push(case_id);
                    continue;
                }
                None => {
                    let profile = self
                        .device_profiles()
                        .await?
                        .into_iter()
                        .find(|p| p.code == device.profile_code)
                        .ok_or(StoreError::NotFound)?;
                    let category_code = profile
                        .rules
                        .iter()
                        .find(|r| r.alarm == alarm)
                        .map_or("02", |r| r.category.as_str())
                        .to_owned();
                    let category = self
                        .case_categories()
                        .await?
                        .into_iter()
                        .find(|c| c.code == category_code)
                        .ok_or(StoreError::Config(format!("alarm category {category_code} is missing")))?;
                    let grid_id: Option<i64> = match building_id {
                        Some(b) => read!(self, |db| sqlx::query_scalar("SELECT grid_id FROM buildings WHERE id = $1")
                            .bind(b)
                            .fetch_optional(db)
                            .await?),
                        None => None,
                    };
                    let place = [device.building_name.clone().unwrap_or_default(), device.room.clone()]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ");
                    let new = crate::cases::NewCase {
                        community_id,
                        grid_id,
                        category_id: category.id,
                        source: "alarm",
                        description: format!(
                            "设备报警：{}「{}」{}（{place}）",
                            profile.name_zh,
                            device.name,
                            linli_domain::monitoring::alarm_name_zh(&alarm)
                        ),
                        building_id,
                        address: place,
                        reporter_name: "系统 / system".into(),
                        idempotency_key: Some(format!("alarm:{alarm_id}")),
                        ..Default::default()
                    };
                    // Each step commits on its own, and a crash may stop a round after any of
                    // them: the next round finds the case by its key and takes the steps
                    // still missing, so the case never stays reported and unlinked.
                    let intake = self.report_case(&new).await?;
                    fail::fail_point!("alarm_case.reported", |_| Err(StoreError::Config("injected crash".into())));
                    let mut state = self.case(intake.case_id).await?.state;
                    if state == State::Reported.as_str() {
                        state = self.apply_case_step(intake.case_id, None, &Event::Register, "").await?.state;
                        fail::fail_point!("alarm_case.registered", |_| Err(StoreError::Config(
                            "injected crash".into()
                        )));
                    }
                    if state == State::Registered.as_str() {
                        self.apply_case_step(intake.case_id, None, &Event::Dispatch, "").await?;
                        fail::fail_point!("alarm_case.dispatched", |_| Err(StoreError::Config(
                            "injected crash".into()
                        )));
                    }
                    intake.case_id
                }
            };
            transaction!(self, |tx| {
                crate::on!(tx, |c| sqlx::query("UPDATE alarms SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
                    .bind(case_id)
                    .bind(alarm_id)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            })?;
            opened.push(case_id);
        }
        Ok(opened)
    }

    /// Acknowledges an alarm as `account`: its case, if dispatched, is accepted in the
    /// account's name. Acknowledging twice changes nothing.
    pub async fn acknowledge_alarm(&self, id: i64, account: i64) -> StoreResult<AlarmRow> {
        let now = now_ms();
        let case: Option<Option<i64>> = transaction!(self, |tx| {
            let case: Option<Option<i64>> = crate::on!(tx, |c| sqlx::query_scalar(
                "UPDATE alarms SET acknowledged_at = $2, acknowledged_by = $3, closed = (cleared_at IS NOT NULL) \
                 WHERE id = $1 AND acknowledged_at IS NULL RETURNING case_id",
            )
            .bind(id)
            .bind(now)
            .bind(account)
            .fetch_optional(c)
            .await)?;
            if case.is_some() {
                alarm_event(tx, id, now, "acknowledged", Some(account), None).await?;
            }
            case
        })?;
        if let Some(Some(case_id)) = case
            && self.case(case_id).await?.state == "dispatched"
        {
            // The acknowledgement stands even if the case moved meanwhile; it is accepted by hand then.
            if let Err(e) =
                self.apply_case_step(case_id, Some(account), &Event::Accept, "确认报警 / alarm acknowledged").await
            {
                tracing::warn!(error = %e, case_id, "acknowledged alarm's case not accepted");
            }
        }
        self.alarm(id).await
    }

    /// Clears an alarm by hand (a thrown-object alarm after the check, or any alarm a
    /// person has dealt with). Its rule starts again from quiet.
    pub async fn clear_alarm(&self, id: i64, account: i64) -> StoreResult<AlarmRow> {
        let now = now_ms();
        let quiet =
            serde_json::to_string(&RuleState { last_use: Some(now), ..RuleState::default() }).unwrap_or_default();
        transaction!(self, |tx| {
            let cleared: Option<(i64, String)> = crate::on!(tx, |c| sqlx::query_as(
                "UPDATE alarms SET cleared_at = $2, closed = (acknowledged_at IS NOT NULL) \
                 WHERE id = $1 AND cleared_at IS NULL RETURNING device_id, alarm",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(c)
            .await)?;
            if let Some((device, alarm)) = cleared {
                alarm_event(tx, id, now, "cleared", Some(account), None).await?;
                crate::on!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO rule_states (device_id, alarm, state, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (device_id, alarm) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                )
                .bind(device)
                .bind(&alarm)
                .bind(&quiet)
                .bind(now)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
            }
        })?;
        self.alarm(id).await
    }

    pub async fn alarm(&self, id: i64) -> StoreResult<AlarmRow> {
        let sql = format!("SELECT {ALARM_COLUMNS} WHERE a.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's open alarms (not both cleared and acknowledged), worst and newest
    /// first; with `recent_ms`, also those closed since then.
    pub async fn alarms(&self, community_id: i64, closed_since: Option<i64>) -> StoreResult<Vec<AlarmRow>> {
        let sql = format!(
            "SELECT {ALARM_COLUMNS} WHERE a.community_id = $1 AND (a.closed = FALSE OR a.cleared_at >= $2) \
             ORDER BY a.closed, CASE a.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END, \
             a.last_seen DESC LIMIT 500"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql)
            .bind(community_id)
            .bind(closed_since.unwrap_or(i64::MAX))
            .fetch_all(db)
            .await?))
    }

    /// The alarms of one device, newest first.
    pub async fn device_alarms(&self, device_id: i64) -> StoreResult<Vec<AlarmRow>> {
        let sql = format!("SELECT {ALARM_COLUMNS} WHERE a.device_id = $1 ORDER BY a.id DESC LIMIT 50");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(device_id).fetch_all(db).await?))
    }

    /// The alarms a case was opened for or joined.
    pub async fn case_alarms(&self, case_id: i64) -> StoreResult<Vec<AlarmRow>> {
        let sql = format!("SELECT {ALARM_COLUMNS} WHERE a.case_id = $1 ORDER BY a.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(case_id).fetch_all(db).await?))
    }

    /// A key's values between `from` and `to`, in at most `buckets` points (low, mean,
    /// high of each), from raw data and, where raw data has been pruned, hourly sums.
    pub async fn telemetry_series(
        &self,
        device_id: i64,
        key: &str,
        from: i64,
        to: i64,
        buckets: i64,
    ) -> StoreResult<Vec<SeriesPoint>> {
        let width = ((to - from) / buckets.max(1)).max(1);
        let raw: Vec<(i64, f64, f64, f64)> = read!(self, |db| sqlx::query_as(
            "SELECT $3 + ((ts - $3) / $5) * $5 AS b, MIN(value), AVG(value), MAX(value) FROM telemetry \
             WHERE device_id = $1 AND key = $2 AND ts >= $3 AND ts < $4 GROUP BY b ORDER BY b"
        )
        .bind(device_id)
        .bind(key)
        .bind(from)
        .bind(to)
        .bind(width)
        .fetch_all(db)
        .await?);
        let hourly: Vec<(i64, f64, f64, f64)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT $3 + ((hour - $3) / $5) * $5 AS b, MIN(low), SUM(total) / SUM(n), MAX(high) FROM telemetry_hourly \
             WHERE device_id = $1 AND key = $2 AND hour >= $3 AND hour < $4 GROUP BY b ORDER BY b"
        )
        .bind(device_id)
        .bind(key)
        .bind(from)
        .bind(to)
        .bind(width)
        .fetch_all(db)
        .await?
        });
        let mut points: Vec<SeriesPoint> =
            hourly.into_iter().chain(raw).map(|(ts, low, mean, high)| SeriesPoint { ts, low, mean, high }).collect();
        points.sort_by_key(|p| p.ts);
        // A bucket with both pruned and raw data: one point.
        points.dedup_by(|later, earlier| {
            let same = later.ts == earlier.ts;
            if same {
                earlier.low = earlier.low.min(later.low);
                earlier.high = earlier.high.max(later.high);
                earlier.mean = (earlier.mean + later.mean) / 2.0;
            }
            same
        });
        Ok(points)
    }

    /// Retention: raw telemetry and stored messages older than `raw_days` are summed per
    /// hour into `telemetry_hourly` and deleted, in one transaction. Returns the raw rows
    /// removed.
    pub async fn prune_telemetry(&self, now: i64, raw_days: i64) -> StoreResult<u64> {
        const HOUR: i64 = 3_600_000;
        let cutoff = (now - raw_days * 24 * HOUR) / HOUR * HOUR;
        transaction!(self, |tx| {
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO telemetry_hourly (device_id, key, hour, n, total, low, high) \
                 SELECT device_id, key, (ts / 3600000) * 3600000, COUNT(*), SUM(value), MIN(value), MAX(value) \
                 FROM telemetry WHERE ts < $1 GROUP BY device_id, key, (ts / 3600000) * 3600000 \
                 ON CONFLICT (device_id, key, hour) DO UPDATE SET n = telemetry_hourly.n + excluded.n, \
                 total = telemetry_hourly.total + excluded.total, \
                 low = CASE WHEN excluded.low < telemetry_hourly.low THEN excluded.low ELSE telemetry_hourly.low END, \
                 high = CASE WHEN excluded.high > telemetry_hourly.high THEN excluded.high ELSE telemetry_hourly.high END",
            )
            .bind(cutoff)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            let removed = crate::on!(tx, |c| sqlx::query("DELETE FROM telemetry WHERE ts < $1")
                .bind(cutoff)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            crate::on!(tx, |c| sqlx::query("DELETE FROM device_messages WHERE received_at < $1")
                .bind(cutoff)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            removed
        })
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
