//! Consultations in the store: started from a topic (or an accepted residents' proposal),
//! then each step recorded once and in the order its kind sets
//! ([`linli_domain::consultation::next`]); a failed vote ends it, the last step completes
//! it; a step that publishes puts its text on the community's public record in the same
//! transaction.

use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::consultation::{Kind, Step, Vote, next, steps};

/// A checked consultation to start.
#[derive(Debug, Clone)]
pub struct NewConsultation {
    pub community_id: i64,
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub proposal_id: Option<i64>,
    pub by: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consultation {
    pub id: i64,
    pub community_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub proposal_id: Option<i64>,
    /// running, done, or failed (a vote did not pass).
    pub status: String,
    pub created_at: i64,
}

/// A recorded step.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRecord {
    #[sqlx(try_from = "String")]
    pub step: Step,
    pub held_on: String,
    pub note: String,
    pub members: Option<i64>,
    pub present: Option<i64>,
    pub agree: Option<i64>,
    pub passed: bool,
    pub public_record_id: Option<i64>,
    pub recorded_by_name: String,
}

/// A checked step to record.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub step: Step,
    pub held_on: String,
    pub note: String,
    pub vote: Option<Vote>,
    pub passed: bool,
    /// The public record's title, for a step that publishes.
    pub public_title: String,
    pub by: i64,
}

const COLUMNS: &str = "id, community_id, kind, title, topic, proposal_id, status, created_at";

impl Store {
    pub async fn start_consultation(&self, new: &NewConsultation) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO consultations (community_id, kind, title, topic, proposal_id, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(new.community_id)
                .bind(new.kind.as_str())
                .bind(&new.title)
                .bind(&new.topic)
                .bind(new.proposal_id)
                .bind(new.by)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            let event = crate::audit::Event {
                account_id: Some(new.by),
                community_id: Some(new.community_id),
                action: "consultation.started",
                detail: &format!("#{id}"),
                subject_resident_id: None,
            };
            crate::audit::in_tx(tx, event, now).await?;
            id
        })
    }

    pub async fn consultations(&self, community_id: i64) -> StoreResult<Vec<Consultation>> {
        let sql =
            format!("SELECT {COLUMNS} FROM consultations WHERE community_id = $1 ORDER BY created_at DESC, id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn consultation(&self, id: i64) -> StoreResult<Consultation> {
        let sql = format!("SELECT {COLUMNS} FROM consultations WHERE id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// Its recorded steps, in order.
    pub async fn consultation_steps(&self, id: i64) -> StoreResult<Vec<StepRecord>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT s.step, s.held_on, s.note, s.members, s.present, s.agree, s.passed, s.public_record_id, \
             a.display_name AS recorded_by_name FROM consultation_steps s JOIN accounts a ON a.id = s.recorded_by \
             WHERE s.consultation_id = $1 ORDER BY s.id"
        )
        .bind(id)
        .fetch_all(db)
        .await?))
    }

    /// Records the next step of a running consultation. Another step than the one due, or a
    /// second record of it (two people at once), is refused naming the step.
    pub async fn record_step(&self, c: &Consultation, new: &NewStep) -> StoreResult<()> {
        let done = self.consultation_steps(c.id).await?.len();
        if c.status != "running" || next(c.kind, done) != Some(new.step) {
            return Err(StoreError::Invalid(FieldError::new("step", "error.consultation.order")));
        }
        let last = done + 1 == steps(c.kind).len();
        let status = if !new.passed {
            "failed"
        } else if last {
            "done"
        } else {
            "running"
        };
        let now = crate::now_ms();
        let outcome = transaction!(self, |tx| {
            let record = match new.step.publishes() {
                Some(kind) => Some(on!(tx, |conn| {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO public_records (community_id, kind, title, body, arose_on, published_at, created_by, \
                         created_at, consultation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $8) RETURNING id",
                    )
                    .bind(c.community_id)
                    .bind(kind.as_str())
                    .bind(&new.public_title)
                    .bind(&new.note)
                    .bind(&new.held_on)
                    .bind(now)
                    .bind(new.by)
                    .bind(c.id)
                    .fetch_one(conn)
                    .await
                })?),
                None => None,
            };
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO consultation_steps (consultation_id, step, held_on, note, members, present, agree, passed, \
                     public_record_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                )
                .bind(c.id)
                .bind(new.step.as_str())
                .bind(&new.held_on)
                .bind(&new.note)
                .bind(new.vote.map(|v| i64::from(v.members)))
                .bind(new.vote.map(|v| i64::from(v.present)))
                .bind(new.vote.map(|v| i64::from(v.agree)))
                .bind(new.passed)
                .bind(record)
                .bind(new.by)
                .bind(now)
            )?;
            exec!(tx, sqlx::query("UPDATE consultations SET status = $1 WHERE id = $2").bind(status).bind(c.id))?;
            let event = crate::audit::Event {
                account_id: Some(new.by),
                community_id: Some(c.community_id),
                action: "consultation.step",
                detail: &format!("#{} {}", c.id, new.step.as_str()),
                subject_resident_id: None,
            };
            crate::audit::in_tx(tx, event, now).await?;
        });
        match outcome {
            Err(StoreError::Taken { .. }) => {
                Err(StoreError::Invalid(FieldError::new("step", "error.consultation.order")))
            }
            other => other,
        }
    }
}
