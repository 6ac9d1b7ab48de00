//! Alarms as people handle them: acknowledged, cleared by hand, listed.

use super::ingest::alarm_event;
use super::*;

impl Store {
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
            && self.case(case_id).await?.state == linli_domain::case::State::Dispatched
        {
            // The acknowledgement stands even if the case moved meanwhile; it is accepted by hand then.
            let note = crate::cases::StepNote::remark(&linli_domain::case::Remark::AlarmAcknowledged);
            let extras = crate::cases::StepExtras::default();
            if let Err(e) = self.apply_case_step_with(case_id, Some(account), &Event::Accept, &note, extras).await {
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
}
