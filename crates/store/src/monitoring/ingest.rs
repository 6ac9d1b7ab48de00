//! Taking device messages in: one transaction per batch that stores each message once
//! (a redelivery stops at its key), its telemetry and last values, and steps the rules.

use super::*;

impl Store {
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
                let fresh = crate::exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO device_messages (device_id, msg_key, channel, ts, received_at, payload) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, msg_key) DO NOTHING",
                    )
                    .bind(target.id)
                    .bind(&key)
                    .bind(incoming.channel.as_str())
                    .bind(ts)
                    .bind(incoming.received_at)
                    .bind(String::from_utf8_lossy(&incoming.payload).as_ref())
                )? == 1;
                if !fresh {
                    out.outcomes.push(Outcome::Duplicate);
                    continue;
                }
                let online = !matches!(message, Message::State { online: false });
                crate::exec!(
                    tx,
                    sqlx::query(
                        "UPDATE devices SET online = $2, \
                     last_seen = CASE WHEN $2 AND (last_seen IS NULL OR last_seen < $3) THEN $3 ELSE last_seen END \
                     WHERE id = $1",
                    )
                    .bind(target.id)
                    .bind(online)
                    .bind(ts)
                )?;
                for r in readings.into_iter().flatten() {
                    crate::exec!(
                        tx,
                        sqlx::query(
                            "INSERT INTO telemetry (device_id, key, ts, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (device_id, key, ts) DO UPDATE SET value = excluded.value",
                        )
                        .bind(target.id)
                        .bind(&r.key)
                        .bind(ts)
                        .bind(r.value)
                    )?;
                    crate::exec!(
                        tx,
                        sqlx::query(
                            "INSERT INTO device_values (device_id, key, ts, value) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (device_id, key) DO UPDATE SET ts = excluded.ts, value = excluded.value \
                         WHERE excluded.ts >= device_values.ts",
                        )
                        .bind(target.id)
                        .bind(&r.key)
                        .bind(ts)
                        .bind(r.value)
                    )?;
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

/// Runs `inputs` through every rule of `profile` for `target` in a transaction: loads
/// the rules' states, writes those that changed, and turns transitions into alarm rows.
/// Adds the community to `out.communities` and raised alarms to `out.raised`.
pub(super) async fn evaluate(
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
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO rule_states (device_id, alarm, state, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (device_id, alarm) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                )
                .bind(target.id)
                .bind(&rule.alarm)
                .bind(serde_json::to_string(&state).unwrap_or_default())
                .bind(now)
            )?;
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
                            crate::exec!(
                                tx,
                                sqlx::query(
                                    "UPDATE alarms SET cleared_at = NULL, flaps = flaps + 1, repeats = repeats + 1, \
                                 last_seen = $2, value = COALESCE($3, value) WHERE id = $1",
                                )
                                .bind(id)
                                .bind(at)
                                .bind(value)
                            )?;
                            alarm_event(tx, id, at, "raised_again", None, value).await?;
                            id
                        }
                        Some((id, None)) => {
                            crate::exec!(tx, sqlx::query(
                                "UPDATE alarms SET repeats = repeats + 1, last_seen = $2, value = COALESCE($3, value) \
                                 WHERE id = $1",
                            )
                            .bind(id)
                            .bind(at)
                            .bind(value))?;
                            id
                        }
                    };
                    out.raised.push(id);
                }
                Transition::Repeat { at, value } => {
                    crate::exec!(
                        tx,
                        sqlx::query(
                            "UPDATE alarms SET repeats = repeats + 1, last_seen = $3, value = COALESCE($4, value) \
                         WHERE device_id = $1 AND alarm = $2 AND closed = FALSE AND cleared_at IS NULL",
                        )
                        .bind(target.id)
                        .bind(&rule.alarm)
                        .bind(at)
                        .bind(value)
                    )?;
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
pub(super) async fn alarm_event(
    tx: &mut crate::Tx,
    alarm_id: i64,
    at: i64,
    kind: &str,
    account_id: Option<i64>,
    value: Option<f64>,
) -> StoreResult<()> {
    crate::exec!(
        tx,
        sqlx::query("INSERT INTO alarm_events (alarm_id, at, kind, account_id, value) VALUES ($1, $2, $3, $4, $5)")
            .bind(alarm_id)
            .bind(at)
            .bind(kind)
            .bind(account_id)
            .bind(value)
    )?;
    Ok(())
}
