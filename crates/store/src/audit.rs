//! An append-only record of security-relevant events (logins, lockouts, password and
//! token changes). Later waves add reveals and exports of personal data here.

use crate::{Store, StoreResult, now_ms, read, transaction};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub community_id: Option<i64>,
    pub account_id: Option<i64>,
    pub action: String,
    pub detail: String,
    pub at: i64,
}

/// One event: who did what, where, and (for personal data) about which resident.
pub(crate) struct Event<'a> {
    pub account_id: Option<i64>,
    pub community_id: Option<i64>,
    pub action: &'a str,
    pub detail: &'a str,
    pub subject_resident_id: Option<i64>,
}

/// Writes an event inside a transaction, so that the change and its record go together.
pub(crate) async fn in_tx(tx: &mut crate::Tx, e: Event<'_>, at: i64) -> StoreResult<()> {
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO audit_events (community_id, account_id, action, detail, at, subject_resident_id) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.community_id)
        .bind(e.account_id)
        .bind(e.action)
        .bind(e.detail)
        .bind(at)
        .bind(e.subject_resident_id)
    )?;
    Ok(())
}

impl Store {
    pub async fn audit(
        &self,
        account_id: Option<i64>,
        community_id: Option<i64>,
        action: &str,
        detail: &str,
    ) -> StoreResult<()> {
        transaction!(self, |tx| {
            in_tx(tx, Event { account_id, community_id, action, detail, subject_resident_id: None }, now_ms()).await?;
        })
    }

    /// The latest events of an account, newest first.
    pub async fn audit_events_of(&self, account_id: i64, limit: i64) -> StoreResult<Vec<AuditEvent>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT id, community_id, account_id, action, detail, at FROM audit_events WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(db)
        .await?
        }))
    }
}
