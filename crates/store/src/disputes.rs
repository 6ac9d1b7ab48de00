//! Disputes in the database: what a dispute case adds to a case (risk, parties,
//! mediation sessions, settlement, referral, follow-up) and the half-monthly screening
//! sweeps. Every change also goes on the case's append-only timeline, in the same
//! transaction; names, phones, agreements and session notes are sealed.

use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use chrono::NaiveDate;
use linli_domain::FieldError;
use linli_domain::case::{Event, Remark};
use linli_domain::dispute::{FollowUp, Referral, Risk, SessionOutcome, Settlement, Side, half_month};
use linli_domain::identity::Phone;

const NAME_FIELD: &str = "dispute.party.name";
const PHONE_FIELD: &str = "dispute.party.phone";
const AGREEMENT_FIELD: &str = "dispute.agreement";
const NOTES_FIELD: &str = "dispute.session.notes";

/// A note on a case's timeline that changes no state (a mediation session, a comment…).
/// A note is internal, but for a comment a client application posts through Open311,
/// which is public by nature.
const NOTE_EVENT: &str = "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note, \
     public, remark) SELECT id, $2, $3, $4, state, state, $5, $4 = 'comment', $6 FROM cases WHERE id = $1 RETURNING id";

/// What a note on the timeline says: a person's words as written, or the system's
/// [`Remark`], put in words when read.
pub(crate) enum Said<'a> {
    Text(&'a str),
    Remark(&'a Remark),
}

/// Appends a note to a case's timeline inside a transaction, changing no state; returns
/// the event id.
pub(crate) async fn note(
    tx: &mut crate::Tx,
    case_id: i64,
    at: i64,
    account_id: Option<i64>,
    kind: &str,
    said: Said<'_>,
) -> StoreResult<i64> {
    let (text, remark) = match said {
        Said::Text(text) => (linli_domain::clean_text(text), None),
        Said::Remark(remark) => (String::new(), Some(remark.to_json())),
    };
    crate::on!(tx, |c| sqlx::query_scalar::<_, i64>(NOTE_EVENT)
        .bind(case_id)
        .bind(at)
        .bind(account_id)
        .bind(kind)
        .bind(&text)
        .bind(&remark)
        .fetch_optional(c)
        .await)?
    .ok_or(StoreError::NotFound)
}

/// The case's state and the dispute's settlement, or not found unless the case is a
/// dispute (inside a transaction).
async fn dispute_state(tx: &mut crate::Tx, case_id: i64) -> StoreResult<(String, Option<String>)> {
    crate::on!(tx, |c| sqlx::query_as::<_, (String, Option<String>)>(
        "SELECT c.state, d.settlement FROM disputes d JOIN cases c ON c.id = d.case_id WHERE d.case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(c)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// Mediation is recorded on a registered case (not before, not after a refusal).
fn mediating(state: &str) -> bool {
    !matches!(state, "reported" | "refused")
}

/// Timeline kinds that record without changing the loop's state.
pub const NOTE_KINDS: [&str; 9] =
    ["comment", "party", "risk", "mediation", "settlement", "referral", "follow_up", "merged", "alarm"];

/// A party as a report names them.
#[derive(Debug, Clone)]
pub struct NewParty {
    pub side: Side,
    pub name: String,
    pub phone: Option<Phone>,
}

/// What a dispute report adds to its case.
#[derive(Debug, Clone)]
pub struct NewDispute {
    pub risk: Risk,
    pub parties: Vec<NewParty>,
}

/// A party as the case page shows them: the phone masked.
#[derive(Debug, Clone)]
pub struct Party {
    pub id: i64,
    pub side: String,
    pub name: String,
    pub phone_masked: Option<String>,
    /// Named in the report itself (by its reporter), not added by a mediator later.
    pub in_report: bool,
}

/// One mediation session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub held_on: String,
    pub mediators: String,
    pub outcome: String,
    pub notes: String,
    pub recorded_by: Option<String>,
}

/// A session to record.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub held_on: NaiveDate,
    pub mediators: String,
    pub outcome: SessionOutcome,
    pub notes: String,
}

/// Everything a dispute adds to its case.
#[derive(Debug, Clone)]
pub struct Dispute {
    pub case_id: i64,
    pub risk: Risk,
    pub settlement: Option<Settlement>,
    pub settled_on: Option<String>,
    pub agreement: Option<String>,
    pub referral: Option<Referral>,
    pub follow_up: Option<FollowUp>,
    pub followed_up_on: Option<String>,
    pub parties: Vec<Party>,
    pub sessions: Vec<Session>,
}

#[derive(sqlx::FromRow)]
struct DisputeRow {
    risk: String,
    settlement: Option<String>,
    settled_on: Option<String>,
    agreement_sealed: Option<String>,
    referral: Option<String>,
    follow_up: Option<String>,
    followed_up_on: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PartyRow {
    id: i64,
    side: String,
    name_sealed: String,
    phone_sealed: Option<String>,
    in_report: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    held_on: String,
    mediators: String,
    outcome: String,
    notes_sealed: Option<String>,
    recorded_by: Option<String>,
}

/// One grid's screening in a half-month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridSweeps {
    pub grid_id: i64,
    pub grid_name: String,
    pub sweeps: i64,
    pub found: i64,
    pub last_on: Option<String>,
}

/// A dispute as a list shows it beside its case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeSummary {
    pub case_id: i64,
    #[sqlx(try_from = "String")]
    pub risk: Risk,
    pub sessions: i64,
    pub settlement: Option<String>,
    pub follow_up: Option<String>,
}

/// A sweep to record.
#[derive(Debug, Clone)]
pub struct NewSweep {
    pub community_id: i64,
    pub grid_id: i64,
    pub swept_on: NaiveDate,
    pub account_id: Option<i64>,
    pub found: i64,
    pub note: String,
}

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

impl Store {
    /// Seals a party for storage: (name, phone).
    pub(crate) fn seal_party(&self, p: &NewParty) -> StoreResult<(String, Option<String>)> {
        let name = p.name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(invalid("party_name", "error.required"));
        }
        let phone = p.phone.as_ref().map(|ph| self.key().seal(PHONE_FIELD, ph.as_str())).transpose()?;
        Ok((self.key().seal(NAME_FIELD, name)?, phone))
    }

    /// The dispute of a case, if the case is one.
    pub async fn dispute(&self, case_id: i64) -> StoreResult<Option<Dispute>> {
        let row: Option<DisputeRow> = read!(self, |db| sqlx::query_as(
            "SELECT risk, settlement, settled_on, agreement_sealed, referral, follow_up, followed_up_on \
             FROM disputes WHERE case_id = $1"
        )
        .bind(case_id)
        .fetch_optional(db)
        .await?);
        // Most cases are not disputes: one read tells.
        let Some(row) = row else { return Ok(None) };
        let (parties, sessions) = read!(self, |db| {
            let parties: Vec<PartyRow> = sqlx::query_as(
                "SELECT p.id, p.side, p.name_sealed, p.phone_sealed, p.created_at <= c.reported_at AS in_report \
                 FROM dispute_parties p JOIN cases c ON c.id = p.case_id WHERE p.case_id = $1 ORDER BY p.id",
            )
            .bind(case_id)
            .fetch_all(db)
            .await?;
            let sessions: Vec<SessionRow> = sqlx::query_as(
                "SELECT s.id, s.held_on, s.mediators, s.outcome, s.notes_sealed, a.display_name AS recorded_by \
                 FROM mediation_sessions s LEFT JOIN accounts a ON a.id = s.recorded_by \
                 WHERE s.case_id = $1 ORDER BY s.held_on, s.id",
            )
            .bind(case_id)
            .fetch_all(db)
            .await?;
            (parties, sessions)
        });
        let key = self.key();
        let parties = parties
            .into_iter()
            .map(|p| {
                let phone = p.phone_sealed.map(|s| key.open(PHONE_FIELD, &s)).transpose()?;
                Ok(Party {
                    id: p.id,
                    side: p.side,
                    name: key.open(NAME_FIELD, &p.name_sealed)?,
                    phone_masked: phone.and_then(|ph| Phone::parse("phone", &ph).ok()).map(|ph| ph.masked()),
                    in_report: p.in_report,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let sessions = sessions
            .into_iter()
            .map(|s| {
                Ok(Session {
                    id: s.id,
                    held_on: s.held_on,
                    mediators: s.mediators,
                    outcome: s.outcome,
                    notes: s.notes_sealed.map(|n| key.open(NOTES_FIELD, &n)).transpose()?.unwrap_or_default(),
                    recorded_by: s.recorded_by,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(Dispute {
            case_id,
            risk: Risk::parse(&row.risk).map_err(StoreError::Invalid)?,
            settlement: row.settlement.as_deref().map(Settlement::parse).transpose().map_err(StoreError::Invalid)?,
            settled_on: row.settled_on,
            agreement: row.agreement_sealed.map(|a| key.open(AGREEMENT_FIELD, &a)).transpose()?,
            referral: row.referral.as_deref().map(Referral::parse).transpose().map_err(StoreError::Invalid)?,
            follow_up: row.follow_up.as_deref().map(FollowUp::parse).transpose().map_err(StoreError::Invalid)?,
            followed_up_on: row.followed_up_on,
            parties,
            sessions,
        }))
    }

    pub async fn add_dispute_party(&self, case_id: i64, account_id: Option<i64>, party: &NewParty) -> StoreResult<()> {
        let (name, phone) = self.seal_party(party)?;
        let now = now_ms();
        transaction!(self, |tx| {
            dispute_state(tx, case_id).await?;
            crate::on!(tx, |c| {
                sqlx::query("INSERT INTO dispute_parties (case_id, side, name_sealed, phone_sealed, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(case_id)
                .bind(party.side.as_str())
                .bind(&name)
                .bind(&phone)
                .bind(now)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
            })?;
            note(
                tx,
                case_id,
                now,
                account_id,
                "party",
                Said::Remark(&Remark::Code { code: party.side.as_str().to_owned() }),
            )
            .await?;
        })
    }

    /// Changes the risk level. A threat of violence escalates a case still at its grid.
    pub async fn set_dispute_risk(&self, case_id: i64, account_id: Option<i64>, risk: Risk) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            dispute_state(tx, case_id).await?;
            crate::exec!(
                tx,
                sqlx::query("UPDATE disputes SET risk = $1, updated_at = $2 WHERE case_id = $3")
                    .bind(risk.as_str())
                    .bind(now)
                    .bind(case_id)
            )?;
            note(tx, case_id, now, account_id, "risk", Said::Remark(&Remark::Code { code: risk.as_str().to_owned() }))
                .await?;
        })?;
        if risk.escalates() {
            let case = self.case(case_id).await?;
            if case.level == "grid" {
                // A closed case cannot be escalated: the loop refuses, and that is right.
                let note = crate::cases::StepNote::remark(&Remark::ViolenceEscalation);
                let extras = crate::cases::StepExtras::default();
                match self.apply_case_step_with(case_id, account_id, &Event::Escalate, &note, extras).await {
                    Ok(_) | Err(StoreError::Invalid(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    pub async fn record_mediation(&self, case_id: i64, account_id: Option<i64>, s: &NewSession) -> StoreResult<()> {
        let mediators = s.mediators.trim();
        if mediators.is_empty() || mediators.chars().count() > 100 {
            return Err(invalid("mediators", "error.required"));
        }
        if s.notes.chars().count() > 2000 {
            return Err(invalid("notes", "error.case.note"));
        }
        let notes = match s.notes.trim() {
            "" => None,
            n => Some(self.key().seal(NOTES_FIELD, n)?),
        };
        let now = now_ms();
        transaction!(self, |tx| {
            let (state, settlement) = dispute_state(tx, case_id).await?;
            if !mediating(&state) || settlement.is_some() {
                return Err(invalid("action", "error.dispute.not_now"));
            }
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO mediation_sessions (case_id, held_on, mediators, outcome, notes_sealed, recorded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(case_id)
            .bind(s.held_on.to_string())
            .bind(mediators)
            .bind(s.outcome.as_str())
            .bind(&notes)
            .bind(account_id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            let session = Remark::Mediation {
                held_on: s.held_on.to_string(),
                outcome: s.outcome.as_str().to_owned(),
                mediators: mediators.to_owned(),
            };
            note(tx, case_id, now, account_id, "mediation", Said::Remark(&session)).await?;
        })
    }

    /// Ends the mediation: an agreement (its text is required), a record, or no agreement.
    /// A dispute settles once.
    pub async fn settle_dispute(
        &self,
        case_id: i64,
        account_id: Option<i64>,
        settlement: Settlement,
        on: NaiveDate,
        agreement: &str,
    ) -> StoreResult<()> {
        let agreement = agreement.trim();
        if settlement != Settlement::Failed && agreement.is_empty() {
            return Err(invalid("agreement", "error.dispute.agreement"));
        }
        if agreement.chars().count() > 5000 {
            return Err(invalid("agreement", "error.case.note"));
        }
        let sealed = if agreement.is_empty() { None } else { Some(self.key().seal(AGREEMENT_FIELD, agreement)?) };
        let now = now_ms();
        transaction!(self, |tx| {
            let (state, _) = dispute_state(tx, case_id).await?;
            if !mediating(&state) {
                return Err(invalid("action", "error.dispute.not_now"));
            }
            let n = crate::exec!(
                tx,
                sqlx::query(
                    "UPDATE disputes SET settlement = $1, settled_on = $2, agreement_sealed = $3, updated_at = $4 \
                 WHERE case_id = $5 AND settlement IS NULL",
                )
                .bind(settlement.as_str())
                .bind(on.to_string())
                .bind(&sealed)
                .bind(now)
                .bind(case_id)
            )?;
            if n == 0 {
                return Err(invalid("settlement", "error.dispute.settled"));
            }
            note(
                tx,
                case_id,
                now,
                account_id,
                "settlement",
                Said::Remark(&Remark::Code { code: settlement.as_str().to_owned() }),
            )
            .await?;
        })
    }

    /// Sends a dispute beyond mediation to legal aid, arbitration, a court or an authority.
    pub async fn refer_dispute(&self, case_id: i64, account_id: Option<i64>, referral: Referral) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            let (_, settlement) = dispute_state(tx, case_id).await?;
            if settlement.as_deref().is_some_and(|s| s != "failed") {
                return Err(invalid("referral", "error.dispute.refer"));
            }
            crate::exec!(
                tx,
                sqlx::query(
                    "UPDATE disputes SET referral = $1, updated_at = $2 WHERE case_id = $3 AND referral IS NULL"
                )
                .bind(referral.as_str())
                .bind(now)
                .bind(case_id)
            )?;
            note(
                tx,
                case_id,
                now,
                account_id,
                "referral",
                Said::Remark(&Remark::Code { code: referral.as_str().to_owned() }),
            )
            .await?;
        })
    }

    /// The follow-up visit: only after an agreement, and not before it was made.
    pub async fn record_follow_up(
        &self,
        case_id: i64,
        account_id: Option<i64>,
        result: FollowUp,
        on: NaiveDate,
    ) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            let n = crate::exec!(
                tx,
                sqlx::query(
                    "UPDATE disputes SET follow_up = $1, followed_up_on = $2, updated_at = $3 \
                 WHERE case_id = $4 AND settlement IN ('agreement', 'record') AND settled_on <= $2",
                )
                .bind(result.as_str())
                .bind(on.to_string())
                .bind(now)
                .bind(case_id)
            )?;
            if n == 0 {
                return Err(invalid("follow_up", "error.dispute.follow_up"));
            }
            note(
                tx,
                case_id,
                now,
                account_id,
                "follow_up",
                Said::Remark(&Remark::Code { code: result.as_str().to_owned() }),
            )
            .await?;
        })
    }

    /// Records a screening sweep of a grid (also one that found nothing).
    pub async fn record_sweep(&self, s: &NewSweep) -> StoreResult<i64> {
        if !(0..=100).contains(&s.found) {
            return Err(invalid("found", "error.dispute.found"));
        }
        if s.note.chars().count() > 1000 {
            return Err(invalid("note", "error.case.note"));
        }
        let now = now_ms();
        transaction!(self, |tx| {
            crate::on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO screening_sweeps (community_id, grid_id, swept_on, half_month, account_id, found, note, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(s.community_id)
            .bind(s.grid_id)
            .bind(s.swept_on.to_string())
            .bind(half_month(s.swept_on))
            .bind(s.account_id)
            .bind(s.found)
            .bind(s.note.trim())
            .bind(now)
            .fetch_one(c)
            .await
            })?
        })
    }

    /// The disputes of these cases, for a list.
    pub async fn dispute_summaries(&self, case_ids: &[i64]) -> StoreResult<Vec<DisputeSummary>> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=case_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT d.case_id, d.risk, (SELECT COUNT(*) FROM mediation_sessions s WHERE s.case_id = d.case_id) AS sessions, \
             d.settlement, d.follow_up FROM disputes d WHERE d.case_id IN ({})",
            marks.join(", ")
        );
        read!(self, |db| {
            let mut q = sqlx::query_as(&sql);
            for id in case_ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(db).await?)
        })
    }

    /// Every grid of a community with its sweeps in a half-month (`2026-11-2`).
    pub async fn sweeps_in(&self, community_id: i64, half_month: &str) -> StoreResult<Vec<GridSweeps>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT g.id AS grid_id, g.name AS grid_name, COUNT(s.id) AS sweeps, CAST(COALESCE(SUM(s.found), 0) AS BIGINT) AS found, \
             MAX(s.swept_on) AS last_on FROM grids g \
             LEFT JOIN screening_sweeps s ON s.grid_id = g.id AND s.half_month = $2 \
             WHERE g.community_id = $1 GROUP BY g.id, g.name, g.code ORDER BY g.code"
        )
        .bind(community_id)
        .bind(half_month)
        .fetch_all(db)
        .await?
        }))
    }
}
