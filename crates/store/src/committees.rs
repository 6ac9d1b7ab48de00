//! The owners' committee in office: formed when an election's final result is published
//! (members and alternates as the result placed them), and its duties kept as a record the
//! domain reads as open tasks ([`linli_domain::committee::open_duties`]): the first meeting
//! with its chair and vice chair, filing with the street, regular meetings, and decisions
//! signed by more than half of all members, then published. A daily sweep reminds the
//! committee and the community's staff of each duty due soon or overdue, once per deadline.

use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::committee::{DutyState, Record, decision_passes, open_duties};
use linli_domain::election::{ElectionResult, Outcome};

/// A committee as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Committee {
    pub id: i64,
    pub community_id: i64,
    pub assembly_id: i64,
    pub elected_on: String,
    pub chair_id: Option<i64>,
    pub vice_chair_id: Option<i64>,
    pub first_meeting_on: Option<String>,
    pub filed_on: Option<String>,
}

/// A member or alternate, by the candidate they stood as.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub candidate_id: i64,
    pub name: String,
    /// `member` or `alternate`.
    pub standing: String,
    pub rank: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meeting {
    pub id: i64,
    pub held_on: String,
    pub minutes: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Decision {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub decided_on: String,
    pub published_at: Option<i64>,
    pub signatures: i64,
}

const SELECT_COMMITTEE: &str = "SELECT id, community_id, assembly_id, elected_on, chair_id, vice_chair_id, \
     first_meeting_on, filed_on FROM committees";

/// Days since the epoch of a China date, for the domain's arithmetic.
fn days(date: &str) -> i64 {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|d| d.signed_duration_since(chrono::NaiveDate::default()).num_days())
        .unwrap_or_default()
}

/// The China date `days` after the epoch.
pub fn date_of(days: i64) -> String {
    (chrono::NaiveDate::default() + chrono::Duration::days(days)).to_string()
}

/// Forms the committee an election's result put in office, inside the transaction that
/// publishes the final result.
pub(crate) async fn form(
    tx: &mut Tx,
    community_id: i64,
    assembly_id: i64,
    today: &str,
    result: &ElectionResult,
) -> StoreResult<i64> {
    let id: i64 = on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO committees (community_id, assembly_id, elected_on) VALUES ($1, $2, $3) RETURNING id"
    )
    .bind(community_id)
    .bind(assembly_id)
    .bind(today)
    .fetch_one(c)
    .await)?;
    for (standing, outcome) in [("member", Outcome::Elected), ("alternate", Outcome::Alternate)] {
        for (rank, s) in result.with(outcome).enumerate() {
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO committee_members (committee_id, candidate_id, standing, rank) VALUES ($1, $2, $3, $4)"
                )
                .bind(id)
                .bind(s.candidate)
                .bind(standing)
                .bind(rank as i64 + 1)
            )?;
        }
    }
    Ok(id)
}

/// The committee's row locked for a change (an update that changes nothing takes the lock).
async fn lock(tx: &mut Tx, committee_id: i64) -> StoreResult<Committee> {
    let found: Option<Committee> = on!(tx, |c| sqlx::query_as(
        "UPDATE committees SET elected_on = elected_on WHERE id = $1 RETURNING id, community_id, assembly_id, \
         elected_on, chair_id, vice_chair_id, first_meeting_on, filed_on"
    )
    .bind(committee_id)
    .fetch_optional(c)
    .await)?;
    found.ok_or(StoreError::NotFound)
}

impl Store {
    pub async fn committee(&self, id: i64) -> StoreResult<Committee> {
        let sql = format!("{SELECT_COMMITTEE} WHERE id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A community's committees, the one in office (the latest) first.
    pub async fn committees(&self, community_id: i64) -> StoreResult<Vec<Committee>> {
        let sql = format!("{SELECT_COMMITTEE} WHERE community_id = $1 ORDER BY elected_on DESC, id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    /// Members first, then alternates in order.
    pub async fn committee_members(&self, committee_id: i64) -> StoreResult<Vec<Member>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT m.candidate_id, k.name, m.standing, m.rank FROM committee_members m \
             JOIN assembly_candidates k ON k.id = m.candidate_id WHERE m.committee_id = $1 \
             ORDER BY CASE m.standing WHEN 'member' THEN 0 ELSE 1 END, m.rank"
        )
        .bind(committee_id)
        .fetch_all(db)
        .await?))
    }

    /// The members (not the alternates), by the candidate they stood as.
    pub async fn member_ids(&self, committee_id: i64) -> StoreResult<Vec<i64>> {
        Ok(self
            .committee_members(committee_id)
            .await?
            .into_iter()
            .filter(|m| m.standing == "member")
            .map(|m| m.candidate_id)
            .collect())
    }

    pub async fn committee_meetings(&self, committee_id: i64) -> StoreResult<Vec<Meeting>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, held_on, minutes FROM committee_meetings WHERE committee_id = $1 ORDER BY held_on DESC, id DESC"
        )
        .bind(committee_id)
        .fetch_all(db)
        .await?))
    }

    pub async fn committee_decisions(&self, committee_id: i64) -> StoreResult<Vec<Decision>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT d.id, d.title, d.body, d.decided_on, d.published_at, \
             (SELECT COUNT(*) FROM committee_decision_signers s WHERE s.decision_id = d.id) AS signatures \
             FROM committee_decisions d WHERE d.committee_id = $1 ORDER BY d.decided_on DESC, d.id DESC"
        )
        .bind(committee_id)
        .fetch_all(db)
        .await?))
    }

    /// The first meeting: its day, the chair and vice chair it elected (two members), and
    /// its minutes. Once.
    pub async fn record_first_meeting(
        &self,
        committee_id: i64,
        held_on: &str,
        chair: i64,
        vice_chair: i64,
        minutes: &str,
        by: i64,
    ) -> StoreResult<()> {
        let members = self.member_ids(committee_id).await?;
        linli_domain::committee::check_officers(chair, vice_chair, &members).map_err(StoreError::Invalid)?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let committee = lock(tx, committee_id).await?;
            if committee.first_meeting_on.is_some() {
                return Err(StoreError::Invalid(FieldError::new("held_on", "error.committee.first_meeting_done")));
            }
            if held_on < committee.elected_on.as_str() {
                return Err(StoreError::Invalid(FieldError::new("held_on", "error.committee.before_election")));
            }
            exec!(
                tx,
                sqlx::query(
                    "UPDATE committees SET first_meeting_on = $1, chair_id = $2, vice_chair_id = $3 WHERE id = $4"
                )
                .bind(held_on)
                .bind(chair)
                .bind(vice_chair)
                .bind(committee_id)
            )?;
            insert_meeting(tx, committee_id, held_on, minutes, by, now).await?;
        })
    }

    /// A regular committee meeting (after the first).
    pub async fn record_meeting(&self, committee_id: i64, held_on: &str, minutes: &str, by: i64) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let committee = lock(tx, committee_id).await?;
            if committee.first_meeting_on.is_none() {
                return Err(StoreError::Invalid(FieldError::new("held_on", "error.committee.first_meeting_first")));
            }
            if held_on < committee.elected_on.as_str() {
                return Err(StoreError::Invalid(FieldError::new("held_on", "error.committee.before_election")));
            }
            insert_meeting(tx, committee_id, held_on, minutes, by, now).await?
        })
    }

    /// Filing (备案) of the election's result with the street office. Once.
    pub async fn record_filing(&self, committee_id: i64, filed_on: &str, by: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            let committee = lock(tx, committee_id).await?;
            if committee.filed_on.is_some() {
                return Err(StoreError::Invalid(FieldError::new("filed_on", "error.committee.filed")));
            }
            if filed_on < committee.elected_on.as_str() {
                return Err(StoreError::Invalid(FieldError::new("filed_on", "error.committee.before_election")));
            }
            exec!(
                tx,
                sqlx::query("UPDATE committees SET filed_on = $1, filed_by = $2 WHERE id = $3")
                    .bind(filed_on)
                    .bind(by)
                    .bind(committee_id)
            )?;
        })
    }

    /// A decision with the members who signed it: refused, nothing written, unless more than
    /// half of ALL members signed.
    pub async fn record_decision(
        &self,
        committee_id: i64,
        title: &str,
        body: &str,
        decided_on: &str,
        signers: &[i64],
        by: i64,
    ) -> StoreResult<i64> {
        let members = self.member_ids(committee_id).await?;
        let mut signed: Vec<i64> = signers.iter().copied().filter(|s| members.contains(s)).collect();
        signed.sort_unstable();
        signed.dedup();
        if signed.len() != signers.len() {
            return Err(StoreError::Invalid(FieldError::new("signers", "error.choice")));
        }
        if !decision_passes(signed.len() as i64, members.len() as i64) {
            return Err(StoreError::Invalid(FieldError::new("signers", "error.committee.not_majority")));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let committee = lock(tx, committee_id).await?;
            if decided_on < committee.elected_on.as_str() {
                return Err(StoreError::Invalid(FieldError::new("decided_on", "error.committee.before_election")));
            }
            let id: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO committee_decisions (committee_id, title, body, decided_on, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
            )
            .bind(committee_id)
            .bind(title)
            .bind(body)
            .bind(decided_on)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await)?;
            for s in &signed {
                exec!(
                    tx,
                    sqlx::query("INSERT INTO committee_decision_signers (decision_id, candidate_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(s)
                )?;
            }
            id
        })
    }

    /// Publishes a decision to the owners (once).
    pub async fn publish_decision(&self, committee_id: i64, decision_id: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE committee_decisions SET published_at = $1 \
                     WHERE id = $2 AND committee_id = $3 AND published_at IS NULL"
                )
                .bind(now)
                .bind(decision_id)
                .bind(committee_id)
            )?;
            if done == 0 {
                return Err(StoreError::Invalid(FieldError::new("decision", "error.committee.published")));
            }
        })
    }

    /// What the committee has done, as the domain reads it.
    pub async fn committee_record(&self, c: &Committee) -> StoreResult<Record> {
        let last: Option<String> =
            read!(self, |db| sqlx::query_scalar("SELECT MAX(held_on) FROM committee_meetings WHERE committee_id = $1")
                .bind(c.id)
                .fetch_one(db)
                .await?);
        let unpublished = self
            .committee_decisions(c.id)
            .await?
            .into_iter()
            .filter(|d| d.published_at.is_none())
            .map(|d| (d.id, days(&d.decided_on)))
            .collect();
        Ok(Record {
            elected_on: days(&c.elected_on),
            first_meeting: c.first_meeting_on.as_deref().map(days),
            filed: c.filed_on.as_deref().map(days),
            last_meeting: last.as_deref().map(days),
            unpublished,
        })
    }

    /// Reminds each committee in office (the latest of each community) of its duties due soon
    /// or overdue on `today`: the owners' committee members and the community's staff are told,
    /// once per duty and deadline. Returns how many reminders went out.
    pub async fn remind_committees(&self, today: &str, now: i64) -> StoreResult<usize> {
        let current: Vec<Committee> = {
            let sql = format!(
                "{SELECT_COMMITTEE} c WHERE NOT EXISTS (SELECT 1 FROM committees l WHERE l.community_id = c.community_id \
                 AND (l.elected_on > c.elected_on OR (l.elected_on = c.elected_on AND l.id > c.id)))"
            );
            read!(self, |db| sqlx::query_as(&sql).fetch_all(db).await?)
        };
        let duties = self.self_governance().await?.duties;
        let mut sent = 0;
        for c in current {
            let record = self.committee_record(&c).await?;
            for duty in open_duties(duties, &record, days(today)) {
                if duty.state == DutyState::Pending {
                    continue;
                }
                let due = date_of(duty.due);
                let kind = format!("committee_{}", duty.duty.as_str());
                let fresh = transaction!(self, |tx| {
                    let fresh = exec!(
                        tx,
                        sqlx::query(
                            "INSERT INTO committee_reminders (committee_id, duty, due_on, sent_at) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (committee_id, duty, due_on) DO NOTHING"
                        )
                        .bind(c.id)
                        .bind(duty.duty.as_str())
                        .bind(&due)
                        .bind(now)
                    )?;
                    if fresh == 1 {
                        tell_committee(tx, &c, &kind, &due, now).await?;
                    }
                    fresh
                })?;
                sent += fresh as usize;
            }
        }
        Ok(sent)
    }
}

async fn insert_meeting(
    tx: &mut Tx,
    committee_id: i64,
    held_on: &str,
    minutes: &str,
    by: i64,
    now: i64,
) -> StoreResult<i64> {
    on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO committee_meetings (committee_id, held_on, minutes, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(committee_id)
    .bind(held_on)
    .bind(minutes)
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await)
    .map_err(Into::into)
}

async fn tell_committee(tx: &mut Tx, c: &Committee, kind: &str, due: &str, now: i64) -> StoreResult<()> {
    let link = crate::notifications::Link::Committee(c.id);
    crate::notifications::tell(tx, link, c.community_id, kind, due, crate::notifications::STAFF_AND_COMMITTEE, now)
        .await
}
