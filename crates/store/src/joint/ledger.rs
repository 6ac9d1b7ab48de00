//! The issues ledger (问题台账): items raised from a case, a dispute, an alarm, a visit, a
//! proposal, a motion or a party's request, each linked to its source; open, on an agenda,
//! resolved (every resolution on it struck off) or dropped with a reason.

use super::{LedgerItem, audit};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::joint::Source;

/// A checked item to raise.
#[derive(Debug, Clone)]
pub struct NewLedgerItem {
    pub community_id: i64,
    pub source: Source,
    pub title: String,
    pub body: String,
    /// The case (or dispute) it came from, in the same community.
    pub case_id: Option<i64>,
    /// The party raising it (a motion, a party's request), of the same community.
    pub organisation_id: Option<i64>,
    pub by: i64,
}

pub(crate) const ITEM_COLUMNS: &str = "l.id, l.community_id, l.source, l.title, l.body, l.case_id, l.organisation_id, \
     o.name AS organisation_name, l.status, l.reason, l.raised_by, a.display_name AS raised_by_name, l.raised_at";
pub(crate) const ITEM_FROM: &str = "ledger_items l LEFT JOIN organisations o ON o.id = l.organisation_id \
     JOIN accounts a ON a.id = l.raised_by";

impl Store {
    /// Raises an item. Its case and party must be the community's (else the field is named).
    pub async fn raise_ledger_item(&self, new: &NewLedgerItem) -> StoreResult<i64> {
        if let Some(case) = new.case_id {
            let community: Option<i64> =
                read!(self, |db| sqlx::query_scalar("SELECT community_id FROM cases WHERE id = $1")
                    .bind(case)
                    .fetch_optional(db)
                    .await?);
            if community != Some(new.community_id) {
                return Err(StoreError::Invalid(FieldError::new("case_id", "error.joint.case")));
            }
        }
        if let Some(org) = new.organisation_id {
            let o = self.organisation(org).await;
            if !o.is_ok_and(|o| o.community_id == new.community_id) {
                return Err(StoreError::Invalid(FieldError::new("organisation_id", "error.choice")));
            }
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO ledger_items (community_id, source, title, body, case_id, organisation_id, raised_by, raised_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(new.community_id)
                .bind(new.source.as_str())
                .bind(&new.title)
                .bind(&new.body)
                .bind(new.case_id)
                .bind(new.organisation_id)
                .bind(new.by)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            audit(tx, Some(new.by), new.community_id, "ledger.raised", &format!("#{id}"), now).await?;
            id
        })
    }

    /// The community's ledger: live items first (oldest first), then the closed ones, newest first.
    pub async fn ledger(&self, community_id: i64) -> StoreResult<Vec<LedgerItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE l.community_id = $1 \
             ORDER BY CASE WHEN l.status IN ('open', 'on_agenda') THEN 0 ELSE 1 END, \
             CASE WHEN l.status IN ('open', 'on_agenda') THEN l.raised_at ELSE -l.raised_at END"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn ledger_item(&self, id: i64) -> StoreResult<LedgerItem> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} WHERE l.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// Drops a live item of `community_id` with a reason the one who raised it reads.
    pub async fn drop_ledger_item(&self, community_id: i64, id: i64, reason: &str, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE ledger_items SET status = 'dropped', reason = $1, closed_at = $2 \
                     WHERE id = $3 AND community_id = $4 AND status IN ('open', 'on_agenda')"
                )
                .bind(reason)
                .bind(now)
                .bind(id)
                .bind(community_id)
            )?;
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            audit(tx, Some(by), community_id, "ledger.dropped", &format!("#{id}"), now).await?;
        })
    }
}
