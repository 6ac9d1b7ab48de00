//! Residents' proposals (居民议事) in the store: proposing with photos and the threshold fixed
//! then; supports, one per resident of the community (the supports' primary key holds it
//! under any concurrency, and the count moves in the same transaction as the row, so it is
//! exact); the move to triage when the count reaches the threshold, which tells the staff;
//! editing before the first support, withdrawal, reports, hiding, and the community's
//! decision, told to the proposer. Accepting one raises an item on the issues ledger in the
//! same transaction.

use crate::notifications::{Link, tell};
use crate::photos::NewPhoto;
use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::proposal::{Decision, Status, threshold};

/// A checked proposal.
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub community_id: i64,
    pub account_id: i64,
    pub resident_id: i64,
    pub title: String,
    pub body: String,
    pub photos: Vec<NewPhoto>,
}

/// A proposal as its pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Proposal {
    pub id: i64,
    pub community_id: i64,
    pub account_id: i64,
    /// The proposer's name of record (shown to other residents as a surname only).
    pub author_name: String,
    pub title: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub threshold: i64,
    pub supports: i64,
    pub answer: String,
    pub decided_at: Option<i64>,
    pub ledger_item_id: Option<i64>,
    pub created_at: i64,
    /// How many have reported it.
    pub reports: i64,
}

const COLUMNS: &str = "p.id, p.community_id, p.account_id, r.name AS author_name, p.title, p.body, p.status, p.threshold, \
     p.supports, p.answer, p.decided_at, p.ledger_item_id, p.created_at, \
     (SELECT COUNT(*) FROM proposal_reports x WHERE x.proposal_id = p.id) AS reports \
     FROM proposals p JOIN residents r ON r.id = p.resident_id";

/// The community's staff and director (`$5` is the community).
const TRIAGE: &str = "SELECT account_id FROM role_assignments WHERE community_id = $5 \
     AND role IN ('community_staff', 'community_director')";
/// The proposer (`$1` is the proposal).
const PROPOSER: &str = "SELECT account_id FROM proposals WHERE id = $1";

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

async fn audit(tx: &mut Tx, by: i64, community_id: i64, action: &str, id: i64, now: i64) -> StoreResult<()> {
    let detail = format!("#{id}");
    let event = crate::audit::Event {
        account_id: Some(by),
        community_id: Some(community_id),
        action,
        detail: &detail,
        subject_resident_id: None,
    };
    crate::audit::in_tx(tx, event, now).await
}

impl Store {
    /// The resident of record an account stands for in `community_id`, if it is verified
    /// as one of its residents.
    pub async fn verified_resident(&self, account_id: i64, community_id: i64) -> StoreResult<Option<i64>> {
        Ok(read!(self, |db| {
            sqlx::query_scalar(
            "SELECT r.id FROM accounts a JOIN residents r ON r.id = a.resident_id WHERE a.id = $1 AND r.community_id = $2"
        )
        .bind(account_id)
        .bind(community_id)
        .fetch_optional(db)
        .await?
        }))
    }

    /// The share of adult residents a proposal needs, in per mille.
    pub async fn proposal_permille(&self, community_id: i64) -> StoreResult<i64> {
        read!(self, |db| sqlx::query_scalar("SELECT proposal_permille FROM communities WHERE id = $1")
            .bind(community_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    /// Sets it (1–200 per mille), audited; proposals already made keep their threshold.
    pub async fn set_proposal_permille(&self, community_id: i64, permille: i64, by: i64) -> StoreResult<()> {
        if !(1..=200).contains(&permille) {
            return Err(invalid("permille", "error.proposal.permille"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE communities SET proposal_permille = $1 WHERE id = $2")
                    .bind(permille)
                    .bind(community_id)
            )?;
            audit(tx, by, community_id, "proposal.permille", permille, now).await?;
        })
    }

    /// The supports a proposal made today would need.
    pub async fn proposal_threshold(&self, community_id: i64) -> StoreResult<i64> {
        let adult_born_by = (crate::today() - chrono::Months::new(18 * 12)).to_string();
        let adults: i64 = read!(self, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM residents WHERE community_id = $1 AND birth_date <= $2"
        )
        .bind(community_id)
        .bind(&adult_born_by)
        .fetch_one(db)
        .await?);
        Ok(threshold(adults, self.proposal_permille(community_id).await?))
    }

    /// Makes a proposal with its photos; its threshold is fixed now.
    pub async fn propose(&self, new: &NewProposal) -> StoreResult<i64> {
        let needed = self.proposal_threshold(new.community_id).await?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO proposals (community_id, account_id, resident_id, title, body, threshold, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
                )
                .bind(new.community_id)
                .bind(new.account_id)
                .bind(new.resident_id)
                .bind(&new.title)
                .bind(&new.body)
                .bind(needed)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            for photo in &new.photos {
                exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO proposal_photos (proposal_id, bytes, thumbnail, created_at) VALUES ($1, $2, $3, $4)"
                    )
                    .bind(id)
                    .bind(&photo.bytes)
                    .bind(&photo.thumbnail)
                    .bind(now)
                )?;
            }
            audit(tx, new.account_id, new.community_id, "proposal.made", id, now).await?;
            id
        })
    }

    /// The community's proposals, live ones first (the most supported first), then the rest
    /// newest first.
    pub async fn proposals(&self, community_id: i64) -> StoreResult<Vec<Proposal>> {
        let sql = format!(
            "SELECT {COLUMNS} WHERE p.community_id = $1 ORDER BY CASE WHEN p.status IN ('open', 'triage') THEN 0 ELSE 1 END, \
             CASE WHEN p.status IN ('open', 'triage') THEN -p.supports ELSE 0 END, p.created_at DESC"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn proposal(&self, id: i64) -> StoreResult<Proposal> {
        let sql = format!("SELECT {COLUMNS} WHERE p.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The ids of a proposal's photos.
    pub async fn proposal_photos(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT id FROM proposal_photos WHERE proposal_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?))
    }

    /// One photo of a proposal (or its thumbnail).
    pub async fn proposal_photo(&self, id: i64, photo_id: i64, thumbnail: bool) -> StoreResult<Option<Vec<u8>>> {
        let column = if thumbnail { "thumbnail" } else { "bytes" };
        let sql = format!("SELECT {column} FROM proposal_photos WHERE proposal_id = $1 AND id = $2");
        Ok(read!(self, |db| sqlx::query_scalar(&sql).bind(id).bind(photo_id).fetch_optional(db).await?))
    }

    /// Whether a resident supports a proposal.
    pub async fn supports_proposal(&self, id: i64, resident_id: i64) -> StoreResult<bool> {
        let n: i64 = read!(self, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM proposal_supports WHERE proposal_id = $1 AND resident_id = $2"
        )
        .bind(id)
        .bind(resident_id)
        .fetch_one(db)
        .await?);
        Ok(n > 0)
    }

    /// The supports stored for a proposal, counted from their rows.
    pub async fn counted_supports(&self, id: i64) -> StoreResult<i64> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT COUNT(*) FROM proposal_supports WHERE proposal_id = $1")
            .bind(id)
            .fetch_one(db)
            .await?))
    }

    /// The proposer edits it, before anyone supports it.
    pub async fn edit_proposal(&self, p: &Proposal, by: i64, title: &str, body: &str) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE proposals SET title = $1, body = $2, updated_at = $3 \
                     WHERE id = $4 AND account_id = $5 AND status = 'open' AND supports = 0"
                )
                .bind(title)
                .bind(body)
                .bind(now)
                .bind(p.id)
                .bind(by)
            )?;
            if done == 0 {
                return Err(invalid("title", "error.proposal.supported"));
            }
            audit(tx, by, p.community_id, "proposal.edited", p.id, now).await?;
        })
    }

    /// The proposer withdraws it before the community answers.
    pub async fn withdraw_proposal(&self, p: &Proposal, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE proposals SET status = 'withdrawn', updated_at = $1 \
                     WHERE id = $2 AND account_id = $3 AND status IN ('open', 'triage')"
                )
                .bind(now)
                .bind(p.id)
                .bind(by)
            )?;
            if done == 0 {
                return Err(invalid("proposal", "error.proposal.closed"));
            }
            audit(tx, by, p.community_id, "proposal.withdrawn", p.id, now).await?;
        })
    }

    /// A resident supports a proposal, once; not their own, and only while it is open. The
    /// support that reaches the threshold sends it to triage and tells the staff. Returns
    /// the count after this support.
    pub async fn support_proposal(&self, p: &Proposal, resident_id: i64, account_id: i64) -> StoreResult<i64> {
        if p.account_id == account_id {
            return Err(invalid("support", "error.proposal.own"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            // Taking the proposal's row first orders supports of one proposal on PostgreSQL
            // and sees its status as it is now.
            let open = exec!(
                tx,
                sqlx::query("UPDATE proposals SET updated_at = $1 WHERE id = $2 AND status = 'open'")
                    .bind(now)
                    .bind(p.id)
            )?;
            if open == 0 {
                return Err(invalid("support", "error.proposal.closed"));
            }
            let added = exec!(
                tx,
                sqlx::query(
                    "INSERT INTO proposal_supports (proposal_id, resident_id, account_id, at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING"
                )
                .bind(p.id)
                .bind(resident_id)
                .bind(account_id)
                .bind(now)
            )?;
            if added == 0 {
                return Err(invalid("support", "error.proposal.twice"));
            }
            let count: i64 = on!(tx, |c| {
                sqlx::query_scalar("UPDATE proposals SET supports = supports + 1 WHERE id = $1 RETURNING supports")
                    .bind(p.id)
                    .fetch_one(c)
                    .await
            })?;
            if count >= p.threshold {
                let reached = exec!(
                    tx,
                    sqlx::query(
                        "UPDATE proposals SET status = 'triage', reached_at = $1 WHERE id = $2 AND status = 'open'"
                    )
                    .bind(now)
                    .bind(p.id)
                )?;
                if reached > 0 {
                    tell(tx, Link::Proposal(p.id), p.community_id, "proposal_reached", &p.title, TRIAGE, now).await?;
                }
            }
            count
        })
    }

    /// Someone reports a proposal (once each), with a reason staff read.
    pub async fn report_proposal(&self, p: &Proposal, by: i64, reason: &str) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let added = exec!(
                tx,
                sqlx::query(
                    "INSERT INTO proposal_reports (proposal_id, account_id, reason, at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING"
                )
                .bind(p.id)
                .bind(by)
                .bind(reason)
                .bind(now)
            )?;
            if added == 0 {
                return Err(invalid("report_reason", "error.proposal.reported"));
            }
        })
    }

    /// What a proposal's reports say, for staff.
    pub async fn proposal_reports(&self, id: i64) -> StoreResult<Vec<String>> {
        Ok(read!(self, |db| sqlx::query_scalar(
            "SELECT reason FROM proposal_reports WHERE proposal_id = $1 ORDER BY at"
        )
        .bind(id)
        .fetch_all(db)
        .await?))
    }

    /// The community decides a live proposal: accepted (raised on the issues ledger in the
    /// same transaction), answered or rejected, with words the proposer is told; or staff
    /// hide it (`None`) with the reason.
    pub async fn decide_proposal(
        &self,
        p: &Proposal,
        decision: Option<Decision>,
        text: &str,
        by: i64,
    ) -> StoreResult<()> {
        let status = decision.map_or(Status::Hidden, Decision::status);
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE proposals SET status = $1, answer = $2, decided_by = $3, decided_at = $4, updated_at = $4 \
                     WHERE id = $5 AND status IN ('open', 'triage')"
                )
                .bind(status.as_str())
                .bind(text)
                .bind(by)
                .bind(now)
                .bind(p.id)
            )?;
            if done == 0 {
                return Err(invalid("answer", "error.proposal.closed"));
            }
            if decision == Some(Decision::Accept) {
                let item: i64 = on!(tx, |c| {
                    sqlx::query_scalar(
                        "INSERT INTO ledger_items (community_id, source, title, body, raised_by, raised_at) \
                         VALUES ($1, 'proposal', $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(p.community_id)
                    .bind(&p.title)
                    .bind(&p.body)
                    .bind(by)
                    .bind(now)
                    .fetch_one(c)
                    .await
                })?;
                exec!(tx, sqlx::query("UPDATE proposals SET ledger_item_id = $1 WHERE id = $2").bind(item).bind(p.id))?;
            }
            let kind = format!("proposal_{}", status.as_str());
            tell(tx, Link::Proposal(p.id), p.community_id, &kind, &p.title, PROPOSER, now).await?;
            audit(tx, by, p.community_id, &format!("proposal.{}", status.as_str()), p.id, now).await?;
        })
    }
}
