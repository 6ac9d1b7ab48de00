//! After the count: the preliminary result stands open to objections (询异) until a set
//! date; owners on the roll object, the committee answers each objection, and after the
//! period the committee publishes the final result, which every owner on the roll is told
//! of. The named ballot record is kept for inspection.

use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;

/// An objection to a preliminary result, with its answer once given.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Objection {
    pub id: i64,
    pub elector_id: i64,
    pub account_id: i64,
    pub body: String,
    pub created_at: i64,
    pub answer: Option<String>,
    pub answered_at: Option<i64>,
}

/// One counted ballot of the record: whose units, how it came, what it says.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordedBallot {
    pub elector_id: i64,
    pub label: String,
    pub channel: String,
    pub marks: String,
}

/// The assembly's row locked, with what the results phase reads from it.
async fn phase(tx: &mut Tx, assembly_id: i64) -> StoreResult<(Option<String>, Option<i64>)> {
    on!(tx, |c| sqlx::query_as(
        "UPDATE assemblies SET ballot_seq = ballot_seq WHERE id = $1 AND counted_at IS NOT NULL \
         RETURNING objections_until, finalised_at"
    )
    .bind(assembly_id)
    .fetch_optional(c)
    .await)?
    .ok_or(StoreError::Invalid(FieldError::new("assembly", "error.assembly.not_counted")))
}

impl Store {
    /// An owner's objection during the objection period.
    pub async fn object(
        &self,
        assembly_id: i64,
        elector_id: i64,
        account_id: i64,
        body: &str,
        today: &str,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let (until, finalised) = phase(tx, assembly_id).await?;
            if finalised.is_some() || until.as_deref().is_none_or(|u| today > u) {
                return Err(StoreError::Invalid(FieldError::new("objection", "error.assembly.objections_closed")));
            }
            let id: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_objections (assembly_id, elector_id, account_id, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(assembly_id)
            .bind(elector_id)
            .bind(account_id)
            .bind(body)
            .bind(now)
            .fetch_one(c)
            .await)?;
            id
        })
    }

    /// The committee's answer to an objection (once).
    pub async fn answer_objection(
        &self,
        assembly_id: i64,
        objection_id: i64,
        by: i64,
        answer: &str,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let (_, finalised) = phase(tx, assembly_id).await?;
            if finalised.is_some() {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.finalised")));
            }
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE assembly_objections SET answer = $1, answered_by = $2, answered_at = $3 \
                     WHERE id = $4 AND assembly_id = $5 AND answer IS NULL"
                )
                .bind(answer)
                .bind(by)
                .bind(now)
                .bind(objection_id)
                .bind(assembly_id)
            )?;
            if done == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    /// An assembly's objections, oldest first.
    pub async fn objections(&self, assembly_id: i64) -> StoreResult<Vec<Objection>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, elector_id, account_id, body, created_at, answer, answered_at FROM assembly_objections \
             WHERE assembly_id = $1 ORDER BY id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }

    /// Publishes the final result after the objection period, once every objection is
    /// answered; every owner on the roll with an account and the community's staff are told.
    pub async fn finalise_assembly(&self, assembly_id: i64, today: &str) -> StoreResult<()> {
        let now = crate::now_ms();
        // An election's result puts its committee in office with the final result. The count
        // is closed, so the result read here is the one published.
        let assembly = self.assembly(assembly_id).await?;
        let election = match assembly.seats {
            Some(seats) if assembly.counted_at.is_some() => {
                let candidates = self.candidates(assembly_id).await?;
                let tally = self.assembly_tally(assembly_id).await?;
                Some(super::elections::election_result(seats, &candidates, &tally))
            }
            _ => None,
        };
        transaction!(self, |tx| {
            let (until, finalised) = phase(tx, assembly_id).await?;
            if finalised.is_some() {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.finalised")));
            }
            if until.as_deref().is_none_or(|u| today <= u) {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.objection_period")));
            }
            let open: i64 = on!(tx, |c| sqlx::query_scalar(
                "SELECT COUNT(*) FROM assembly_objections WHERE assembly_id = $1 AND answer IS NULL"
            )
            .bind(assembly_id)
            .fetch_one(c)
            .await)?;
            if open > 0 {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.unanswered")));
            }
            exec!(
                tx,
                sqlx::query("UPDATE assemblies SET finalised_at = $1 WHERE id = $2").bind(now).bind(assembly_id)
            )?;
            let (community_id, title): (i64, String) =
                on!(tx, |c| sqlx::query_as("SELECT community_id, title FROM assemblies WHERE id = $1")
                    .bind(assembly_id)
                    .fetch_one(c)
                    .await)?;
            super::announce(tx, assembly_id, community_id, &title, "assembly_final", now).await?;
            crate::publicity::post_assembly_result(tx, community_id, assembly_id, &title, today, now).await?;
            if let Some(result) = &election {
                crate::committees::form(tx, community_id, assembly_id, today, result).await?;
            }
        })
    }

    /// The counted ballots, each with its voter's units, in roll order.
    pub async fn ballot_record(&self, assembly_id: i64) -> StoreResult<Vec<RecordedBallot>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT b.elector_id, e.label, b.channel, b.marks FROM assembly_ballots b \
             JOIN assembly_electors e ON e.id = b.elector_id WHERE b.assembly_id = $1 ORDER BY e.id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }
}
