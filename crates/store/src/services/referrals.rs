//! Referrals (转介): from a case, a dispute or a care visit, the grid's worker or the
//! community's staff send a resident to a service with a short reason (sealed: the
//! organisation and the referrer read it). The organisation accepts or declines with a
//! reason, books the resident into a slot, and the referral is served when that booking is;
//! then closed. The referrer follows the status, never the service's notes.

use super::invalid;
use crate::notifications::{Link, tell};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::service::{Kind, ReferralStatus, Source};

const REASON_FIELD: &str = "referral.reason";

/// A checked referral to send.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub community_id: i64,
    pub resident_id: i64,
    pub service_id: i64,
    pub source: Source,
    pub case_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub reason: String,
    pub by: i64,
}

/// A referral as its referrer and the organisation see it (the reason is opened apart).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Referral {
    pub id: i64,
    pub community_id: i64,
    pub resident_id: i64,
    pub resident: String,
    pub grid_id: Option<i64>,
    pub service_id: i64,
    pub service: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub organisation_id: i64,
    pub organisation: String,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub case_id: Option<i64>,
    pub visit_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: ReferralStatus,
    pub answer: String,
    pub referred_by: i64,
    pub referrer: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub served_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Its latest booking, if the organisation booked one.
    pub booking_id: Option<i64>,
}

const COLUMNS: &str = "f.id, f.community_id, f.resident_id, r.name AS resident, f.grid_id, f.service_id, \
     s.title AS service, s.kind, f.organisation_id, o.name AS organisation, f.source, f.case_id, f.visit_id, f.status, \
     f.answer, f.referred_by, a.display_name AS referrer, f.created_at, f.decided_at, f.served_at, f.closed_at, \
     (SELECT MAX(b.id) FROM bookings b WHERE b.referral_id = f.id AND b.status <> 'cancelled') AS booking_id \
     FROM referrals f JOIN residents r ON r.id = f.resident_id JOIN services s ON s.id = f.service_id \
     JOIN organisations o ON o.id = f.organisation_id JOIN accounts a ON a.id = f.referred_by";

/// The organisation's staff (`$1` is the referral).
const ORGANISATION: &str = "SELECT account_id FROM role_assignments \
     WHERE organisation_id = (SELECT organisation_id FROM referrals WHERE id = $1)";
/// Who referred (`$1` is the referral).
const REFERRER: &str = "SELECT referred_by AS account_id FROM referrals WHERE id = $1";

/// Marks an accepted referral served, in the transaction of its booking's service, and
/// tells the referrer.
pub(super) async fn serve(tx: &mut crate::Tx, referral_id: i64, community_id: i64, now: i64) -> StoreResult<()> {
    let n = exec!(
        tx,
        sqlx::query("UPDATE referrals SET status = 'served', served_at = $2 WHERE id = $1 AND status = 'accepted'")
            .bind(referral_id)
            .bind(now)
    )?;
    if n > 0 {
        tell(tx, Link::Referral(referral_id), community_id, "referral.served", "", REFERRER, now).await?;
    }
    Ok(())
}

impl Store {
    /// Sends a referral to the service's organisation, whose staff are told.
    pub async fn refer(&self, new: &NewReferral) -> StoreResult<i64> {
        let reason = self.key().seal(REASON_FIELD, &new.reason)?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let service: Option<(i64, bool)> = on!(tx, |c| sqlx::query_as(
                "SELECT organisation_id, active FROM services WHERE id = $1 AND community_id = $2"
            )
            .bind(new.service_id)
            .bind(new.community_id)
            .fetch_optional(c)
            .await)?;
            let (organisation_id, active) = service.ok_or_else(|| invalid("service_id", "error.choice"))?;
            if !active {
                return Err(invalid("service_id", "error.service.inactive"));
            }
            let grid: Option<(Option<i64>,)> = on!(tx, |c| sqlx::query_as(
                "SELECT grid_id FROM residents WHERE id = $1 AND community_id = $2 AND moved_out_on IS NULL"
            )
            .bind(new.resident_id)
            .bind(new.community_id)
            .fetch_optional(c)
            .await)?;
            let Some((grid_id,)) = grid else { return Err(StoreError::NotFound) };
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO referrals (community_id, resident_id, grid_id, service_id, organisation_id, source, case_id, \
                 visit_id, reason_sealed, referred_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            )
            .bind(new.community_id)
            .bind(new.resident_id)
            .bind(grid_id)
            .bind(new.service_id)
            .bind(organisation_id)
            .bind(new.source.as_str())
            .bind(new.case_id)
            .bind(new.visit_id)
            .bind(&reason)
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            tell(tx, Link::Referral(id), new.community_id, "referral.sent", "", ORGANISATION, now).await?;
            id
        })
    }

    /// The organisation moves a referral on: accepts or declines it (a refusal needs a
    /// reason), reports it served, or closes it (without service, with a reason). The
    /// referrer is told.
    pub async fn decide_referral(&self, id: i64, to: ReferralStatus, answer: &str, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        let answer = answer.trim();
        transaction!(self, |tx| {
            let row: Option<(String, i64)> = on!(tx, |c| sqlx::query_as(
                "UPDATE referrals SET status = status WHERE id = $1 RETURNING status, community_id"
            )
            .bind(id)
            .fetch_optional(c)
            .await)?;
            let (from, community_id) = row.ok_or(StoreError::NotFound)?;
            let from = ReferralStatus::try_from(from).map_err(StoreError::Invalid)?;
            if !from.next().contains(&to) {
                return Err(invalid("status", "error.service.referral_state"));
            }
            if to.needs_reason(from) && answer.is_empty() {
                return Err(invalid("answer", "error.service.reason"));
            }
            let column = match to {
                ReferralStatus::Accepted | ReferralStatus::Declined => "decided_at",
                ReferralStatus::Served => "served_at",
                _ => "closed_at",
            };
            exec!(
                tx,
                sqlx::query(&format!(
                    "UPDATE referrals SET status = $2, answer = CASE WHEN $3 = '' THEN answer ELSE $3 END, \
                     decided_by = COALESCE(decided_by, $4), {column} = $5 WHERE id = $1"
                ))
                .bind(id)
                .bind(to.as_str())
                .bind(answer)
                .bind(by)
                .bind(now)
            )?;
            let kind = format!("referral.{}", to.as_str());
            tell(tx, Link::Referral(id), community_id, &kind, answer, REFERRER, now).await?;
        })
    }

    pub async fn referral(&self, id: i64) -> StoreResult<Referral> {
        let sql = format!("SELECT {COLUMNS} WHERE f.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The reason a referral gives, for the organisation and the referrer.
    pub async fn referral_reason(&self, id: i64) -> StoreResult<String> {
        let sealed: String = read!(self, |db| sqlx::query_scalar("SELECT reason_sealed FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)?;
        self.key().open(REASON_FIELD, &sealed)
    }

    /// Referrals sent to an organisation, open ones first, newest first.
    pub async fn referrals_to(&self, organisation_id: i64) -> StoreResult<Vec<Referral>> {
        let sql = format!(
            "SELECT {COLUMNS} WHERE f.organisation_id = $1 \
             ORDER BY CASE WHEN f.status IN ('sent', 'accepted') THEN 0 ELSE 1 END, f.created_at DESC LIMIT 200"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(organisation_id).fetch_all(db).await?))
    }

    /// A community's referrals, newest first (the caller narrows them to its reach).
    pub async fn referrals_in(&self, community_id: i64) -> StoreResult<Vec<Referral>> {
        let sql = format!("SELECT {COLUMNS} WHERE f.community_id = $1 ORDER BY f.created_at DESC LIMIT 500");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }
}
