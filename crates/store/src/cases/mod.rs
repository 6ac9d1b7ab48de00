//! Cases in the database: intake (idempotent), every step of the loop applied through
//! [`linli_domain::case::Case::apply`] and written with its timeline event in one
//! transaction, routing to whoever must act, deadlines on the holiday calendar, and the
//! scoped lists.

mod indicators;
mod intake;
mod list;
mod steps;

pub use indicators::{Dimension, IndicatorScope};
pub(crate) use intake::link_alarm;

use crate::notifications::Notice;
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use linli_domain::case::{Case, Event, Level, Remark, Source, State};
use linli_domain::worktime::{Calendar, Limit, LimitKind, china_time, utc_ms};
use serde::Serialize;

/// A category of cases (two levels, by code), with its time limit and handler.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub code: String,
    pub parent_code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    /// `problem` or `dispute`.
    pub kind: String,
    pub limit_amount: i64,
    /// `working_hours`, `working_days` or `calendar_hours`.
    pub limit_kind: String,
    /// `grid_worker`, `property_company`, `community_staff` or `social_organisation`.
    pub handler: String,
}

impl Category {
    pub fn limit(&self) -> Limit {
        Limit {
            amount: u32::try_from(self.limit_amount).unwrap_or(u32::MAX),
            kind: LimitKind::parse(&self.limit_kind).unwrap_or(LimitKind::WorkingDays),
        }
    }
}

/// A report to register as a new case.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub category_id: i64,
    pub source: Source,
    pub description: String,
    pub building_id: Option<i64>,
    pub household_id: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub address: String,
    pub reporter_account_id: Option<i64>,
    pub reporter_name: String,
    pub anonymous: bool,
    pub idempotency_key: Option<String>,
    /// Fixed on the spot by the grid worker reporting it (自办自结).
    pub self_resolved: bool,
    /// The Open311 key a client application posted with.
    pub open311_key_id: Option<i64>,
    /// The reporter's e-mail or phone from a client application; sealed at rest.
    pub contact: String,
    /// A link to a photo the client application keeps.
    pub media_url: String,
    /// What a report of a dispute category adds: its risk and parties.
    pub dispute: Option<crate::disputes::NewDispute>,
    /// Checked and re-encoded photos of the report.
    pub photos: Vec<crate::photos::NewPhoto>,
}

impl NewCase {
    /// A digest of what the reporter said (not when), to tell a retry from another report
    /// sent under the same idempotency key.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let numbers =
            [self.community_id, self.category_id, self.building_id.unwrap_or(0), self.household_id.unwrap_or(0)];
        for n in numbers {
            h.update(n.to_le_bytes());
        }
        let dispute = self.dispute.as_ref().map(|d| {
            let parties: Vec<String> = d.parties.iter().map(|p| format!("{}:{}", p.side.as_str(), p.name)).collect();
            format!("{}|{}", d.risk.as_str(), parties.join(","))
        });
        let texts = [
            self.source.as_str(),
            &self.description,
            &self.address,
            &self.reporter_name,
            &self.contact,
            &self.media_url,
            if self.anonymous { "anonymous" } else { "" },
            if self.self_resolved { "self_resolved" } else { "" },
            dispute.as_deref().unwrap_or(""),
        ];
        for t in texts {
            h.update(t.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }
}

/// A case as lists and pages show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub category_id: i64,
    pub category_code: String,
    pub category_zh: String,
    pub category_en: String,
    /// The category is part of the public record (Open311); disputes and care are not.
    pub public_category: bool,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub description: String,
    pub building_id: Option<i64>,
    pub household_id: Option<i64>,
    pub address: String,
    pub reporter_account_id: Option<i64>,
    /// Empty, like the account, for those who may not see the reporter (see [`CaseRow::shown_to`]).
    pub reporter_name: String,
    pub anonymous: bool,
    #[sqlx(try_from = "String")]
    pub state: State,
    #[sqlx(try_from = "String")]
    pub level: Level,
    pub assignee_account_id: Option<i64>,
    pub assignee_organisation_id: Option<i64>,
    pub reported_at: i64,
    pub registered_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub deadline: Option<i64>,
    pub reworks: i64,
    pub extensions: i64,
    pub self_resolved: bool,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    /// The case this report repeated, if it was merged into one.
    pub merged_into: Option<i64>,
    /// Who gave the last feedback (处理反馈): not the one to verify it.
    pub handled_by: Option<i64>,
}

impl CaseRow {
    /// The case as someone sees it who may or may not see its reporter
    /// (`linli_domain::Principal::sees_reporter` decides): the name and account go.
    pub fn shown_to(mut self, sees_reporter: bool) -> CaseRow {
        if !sees_reporter {
            self.reporter_name.clear();
            self.reporter_account_id = None;
        }
        self
    }

    pub fn is_overdue(&self, now: i64) -> bool {
        self.deadline.is_some_and(|d| d < now) && self.state.clock_runs() && self.state != State::Reported
    }
}

/// One step of a case's timeline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TimelineEvent {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub from_state: State,
    #[sqlx(try_from = "String")]
    pub to_state: State,
    pub note: String,
    /// The note is part of the case's public record (its author said so, or a client's comment).
    pub public: bool,
    /// What the system said, stored as [`Remark`] JSON: read it with [`TimelineEvent::remark`].
    #[serde(skip)]
    pub remark: Option<String>,
}

impl TimelineEvent {
    /// What the system said on this event, to be put in words in the reader's language.
    pub fn remark(&self) -> Option<Remark> {
        Remark::from_json(self.remark.as_deref())
    }
}

/// A timeline event as it is written: [`NewEvent::new`] for a note-less event that
/// leaves the state as it was, then the fields that differ.
pub(crate) struct NewEvent<'a> {
    pub case_id: i64,
    pub at: i64,
    pub actor: Option<i64>,
    pub kind: &'a str,
    pub from: State,
    pub to: State,
    pub note: &'a str,
    pub remark: Option<&'a Remark>,
    pub public: bool,
    pub idempotency_key: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    pub fn new(case_id: i64, at: i64, kind: &'a str, state: State) -> NewEvent<'a> {
        NewEvent {
            case_id,
            at,
            actor: None,
            kind,
            from: state,
            to: state,
            note: "",
            remark: None,
            public: false,
            idempotency_key: None,
        }
    }
}

/// Appends an event to a case's timeline inside a transaction; returns its id.
pub(crate) async fn insert_event(tx: &mut crate::Tx, e: &NewEvent<'_>) -> StoreResult<i64> {
    Ok(crate::on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note, public, idempotency_key, \
         remark) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(e.case_id)
    .bind(e.at)
    .bind(e.actor)
    .bind(e.kind)
    .bind(e.from.as_str())
    .bind(e.to.as_str())
    .bind(e.note)
    .bind(e.public)
    .bind(e.idempotency_key)
    .bind(e.remark.map(Remark::to_json))
    .fetch_one(c)
    .await)?)
}

/// The order of a case list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    #[default]
    Newest,
    Oldest,
    /// The nearest deadline first.
    Deadline,
}

/// The lists [`CaseQuery::state`] names besides one state: the open cases, the overdue,
/// closed ones not yet rated, all.
pub const CASE_LISTS: [&str; 4] = ["open", "overdue", "unrated", "all"];

/// Which cases, narrowed by scope and filters.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub community_id: i64,
    /// `None`: the whole community; `Some`: what a person sees of it.
    pub scope: Option<linli_domain::CaseScope>,
    /// Only this grid (within the scope).
    pub grid_id: Option<i64>,
    /// `open` (not closed or refused), `overdue`, or a state.
    pub state: Option<String>,
    /// Only cases of dispute categories.
    pub disputes_only: bool,
    /// Only cases held by this person.
    pub assignee_account_id: Option<i64>,
    /// Only this category (a top-level one: with its children).
    pub category_id: Option<i64>,
    /// Only cases held by this person, party, or the community itself.
    pub holder: Option<Holder>,
    pub source: Option<Source>,
    /// A case number, or words of the description or the place.
    pub search: Option<String>,
    pub sort: CaseSort,
    pub offset: i64,
    pub limit: i64,
}

/// The kinds of party a case may be dispatched to.
pub const RECEIVING_PARTIES: [&str; 2] = ["property_company", "social_organisation"];

const SELECT: &str = "SELECT c.id, c.community_id, c.grid_id, c.category_id, k.code AS category_code, \
     k.name_zh AS category_zh, k.name_en AS category_en, k.public AS public_category, c.source, c.description, \
     c.building_id, c.household_id, c.address, c.reporter_account_id, c.reporter_name, c.anonymous, c.state, c.level, c.assignee_account_id, \
     c.assignee_organisation_id, c.reported_at, c.registered_at, c.closed_at, c.deadline, c.reworks, c.extensions, \
     c.self_resolved, c.rating, c.rating_comment, c.merged_into, c.handled_by FROM cases c JOIN case_categories k ON k.id = c.category_id";

#[derive(sqlx::FromRow)]
struct Loop {
    community_id: i64,
    grid_id: Option<i64>,
    category_id: i64,
    state: String,
    level: String,
    resume_to: Option<String>,
    suspended_at: Option<i64>,
    registered_at: Option<i64>,
    deadline: Option<i64>,
    reworks: i64,
    extensions: i64,
    reopened: i64,
    self_resolved: bool,
    rating: Option<i64>,
    version: i64,
}

impl Loop {
    fn case(&self) -> Case {
        Case {
            state: State::parse(&self.state).unwrap_or(State::Reported),
            level: Level::parse(&self.level).unwrap_or(Level::Grid),
            resume_to: self.resume_to.as_deref().and_then(State::parse),
            reworks: u32::try_from(self.reworks).unwrap_or(0),
            extensions: u32::try_from(self.extensions).unwrap_or(0),
            reopened: u32::try_from(self.reopened).unwrap_or(0),
            self_resolved: self.self_resolved,
            rating: self.rating.and_then(|r| u8::try_from(r).ok()),
        }
    }
}

/// Who holds a case once dispatched: a person (a grid worker), a party (the property
/// company, a social organisation), or the community's staff themselves (社区统一办理).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Person(i64),
    Party(i64),
    Community,
}

impl Holder {
    /// Reads a form's value: `person:12`, `party:3` or `community`.
    pub fn parse(s: &str) -> Option<Holder> {
        match s.split_once(':') {
            Some(("person", id)) => id.parse().ok().map(Holder::Person),
            Some(("party", id)) => id.parse().ok().map(Holder::Party),
            None if s == "community" => Some(Holder::Community),
            _ => None,
        }
    }

    /// The form's value ([`Holder::parse`] reads it back).
    pub fn value(&self) -> String {
        match self {
            Holder::Person(id) => format!("person:{id}"),
            Holder::Party(id) => format!("party:{id}"),
            Holder::Community => "community".into(),
        }
    }

    /// The case's assignee columns: (account, organisation).
    fn columns(self) -> (Option<i64>, Option<i64>) {
        match self {
            Holder::Person(id) => (Some(id), None),
            Holder::Party(id) => (None, Some(id)),
            Holder::Community => (None, None),
        }
    }

    fn of((account, organisation): (Option<i64>, Option<i64>)) -> Holder {
        match (account, organisation) {
            (_, Some(org)) => Holder::Party(org),
            (Some(account), None) => Holder::Person(account),
            (None, None) => Holder::Community,
        }
    }
}

/// Whom a registered case may be dispatched to: the category's default, and everyone
/// who may receive it in its community (grid workers, the property company, social
/// organisations), with their names; the community itself is always a choice.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    pub default: Holder,
    pub choices: Vec<(Holder, String)>,
}

/// What a step carries besides its note: photos, the case a duplicate is merged into, and
/// whom a dispatch goes to (the category's default when `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StepExtras<'a> {
    pub photos: &'a [crate::photos::NewPhoto],
    pub merged_into: Option<i64>,
    pub dispatch_to: Option<Holder>,
    /// A step sent again with this key is taken once: the retry writes nothing and gets
    /// the case as it is. Callers make keys their own (`account:{id}:…`).
    pub idempotency_key: Option<&'a str>,
}

/// A step's note and whether its author made it public (the Open311 feed shows public
/// notes only, masked); staff notes are internal by default.
#[derive(Debug, Clone, Copy)]
pub struct StepNote<'a> {
    pub text: &'a str,
    pub public: bool,
    /// What the system says of the step, shown in the reader's language.
    pub remark: Option<&'a Remark>,
}

impl<'a> StepNote<'a> {
    pub fn internal(text: &'a str) -> StepNote<'a> {
        StepNote { text, public: false, remark: None }
    }

    /// The system's own words on a step, kept as a [`Remark`].
    pub fn remark(remark: &'a Remark) -> StepNote<'a> {
        StepNote { text: "", public: false, remark: Some(remark) }
    }
}

/// The outcome of a report: the case, and whether this call created it (a resubmitted
/// report with the same idempotency key returns the first case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intake {
    pub case_id: i64,
    pub created: bool,
}

impl Store {
    /// Every active category, by code.
    pub async fn case_categories(&self) -> StoreResult<Vec<Category>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, code, parent_code, name_zh, name_en, kind, limit_amount, limit_kind, handler \
             FROM case_categories WHERE active ORDER BY code"
        )
        .fetch_all(db)
        .await?))
    }

    pub async fn case_category(&self, id: i64) -> StoreResult<Category> {
        read!(self, |db| sqlx::query_as(
            "SELECT id, code, parent_code, name_zh, name_en, kind, limit_amount, limit_kind, handler \
             FROM case_categories WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)
    }

    /// The working calendar: weekends off, but for the days the operator recorded.
    pub async fn work_calendar(&self) -> StoreResult<Calendar> {
        let rows: Vec<(String, String)> =
            read!(self, |db| sqlx::query_as("SELECT day, kind FROM calendar_days").fetch_all(db).await?);
        let mut c = Calendar::default();
        for (day, kind) in rows {
            if let Ok(d) = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                if kind == "holiday" {
                    c.holidays.insert(d);
                } else {
                    c.workdays.insert(d);
                }
            }
        }
        Ok(c)
    }

    /// The public token of a case reported through Open311.
    pub async fn case_public_token(&self, id: i64) -> StoreResult<Option<String>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT public_token FROM cases WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?)
        .flatten())
    }

    pub async fn case(&self, id: i64) -> StoreResult<CaseRow> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A case's timeline, oldest first (by time: a record can be entered after the fact).
    pub async fn case_timeline(&self, case_id: i64) -> StoreResult<Vec<TimelineEvent>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT e.id, e.at, e.account_id, a.display_name AS actor, e.kind, e.from_state, e.to_state, e.note, e.public, \
             e.remark FROM case_events e LEFT JOIN accounts a ON a.id = e.account_id WHERE e.case_id = $1 ORDER BY e.at, e.id"
        )
        .bind(case_id)
        .fetch_all(db)
        .await?
        }))
    }
}
