//! Resolutions of joint meetings: each with a responsible party and a deadline; its progress
//! reported by that party, or taken from the case it opened, or rolled up from its children
//! ([`linli_domain::joint::rollup`]); followed up (督办) by the conveners, reminded before
//! its deadline and escalated to the Party secretary once overdue by the notification
//! worker; struck off (销号) with evidence once its case is closed and its children are. When
//! every resolution on a ledger item is struck off, the item is resolved.

use super::{CONVENERS, RESPONSIBLE, audit};
use crate::cases::NewCase;
use crate::notifications::{Link, tell};
use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use chrono::NaiveDate;
use linli_domain::FieldError;
use linli_domain::case::State;
use linli_domain::joint::{WARN_DAYS, case_progress, rollup};

/// A checked resolution to record.
#[derive(Debug, Clone)]
pub struct NewResolution {
    pub ledger_item_id: Option<i64>,
    pub parent_id: Option<i64>,
    /// The share of its parent's progress, in percent.
    pub weight: Option<u8>,
    pub title: String,
    pub organisation_id: i64,
    pub due_on: NaiveDate,
    pub by: i64,
}

/// A resolution as its pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resolution {
    pub id: i64,
    pub community_id: i64,
    pub meeting_id: i64,
    pub meeting_title: String,
    pub ledger_item_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub weight: Option<i64>,
    pub title: String,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub due_on: String,
    /// The figure its party last reported (used when it has no case and no children).
    pub reported: i64,
    pub case_id: Option<i64>,
    pub case_state: Option<String>,
    pub escalated_at: Option<i64>,
    pub evidence: String,
    pub done_at: Option<i64>,
    /// How far it has gone, in percent, from wherever its progress comes from.
    #[sqlx(skip)]
    pub progress: u8,
    /// How many resolutions it is broken into.
    #[sqlx(skip)]
    pub children: usize,
}

impl Resolution {
    pub fn due(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.due_on, "%Y-%m-%d").unwrap_or_default()
    }

    pub fn is_done(&self) -> bool {
        self.done_at.is_some()
    }

    fn case_state(&self) -> Option<State> {
        self.case_state.clone().and_then(|s| State::try_from(s).ok())
    }

    /// Its progress without looking at children.
    fn own_progress(&self) -> u8 {
        if self.is_done() {
            return 100;
        }
        match self.case_state() {
            Some(state) => case_progress(state),
            None => u8::try_from(self.reported.clamp(0, 100)).unwrap_or(0),
        }
    }
}

/// One thing that happened to a resolution after its meeting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResolutionUpdate {
    /// progress, urged, reminded, escalated, case_opened or struck_off.
    pub kind: String,
    pub progress: Option<i64>,
    pub note: String,
    pub account_name: Option<String>,
    pub at: i64,
}

/// What one sweep of resolutions did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolutionSweep {
    pub reminded: usize,
    pub escalated: usize,
}

const COLUMNS: &str = "r.id, r.community_id, r.meeting_id, m.title AS meeting_title, r.ledger_item_id, r.parent_id, \
     r.weight, r.title, r.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, r.due_on, \
     r.progress AS reported, r.case_id, c.state AS case_state, r.escalated_at, r.evidence, r.done_at \
     FROM resolutions r JOIN joint_meetings m ON m.id = r.meeting_id \
     JOIN organisations o ON o.id = r.organisation_id LEFT JOIN cases c ON c.id = r.case_id";

async fn log(
    tx: &mut Tx,
    id: i64,
    kind: &str,
    progress: Option<i64>,
    note: &str,
    by: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    exec!(
        tx,
        sqlx::query(
            "INSERT INTO resolution_updates (resolution_id, kind, progress, note, account_id, at) VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(id)
        .bind(kind)
        .bind(progress)
        .bind(note)
        .bind(by)
        .bind(now)
    )?;
    Ok(())
}

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

impl Store {
    /// Records a resolution of a meeting that has begun, and tells its responsible party.
    /// The party must be the community's; the deadline not before the meeting; a parent of
    /// the same meeting, itself no child and without a case; the ledger item on the agenda.
    pub async fn add_resolution(&self, meeting: &super::Meeting, new: &NewResolution) -> StoreResult<i64> {
        let now = crate::now_ms();
        if meeting.starts_at > now {
            return Err(invalid("title", "error.joint.not_yet"));
        }
        let org = self.organisation(new.organisation_id).await;
        if !org.is_ok_and(|o| o.community_id == meeting.community_id) {
            return Err(invalid("organisation_id", "error.joint.responsible"));
        }
        if new.due_on < linli_domain::worktime::china_date(meeting.starts_at) {
            return Err(invalid("due_on", "error.joint.due"));
        }
        let mut ledger_item_id = new.ledger_item_id;
        if let Some(parent) = new.parent_id {
            let p = self.resolution(parent).await.map_err(|_| invalid("parent_id", "error.joint.parent"))?;
            if p.meeting_id != meeting.id || p.parent_id.is_some() || p.case_id.is_some() || p.is_done() {
                return Err(invalid("parent_id", "error.joint.parent"));
            }
            ledger_item_id = ledger_item_id.or(p.ledger_item_id);
        } else if new.weight.is_some() {
            return Err(invalid("weight", "error.joint.weight_alone"));
        }
        if let Some(item) = ledger_item_id {
            let on_agenda: Option<i64> = read!(self, |db| sqlx::query_scalar(
                "SELECT ledger_item_id FROM meeting_agenda WHERE meeting_id = $1 AND ledger_item_id = $2"
            )
            .bind(meeting.id)
            .bind(item)
            .fetch_optional(db)
            .await?);
            if on_agenda.is_none() {
                return Err(invalid("ledger_item_id", "error.choice"));
            }
        }
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO resolutions (community_id, meeting_id, ledger_item_id, parent_id, weight, title, \
                     organisation_id, due_on, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(meeting.community_id)
                .bind(meeting.id)
                .bind(ledger_item_id)
                .bind(new.parent_id)
                .bind(new.weight.map(i64::from))
                .bind(&new.title)
                .bind(new.organisation_id)
                .bind(new.due_on.to_string())
                .bind(new.by)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            tell(tx, Link::Resolution(id), meeting.community_id, "resolution_assigned", &new.title, RESPONSIBLE, now)
                .await?;
            audit(tx, Some(new.by), meeting.community_id, "resolution.added", &format!("#{id}"), now).await?;
            id
        })
    }

    pub async fn resolution(&self, id: i64) -> StoreResult<Resolution> {
        let sql = format!("SELECT {COLUMNS} WHERE r.id = $1");
        let row: Resolution =
            read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)?;
        let community = row.community_id;
        Ok(self.with_progress(community, vec![row]).await?.remove(0))
    }

    /// A meeting's resolutions, parents each followed by their children.
    pub async fn meeting_resolutions(&self, meeting_id: i64) -> StoreResult<Vec<Resolution>> {
        let sql = format!("SELECT {COLUMNS} WHERE r.meeting_id = $1 ORDER BY COALESCE(r.parent_id, r.id), r.id");
        let rows: Vec<Resolution> = read!(self, |db| sqlx::query_as(&sql).bind(meeting_id).fetch_all(db).await?);
        match rows.first().map(|r| r.community_id) {
            Some(community) => self.with_progress(community, rows).await,
            None => Ok(rows),
        }
    }

    /// The community's resolutions not yet struck off, across meetings, the earliest
    /// deadline (so the overdue) first; only those of some parties when `parties` is given.
    pub async fn open_resolutions(&self, community_id: i64, parties: Option<&[i64]>) -> StoreResult<Vec<Resolution>> {
        let sql = format!("SELECT {COLUMNS} WHERE r.community_id = $1 AND r.done_at IS NULL ORDER BY r.due_on, r.id");
        let rows: Vec<Resolution> = read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?);
        let rows = rows.into_iter().filter(|r| parties.is_none_or(|p| p.contains(&r.organisation_id))).collect();
        self.with_progress(community_id, rows).await
    }

    /// Fills in each resolution's progress: its own, its case's, or its children's.
    async fn with_progress(&self, community_id: i64, mut rows: Vec<Resolution>) -> StoreResult<Vec<Resolution>> {
        let sql = format!("SELECT {COLUMNS} WHERE r.community_id = $1 AND r.parent_id IS NOT NULL");
        let children: Vec<Resolution> = read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?);
        for row in &mut rows {
            let mine: Vec<(Option<u8>, u8)> = children
                .iter()
                .filter(|c| c.parent_id == Some(row.id))
                .map(|c| (c.weight.and_then(|w| u8::try_from(w).ok()), c.own_progress()))
                .collect();
            row.children = mine.len();
            row.progress = match rollup(&mine) {
                Some(p) if !row.is_done() => p,
                _ => row.own_progress(),
            };
        }
        Ok(rows)
    }

    /// What happened to a resolution, oldest first.
    pub async fn resolution_updates(&self, id: i64) -> StoreResult<Vec<ResolutionUpdate>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT u.kind, u.progress, u.note, a.display_name AS account_name, u.at FROM resolution_updates u \
             LEFT JOIN accounts a ON a.id = u.account_id WHERE u.resolution_id = $1 ORDER BY u.at, u.id"
        )
        .bind(id)
        .fetch_all(db)
        .await?))
    }

    /// The responsible party reports progress on a resolution that takes its figure from
    /// nothing else (no case, no children) and is not struck off.
    pub async fn report_progress(&self, r: &Resolution, progress: u8, note: &str, by: i64) -> StoreResult<()> {
        if r.case_id.is_some() || r.children > 0 {
            return Err(invalid("progress", "error.joint.progress_derived"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query("UPDATE resolutions SET progress = $1 WHERE id = $2 AND done_at IS NULL")
                    .bind(i64::from(progress))
                    .bind(r.id)
            )?;
            if done == 0 {
                return Err(invalid("progress", "error.joint.done"));
            }
            log(tx, r.id, "progress", Some(i64::from(progress)), note, Some(by), now).await?;
        })
    }

    /// A follow-up (督办): the note goes on the record and to the responsible party.
    pub async fn urge_resolution(&self, r: &Resolution, note: &str, by: i64) -> StoreResult<()> {
        if r.is_done() {
            return Err(invalid("note", "error.joint.done"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            log(tx, r.id, "urged", None, note, Some(by), now).await?;
            tell(tx, Link::Resolution(r.id), r.community_id, "resolution_urged", note, RESPONSIBLE, now).await?;
        })
    }

    /// Opens the case a resolution needs in the field, and takes its progress from it. The
    /// report carries the resolution as its key, so a retry (or a second click) reaches the
    /// same case and the link is made once.
    pub async fn open_resolution_case(&self, r: &Resolution, new: &NewCase, by: i64) -> StoreResult<i64> {
        if r.is_done() || r.children > 0 {
            return Err(invalid("category_id", "error.joint.no_case"));
        }
        if let Some(case) = r.case_id {
            return Ok(case);
        }
        let new = NewCase { idempotency_key: Some(format!("resolution:{}", r.id)), ..new.clone() };
        let case = self.report_case(&new).await?.case_id;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let linked = exec!(
                tx,
                sqlx::query("UPDATE resolutions SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
                    .bind(case)
                    .bind(r.id)
            )?;
            if linked > 0 {
                log(tx, r.id, "case_opened", None, &format!("#{case}"), Some(by), now).await?;
            }
            case
        })
    }

    /// Strikes a resolution off (销号) with its evidence, once its case is closed and its
    /// children are struck off; resolves its ledger item when nothing on it is left open.
    pub async fn strike_off(&self, r: &Resolution, evidence: &str, by: i64) -> StoreResult<()> {
        if r.case_id.is_some() && r.case_state() != Some(State::Closed) {
            return Err(invalid("evidence", "error.joint.case_open"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let open_children: i64 = on!(tx, |c| {
                sqlx::query_scalar("SELECT COUNT(*) FROM resolutions WHERE parent_id = $1 AND done_at IS NULL")
                    .bind(r.id)
                    .fetch_one(c)
                    .await
            })?;
            if open_children > 0 {
                return Err(invalid("evidence", "error.joint.children_open"));
            }
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE resolutions SET done_at = $1, done_by = $2, evidence = $3, progress = 100 \
                     WHERE id = $4 AND done_at IS NULL"
                )
                .bind(now)
                .bind(by)
                .bind(evidence)
                .bind(r.id)
            )?;
            if done == 0 {
                return Err(invalid("evidence", "error.joint.done"));
            }
            log(tx, r.id, "struck_off", Some(100), evidence, Some(by), now).await?;
            if let Some(item) = r.ledger_item_id {
                exec!(
                    tx,
                    sqlx::query(
                        "UPDATE ledger_items SET status = 'resolved', closed_at = $1 WHERE id = $2 AND status = 'on_agenda' \
                         AND NOT EXISTS (SELECT 1 FROM resolutions WHERE ledger_item_id = $2 AND done_at IS NULL)"
                    )
                    .bind(now)
                    .bind(item)
                )?;
            }
            audit(tx, Some(by), r.community_id, "resolution.struck_off", &format!("#{}", r.id), now).await?;
        })
    }

    /// Reminds the responsible party of a resolution due within [`WARN_DAYS`] (once per
    /// deadline), and escalates one past its deadline to the Party secretary (once), with
    /// a reminder to the party; both go on the resolution's record.
    pub async fn sweep_resolutions(&self, today: NaiveDate, now: i64) -> StoreResult<ResolutionSweep> {
        let mut done = ResolutionSweep::default();
        let soon = (today + chrono::Duration::days(WARN_DAYS)).to_string();
        let due: Vec<(i64, i64, String, String)> = read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, due_on, title FROM resolutions WHERE done_at IS NULL AND due_on <= $1 \
             AND due_on >= $2 AND (reminded_for IS NULL OR reminded_for <> due_on) ORDER BY due_on LIMIT 500"
        )
        .bind(&soon)
        .bind(today.to_string())
        .fetch_all(db)
        .await?);
        for (id, community, due_on, title) in due {
            transaction!(self, |tx| {
                exec!(tx, sqlx::query("UPDATE resolutions SET reminded_for = due_on WHERE id = $1").bind(id))?;
                log(tx, id, "reminded", None, &due_on, None, now).await?;
                tell(tx, Link::Resolution(id), community, "resolution_due", &title, RESPONSIBLE, now).await?;
            })?;
            done.reminded += 1;
        }
        let overdue: Vec<(i64, i64, String)> = read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, title FROM resolutions WHERE done_at IS NULL AND due_on < $1 \
             AND escalated_at IS NULL ORDER BY due_on LIMIT 500"
        )
        .bind(today.to_string())
        .fetch_all(db)
        .await?);
        for (id, community, title) in overdue {
            transaction!(self, |tx| {
                exec!(tx, sqlx::query("UPDATE resolutions SET escalated_at = $1 WHERE id = $2").bind(now).bind(id))?;
                log(tx, id, "escalated", None, "", None, now).await?;
                tell(tx, Link::Resolution(id), community, "resolution_overdue", &title, RESPONSIBLE, now).await?;
                tell(tx, Link::Resolution(id), community, "resolution_escalated", &title, CONVENERS, now).await?;
            })?;
            done.escalated += 1;
        }
        Ok(done)
    }
}
