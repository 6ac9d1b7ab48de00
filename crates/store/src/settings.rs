//! What the operator edits in the app: the holiday calendar (调休 included), the time
//! limits of case categories, and the few settings of the `settings` table (what an
//! unanswered rating means, the rules of owners' self-governance). Edits apply to deadlines computed from then on.

use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use chrono::NaiveDate;
use linli_domain::FieldError;
use linli_domain::case::{Event, Remark};
use linli_domain::rules::SelfGovernance;
use linli_domain::worktime::LimitKind;
use std::collections::BTreeMap;

/// A closed case its reporter has not rated in this many days counts as satisfied (0:
/// it stays unrated).
pub const SATISFIED_AFTER_DAYS: &str = "rating.satisfied_after_days";

/// The rules of owners' self-governance ([`SelfGovernance`]), as a JSON map of names to
/// integers.
pub const SELF_GOVERNANCE: &str = "self_governance.rules";

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

async fn put_setting(tx: &mut crate::Tx, key: &str, value: &str, now: i64) -> StoreResult<()> {
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now)
    )?;
    Ok(())
}

impl Store {
    /// The calendar's special days in a year: (day, holiday|workday, name).
    pub async fn calendar_days(&self, year: i32) -> StoreResult<Vec<(String, String, String)>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT day, kind, name FROM calendar_days WHERE day >= $1 AND day <= $2 ORDER BY day"
        )
        .bind(format!("{year}-01-01"))
        .bind(format!("{year}-12-31"))
        .fetch_all(db)
        .await?))
    }

    /// Makes a day a holiday or a working day (a weekend moved for a holiday).
    pub async fn set_calendar_day(&self, day: NaiveDate, kind: &str, name: &str) -> StoreResult<()> {
        if !matches!(kind, "holiday" | "workday") {
            return Err(invalid("kind", "error.choice"));
        }
        let name = name.trim();
        if name.chars().count() > 20 {
            return Err(invalid("name", "error.dispute.name"));
        }
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                )
                .bind(day.to_string())
                .bind(kind)
                .bind(name)
            )?;
        })
    }

    /// Returns a day to the ordinary week.
    pub async fn remove_calendar_day(&self, day: NaiveDate) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(tx, sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(day.to_string()))?;
        })
    }

    /// Sets a category's time limit.
    pub async fn set_category_limit(&self, id: i64, amount: i64, kind: &str) -> StoreResult<()> {
        if !(1..=1000).contains(&amount) {
            return Err(invalid("limit_amount", "error.settings.limit"));
        }
        let kind = LimitKind::parse(kind).ok_or_else(|| invalid("limit_kind", "error.choice"))?;
        let n = transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("UPDATE case_categories SET limit_amount = $1, limit_kind = $2 WHERE id = $3")
                    .bind(amount)
                    .bind(kind.as_str())
                    .bind(id)
            )?
        })?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(db)
            .await?))
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            put_setting(tx, key, value, now).await?;
        })
    }

    /// The city's rules of owners' self-governance (the law's defaults until set).
    pub async fn self_governance(&self) -> StoreResult<SelfGovernance> {
        let stored = self.setting(SELF_GOVERNANCE).await?;
        let map = stored.and_then(|v| serde_json::from_str::<BTreeMap<String, i64>>(&v).ok()).unwrap_or_default();
        Ok(SelfGovernance::from_map(&map))
    }

    /// Keeps checked rules; they apply to what is decided from then on (an assembly
    /// already noticed keeps its dates).
    /// The change is audited (with the rules as kept) in the same transaction.
    pub async fn set_self_governance(&self, rules: &SelfGovernance, by: i64) -> StoreResult<()> {
        rules.check().map_err(StoreError::Invalid)?;
        let value = serde_json::to_string(&rules.to_map()).map_err(|e| StoreError::Config(e.to_string()))?;
        let now = now_ms();
        transaction!(self, |tx| {
            put_setting(tx, SELF_GOVERNANCE, &value, now).await?;
            let event = crate::audit::Event {
                account_id: Some(by),
                community_id: None,
                action: "settings.self_governance",
                detail: &value,
                subject_resident_id: None,
            };
            crate::audit::in_tx(tx, event, now).await?;
        })
    }

    /// Days after which an unanswered rating counts as satisfied (0: never).
    pub async fn satisfied_after_days(&self) -> StoreResult<i64> {
        Ok(self.setting(SATISFIED_AFTER_DAYS).await?.and_then(|v| v.parse().ok()).unwrap_or(0).max(0))
    }

    /// Rates as satisfied (5) the closed cases their reporter left unrated past the
    /// setting, on the timeline as the system; returns how many.
    pub async fn rate_unanswered(&self, now: i64) -> StoreResult<usize> {
        let days = self.satisfied_after_days().await?;
        if days == 0 {
            return Ok(0);
        }
        let due: Vec<i64> = read!(self, |db| {
            sqlx::query_scalar(
            "SELECT id FROM cases WHERE state = 'closed' AND rating IS NULL AND NOT self_resolved \
             AND reporter_account_id IS NOT NULL AND merged_into IS NULL AND closed_at < $1 ORDER BY closed_at LIMIT 500"
        )
        .bind(now - days * 24 * 3_600_000)
        .fetch_all(db)
        .await?
        });
        let mut n = 0;
        for id in due {
            let remark = Remark::UnansweredRating { days };
            let note = crate::cases::StepNote::remark(&remark);
            let extras = crate::cases::StepExtras::default();
            match self.apply_case_step_with(id, None, &Event::Rate { stars: 5 }, &note, extras).await {
                Ok(_) => n += 1,
                Err(StoreError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }
}
