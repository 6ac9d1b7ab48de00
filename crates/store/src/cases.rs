//! Cases in the database: intake (idempotent), every step of the loop applied through
//! [`linli_domain::case::Case::apply`] and written with its timeline event in one
//! transaction, routing to whoever must act, deadlines on the holiday calendar, and the
//! scoped lists.

use crate::notifications::Notice;
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use linli_domain::case::{Case, Event, Level, State};
use linli_domain::worktime::{Calendar, Limit, LimitKind, china_time, utc_ms};
use serde::Serialize;
use utoipa::ToSchema;

/// A category of cases (two levels, by code), with its time limit and handler.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
    /// resident, patrol, phone, visit, hotline, api, alarm.
    pub source: &'static str,
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
            self.source,
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
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
    pub source: String,
    pub description: String,
    pub building_id: Option<i64>,
    pub household_id: Option<i64>,
    pub address: String,
    pub reporter_account_id: Option<i64>,
    /// Empty, like the account, for those who may not see the reporter (see [`CaseRow::shown_to`]).
    pub reporter_name: String,
    pub anonymous: bool,
    pub state: String,
    pub level: String,
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
        self.deadline.is_some_and(|d| d < now)
            && State::parse(&self.state).is_some_and(|s| s.clock_runs() && s != State::Reported)
    }
}

/// One step of a case's timeline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct TimelineEvent {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub kind: String,
    pub from_state: String,
    pub to_state: String,
    pub note: String,
    /// The note is part of the case's public record (its author said so, or a client's comment).
    pub public: bool,
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
    /// Only this source (resident, patrol, phone, …).
    pub source: Option<String>,
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
}

impl<'a> StepNote<'a> {
    pub fn internal(text: &'a str) -> StepNote<'a> {
        StepNote { text, public: false }
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

    /// Takes a report. With an idempotency key already used in the community, nothing is
    /// written and the first case is returned. A self-resolved report is registered and
    /// closed at once, and its timeline says so.
    ///
    /// A key comes back only with the report it was first sent with: the same key with
    /// another report is refused (`error.idempotency_key.reused`), never answered with the
    /// first case. Callers make keys their own (`account:{id}:…`, an Open311 key's id), so
    /// one caller's key cannot reach another's case.
    pub async fn report_case(&self, new: &NewCase) -> StoreResult<Intake> {
        let cleaned;
        let new = if [&new.description, &new.address, &new.reporter_name]
            .iter()
            .any(|t| linli_domain::clean_text(t) != **t)
        {
            cleaned = NewCase {
                description: linli_domain::clean_text(&new.description),
                address: linli_domain::clean_text(&new.address),
                reporter_name: linli_domain::clean_text(&new.reporter_name),
                ..new.clone()
            };
            &cleaned
        } else {
            new
        };
        if let Some(key) = &new.idempotency_key
            && let Some(id) = self.case_by_key(new, key).await?
        {
            return Ok(Intake { case_id: id, created: false });
        }
        let now = now_ms();
        // Only a case closed at once needs its deadline now (registration sets the others').
        let deadline = if new.self_resolved {
            let category = self.case_category(new.category_id).await?;
            let calendar = self.work_calendar().await?;
            Some(utc_ms(calendar.deadline(china_time(now), category.limit(), &[])))
        } else {
            None
        };
        let (state, closed_at) = if new.self_resolved { (State::Closed, Some(now)) } else { (State::Reported, None) };
        let inserted = self.insert_case(new, state, now, closed_at, deadline).await;
        match inserted {
            Ok(case_id) => Ok(Intake { case_id, created: true }),
            // Two submissions raced with the same key: the other one won.
            Err(StoreError::Taken { .. }) => {
                let key = new.idempotency_key.as_deref().unwrap_or_default();
                let id = self.case_by_key(new, key).await?.ok_or(StoreError::NotFound)?;
                Ok(Intake { case_id: id, created: false })
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a new case and its first timeline event. A used idempotency key comes back
    /// as [`StoreError::Taken`].
    async fn insert_case(
        &self,
        new: &NewCase,
        state: State,
        now: i64,
        closed_at: Option<i64>,
        deadline: Option<i64>,
    ) -> StoreResult<i64> {
        let contact = match new.contact.trim() {
            "" => None,
            c => Some(self.key().seal("case.contact", c)?),
        };
        // A client application can look its request up by this token (Open311 `tokens/{token}`).
        let public_token = new.open311_key_id.map(|_| uuid::Uuid::new_v4().simple().to_string());
        let parties = match &new.dispute {
            Some(d) => {
                d.parties.iter().map(|p| Ok((p.side.as_str(), self.seal_party(p)?))).collect::<StoreResult<Vec<_>>>()?
            }
            None => Vec::new(),
        };
        // A threat of violence goes straight to the community.
        let escalated = new.dispute.as_ref().is_some_and(|d| d.risk.escalates()) && state == State::Reported;
        let level = if escalated { Level::Community } else { Level::Grid };
        transaction!(self, |tx| {
            let id: i64 = crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, household_id, \
                 lon, lat, address, reporter_account_id, reporter_name, anonymous, state, level, reported_at, \
                 registered_at, closed_at, deadline, self_resolved, idempotency_key, open311_key_id, contact_sealed, \
                 media_url, public_token, request_digest) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $25, $15, $16, $17, $18, $19, $20, \
                 $21, $22, $23, $24, $26) RETURNING id",
            )
            .bind(new.community_id)
            .bind(new.grid_id)
            .bind(new.category_id)
            .bind(new.source)
            .bind(&new.description)
            .bind(new.building_id)
            .bind(new.household_id)
            .bind(new.lon)
            .bind(new.lat)
            .bind(&new.address)
            .bind(new.reporter_account_id)
            .bind(&new.reporter_name)
            .bind(new.anonymous)
            .bind(state.as_str())
            .bind(now)
            .bind(closed_at)
            .bind(closed_at)
            .bind(deadline)
            .bind(new.self_resolved)
            .bind(&new.idempotency_key)
            .bind(new.open311_key_id)
            .bind(&contact)
            .bind(&new.media_url)
            .bind(&public_token)
            .bind(level.as_str())
            .bind(new.idempotency_key.as_ref().map(|_| new.digest()))
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("idempotency_key"))?;
            let kind = if new.self_resolved { "self_resolve" } else { "report" };
            let event: i64 = crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note) \
                 VALUES ($1, $2, $3, $4, 'reported', $5, '') RETURNING id",
            )
            .bind(id)
            .bind(now)
            .bind(new.reporter_account_id)
            .bind(kind)
            .bind(state.as_str())
            .fetch_one(c)
            .await)?;
            crate::photos::insert_photos(tx, id, event, &new.photos, now).await?;
            // An alarm's case is registered and dispatched by the system at once: the grid
            // worker has no registering to do, and is told only if it is dispatched to him.
            if state == State::Reported && new.source != "alarm" {
                let (kind, who) = if escalated {
                    ("escalated", crate::notifications::STAFF)
                } else {
                    ("new_case", crate::notifications::FIRST_RESPONDERS)
                };
                let notice = Notice { kind, who, actor: new.reporter_account_id, dedupe: None, detail: "" };
                crate::notifications::notify(tx, id, &notice, now).await?;
            }
            if let Some(d) = &new.dispute {
                crate::on!(tx, |c| sqlx::query(
                    "INSERT INTO disputes (case_id, risk, updated_at) VALUES ($1, $2, $3)"
                )
                .bind(id)
                .bind(d.risk.as_str())
                .bind(now)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                for (side, (name, phone)) in &parties {
                    crate::on!(tx, |c| sqlx::query(
                        "INSERT INTO dispute_parties (case_id, side, name_sealed, phone_sealed, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id)
                    .bind(*side)
                    .bind(name)
                    .bind(phone)
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                }
                if escalated {
                    crate::on!(tx, |c| sqlx::query(
                        "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note) \
                         VALUES ($1, $2, NULL, 'escalate', 'reported', 'reported', 'risk: violence')",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                }
            }
            id
        })
    }

    /// The case first reported with this key, if it was this report.
    async fn case_by_key(&self, new: &NewCase, key: &str) -> StoreResult<Option<i64>> {
        let found: Option<(i64, Option<String>)> = read!(self, |db| sqlx::query_as(
            "SELECT id, request_digest FROM cases WHERE community_id = $1 AND idempotency_key = $2"
        )
        .bind(new.community_id)
        .bind(key)
        .fetch_optional(db)
        .await?);
        match found {
            Some((_, Some(digest))) if digest != new.digest() => {
                Err(StoreError::Invalid(FieldError::new("Idempotency-Key", "error.idempotency_key.reused")))
            }
            found => Ok(found.map(|(id, _)| id)),
        }
    }

    /// Who must act on a dispatched case: the grid's worker, the community's property
    /// company or social organisation, or nobody in particular (the community's staff).
    async fn route(
        &self,
        community_id: i64,
        grid_id: Option<i64>,
        handler: &str,
        level: Level,
    ) -> StoreResult<(Option<i64>, Option<i64>)> {
        Ok(match (handler, level) {
            ("grid_worker", Level::Grid) => {
                let account: Option<i64> = read!(self, |db| {
                    sqlx::query_scalar(
                    "SELECT account_id FROM grid_workers WHERE grid_id = $1 ORDER BY duty = 'worker' DESC, account_id LIMIT 1"
                )
                .bind(grid_id)
                .fetch_optional(db)
                .await?
                });
                (account, None)
            }
            ("property_company" | "social_organisation", _) => {
                let kind = handler;
                let org: Option<i64> = read!(self, |db| sqlx::query_scalar(
                    "SELECT id FROM organisations WHERE community_id = $1 AND kind = $2 ORDER BY id LIMIT 1"
                )
                .bind(community_id)
                .bind(kind)
                .fetch_optional(db)
                .await?);
                (None, org)
            }
            _ => (None, None),
        })
    }

    /// Applies one step of the loop, as `actor`, with a note for the timeline. Refused
    /// steps write nothing. A step decided on a case that changed meanwhile is refused
    /// too (`error.case.changed`): the page is reloaded and the step tried again.
    pub async fn apply_case_step(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &str,
    ) -> StoreResult<CaseRow> {
        self.apply_step(case_id, actor, event, &StepNote::internal(note), StepExtras::default()).await
    }

    /// [`Store::apply_case_step`] as a person takes it: a note they may make public,
    /// photos of the step (the handler's feedback), written in the same transaction, and
    /// whom a dispatch goes to.
    pub async fn apply_case_step_with(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &StepNote<'_>,
        extras: StepExtras<'_>,
    ) -> StoreResult<CaseRow> {
        self.apply_step(case_id, actor, event, note, extras).await
    }

    /// Whether this step was already taken with this key (a retry): the same step again is
    /// `true`, another step with the key is refused, a new key is `false`.
    pub async fn step_taken(&self, case_id: i64, key: &str, event: &Event) -> StoreResult<bool> {
        let taken: Option<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT kind FROM case_events WHERE case_id = $1 AND idempotency_key = $2"
        )
        .bind(case_id)
        .bind(key)
        .fetch_optional(db)
        .await?);
        match taken {
            Some(kind) if kind == event.kind() => Ok(true),
            Some(_) => Err(StoreError::Invalid(FieldError::new("Idempotency-Key", "error.idempotency_key.reused"))),
            None => Ok(false),
        }
    }

    /// Whom this case may be dispatched to, and the category's default.
    pub async fn dispatch_options(&self, case: &CaseRow) -> StoreResult<DispatchOptions> {
        let category = self.case_category(case.category_id).await?;
        let level = Level::parse(&case.level).unwrap_or(Level::Grid);
        let default = Holder::of(self.route(case.community_id, case.grid_id, &category.handler, level).await?);
        let workers: Vec<(i64, String, String)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT DISTINCT a.id, a.display_name, g.name FROM grid_workers w JOIN accounts a ON a.id = w.account_id \
             JOIN grids g ON g.id = w.grid_id WHERE g.community_id = $1 AND NOT a.disabled \
             ORDER BY g.name, a.display_name"
        )
        .bind(case.community_id)
        .fetch_all(db)
        .await?
        });
        let mut choices: Vec<(Holder, String)> = Vec::new();
        for (id, name, grid) in workers {
            match choices.iter_mut().find(|(h, _)| *h == Holder::Person(id)) {
                Some((_, label)) => label.push_str(&format!("、{grid}")),
                None => choices.push((Holder::Person(id), format!("{name}（{grid}）"))),
            }
        }
        let parties = self.organisations(case.community_id).await?;
        for o in parties.into_iter().filter(|o| RECEIVING_PARTIES.contains(&o.kind.as_str())) {
            choices.push((Holder::Party(o.id), o.name));
        }
        Ok(DispatchOptions { default, choices })
    }

    /// Checks that a chosen holder may receive a case of this community.
    async fn check_holder(&self, community_id: i64, holder: Holder) -> StoreResult<Holder> {
        let known = match holder {
            Holder::Community => true,
            Holder::Person(id) => {
                let n: i64 = read!(self, |db| sqlx::query_scalar(
                    "SELECT COUNT(*) FROM grid_workers w JOIN grids g ON g.id = w.grid_id \
                     WHERE w.account_id = $1 AND g.community_id = $2"
                )
                .bind(id)
                .bind(community_id)
                .fetch_one(db)
                .await?);
                n > 0
            }
            Holder::Party(id) => self
                .organisations(community_id)
                .await?
                .iter()
                .any(|o| o.id == id && RECEIVING_PARTIES.contains(&o.kind.as_str())),
        };
        if !known {
            return Err(StoreError::Invalid(FieldError::new("dispatch_to", "error.choice")));
        }
        Ok(holder)
    }

    /// Merges a report into the open case it repeats: the report is refused with the
    /// reason, points at the case, and the case's timeline notes the merge; one transaction.
    pub async fn merge_case(&self, duplicate: i64, into: i64, actor: Option<i64>) -> StoreResult<CaseRow> {
        let target = self.case(into).await?;
        let dup = self.case(duplicate).await?;
        if into == duplicate
            || target.community_id != dup.community_id
            || matches!(target.state.as_str(), "closed" | "refused")
            || target.merged_into.is_some()
        {
            return Err(StoreError::Invalid(FieldError::new("into", "error.case.merge_target")));
        }
        let reason = format!("与 #{into} 重复，已合并 / duplicate of #{into}");
        let extras = StepExtras { merged_into: Some(into), ..StepExtras::default() };
        self.apply_step(
            duplicate,
            actor,
            &Event::Refuse { reason: reason.clone() },
            &StepNote::internal(&reason),
            extras,
        )
        .await
    }

    /// Reports that may repeat this one: same category, open, not merged, within
    /// [`linli_domain::case::DUPLICATE_WINDOW_MS`] and in the same building or nearby.
    pub async fn possible_duplicates(&self, case_id: i64) -> StoreResult<Vec<CaseRow>> {
        type Spot = (i64, i64, Option<i64>, Option<f64>, Option<f64>);
        type Me = (i64, i64, i64, Option<i64>, Option<f64>, Option<f64>);
        let me: Option<Me> = read!(self, |db| sqlx::query_as(
            "SELECT community_id, category_id, reported_at, building_id, lon, lat FROM cases WHERE id = $1"
        )
        .bind(case_id)
        .fetch_optional(db)
        .await?);
        let Some((community, category, at, building, lon, lat)) = me else { return Err(StoreError::NotFound) };
        let window = linli_domain::case::DUPLICATE_WINDOW_MS;
        let near: Vec<Spot> = read!(self, |db| sqlx::query_as(
            "SELECT id, reported_at, building_id, lon, lat FROM cases WHERE community_id = $1 AND category_id = $2 \
             AND id <> $3 AND reported_at BETWEEN $4 AND $5 AND state NOT IN ('closed', 'refused') \
             AND merged_into IS NULL ORDER BY reported_at LIMIT 50"
        )
        .bind(community)
        .bind(category)
        .bind(case_id)
        .bind(at - window)
        .bind(at + window)
        .fetch_all(db)
        .await?);
        let here = lon.zip(lat);
        let mut out = Vec::new();
        for (id, other_at, other_building, olon, olat) in near {
            if linli_domain::case::possible_duplicate(at, other_at, building, other_building, here, olon.zip(olat)) {
                out.push(self.case(id).await?);
            }
        }
        Ok(out)
    }

    async fn apply_step(
        &self,
        case_id: i64,
        actor: Option<i64>,
        event: &Event,
        note: &StepNote<'_>,
        extras: StepExtras<'_>,
    ) -> StoreResult<CaseRow> {
        let StepExtras { photos, merged_into, dispatch_to, idempotency_key } = extras;
        let now = now_ms();
        let row: Loop = read!(self, |db| sqlx::query_as(
            "SELECT community_id, grid_id, category_id, state, level, resume_to, suspended_at, registered_at, deadline, \
             reworks, extensions, reopened, self_resolved, rating, version FROM cases WHERE id = $1"
        )
        .bind(case_id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)?;
        let before = row.case();
        let late = row.deadline.is_some_and(|d| d < now);
        let after = before.apply(event, late).map_err(|e| StoreError::Invalid(FieldError::new("step", e.key)))?;
        // A case opened by alarms closes only once each of them is cleared and acknowledged.
        if matches!(event, Event::VerifyPass | Event::Refuse { .. }) {
            let open: i64 = read!(self, |db| sqlx::query_scalar(
                "SELECT COUNT(*) FROM alarms WHERE case_id = $1 AND closed = FALSE"
            )
            .bind(case_id)
            .fetch_one(db)
            .await?);
            if open > 0 {
                return Err(StoreError::Invalid(FieldError::new("step", "error.case.alarm_open")));
            }
        }
        let category = self.case_category(row.category_id).await?;
        // The calendar matters only to the steps that move the deadline.
        let calendar = match event {
            Event::Register | Event::Resume | Event::Extend => self.work_calendar().await?,
            _ => Calendar::default(),
        };
        let limit = category.limit();
        let mut registered_at = row.registered_at;
        let mut deadline = row.deadline;
        let mut suspended_at = row.suspended_at;
        let mut assignee: Option<(Option<i64>, Option<i64>)> = None;
        let mut set_dispatched = false;
        let mut set_accepted = false;
        let mut closed_at: Option<Option<i64>> = None;
        match event {
            Event::Register => {
                registered_at = Some(now);
                deadline = Some(utc_ms(calendar.deadline(china_time(now), limit, &[])));
            }
            Event::Dispatch => {
                assignee = Some(match dispatch_to {
                    Some(holder) => self.check_holder(row.community_id, holder).await?.columns(),
                    None => self.route(row.community_id, row.grid_id, &category.handler, after.level).await?,
                });
                set_dispatched = true;
            }
            // Back with the staff, held by no one in particular until dispatched again.
            Event::HandBack { .. } => assignee = Some((None, None)),
            Event::Accept => set_accepted = true,
            Event::VerifyPass => closed_at = Some(Some(now)),
            Event::Reopen => closed_at = Some(None),
            Event::Suspend => suspended_at = Some(now),
            Event::Resume => {
                if let (Some(from), Some(d)) = (suspended_at, deadline) {
                    let resumed = calendar.resumed(china_time(d), limit.kind, china_time(from), china_time(now));
                    deadline = Some(utc_ms(resumed));
                }
                suspended_at = None;
            }
            Event::Extend => {
                deadline = deadline.map(|d| utc_ms(calendar.deadline(china_time(d), limit, &[])));
            }
            Event::Escalate => assignee = Some((None, None)),
            _ => {}
        }
        // A refusal's reason is told to the reporter: it is public by nature.
        let public = note.public || matches!(event, Event::Refuse { .. });
        let note = linli_domain::clean_text(note.text);
        let note = note.as_str();
        let rating = match event {
            Event::Rate { .. } => Some(note.to_owned()),
            _ => None,
        };
        // The timeline shows a rating's stars before its comment.
        let note = match event {
            Event::Rate { stars } => {
                format!("{}{}{note}", "★".repeat(usize::from(*stars)), if note.is_empty() { "" } else { " " })
            }
            _ => note.to_owned(),
        };
        let note = note.as_str();
        // What the reporter is told, in words: the deadline of a case taken on, a refusal's
        // reason, who received it, the handler's public note.
        let detail = match event {
            Event::Register => deadline.map(|d| china_time(d).format("%Y-%m-%d").to_string()).unwrap_or_default(),
            Event::Refuse { .. } | Event::HandBack { .. } => note.to_owned(),
            Event::Dispatch => self.holder_name(row.community_id, assignee.unwrap_or_default()).await?,
            Event::Feedback if public => note.to_owned(),
            _ => String::new(),
        };
        let changed = transaction!(self, |tx| {
            let n = crate::on!(tx, |c| sqlx::query(
                "UPDATE cases SET state = $2, level = $3, resume_to = $4, suspended_at = $5, registered_at = $6, \
                 deadline = $7, reworks = $8, extensions = $9, reopened = $10, self_resolved = $11, rating = $12, \
                 rating_comment = COALESCE($13, rating_comment), \
                 assignee_account_id = CASE WHEN $14 THEN $15 ELSE assignee_account_id END, \
                 assignee_organisation_id = CASE WHEN $14 THEN $16 ELSE assignee_organisation_id END, \
                 dispatched_at = CASE WHEN $17 THEN $20 ELSE dispatched_at END, \
                 accepted_at = CASE WHEN $18 THEN $20 ELSE accepted_at END, \
                 closed_at = CASE WHEN $19 THEN $21 ELSE closed_at END, \
                 handled_by = CASE WHEN $23 THEN $24 ELSE handled_by END, \
                 version = version + 1 WHERE id = $1 AND version = $22",
            )
            .bind(case_id)
            .bind(after.state.as_str())
            .bind(after.level.as_str())
            .bind(after.resume_to.map(State::as_str))
            .bind(suspended_at)
            .bind(registered_at)
            .bind(deadline)
            .bind(i64::from(after.reworks))
            .bind(i64::from(after.extensions))
            .bind(i64::from(after.reopened))
            .bind(after.self_resolved)
            .bind(after.rating.map(i64::from))
            .bind(&rating)
            .bind(assignee.is_some())
            .bind(assignee.and_then(|a| a.0))
            .bind(assignee.and_then(|a| a.1))
            .bind(set_dispatched)
            .bind(set_accepted)
            .bind(closed_at.is_some())
            .bind(now)
            .bind(closed_at.flatten())
            .bind(row.version)
            .bind(matches!(event, Event::Feedback))
            .bind(actor)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(StoreError::Invalid(FieldError::new("step", "error.case.changed")));
            }
            let event_id: i64 = crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note, public, \
                 idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(case_id)
            .bind(now)
            .bind(actor)
            .bind(event.kind())
            .bind(before.state.as_str())
            .bind(after.state.as_str())
            .bind(note)
            .bind(public)
            .bind(idempotency_key)
            .fetch_one(c)
            .await)?;
            crate::photos::insert_photos(tx, case_id, event_id, photos, now).await?;
            if let Some((kind, who)) = crate::notifications::notice_of(event) {
                let notice = Notice { kind, who, actor, dedupe: None, detail: &detail };
                crate::notifications::notify(tx, case_id, &notice, now).await?;
            }
            if let Some(kind) = crate::notifications::reporter_notice_of(event) {
                let who = crate::notifications::REPORTER;
                let notice = Notice { kind, who, actor, dedupe: None, detail: &detail };
                crate::notifications::notify(tx, case_id, &notice, now).await?;
            }
            if let Some(into) = merged_into {
                crate::on!(tx, |c| sqlx::query("UPDATE cases SET merged_into = $1 WHERE id = $2")
                    .bind(into)
                    .bind(case_id)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
                crate::disputes::note(tx, into, now, actor, "merged", &format!("#{case_id}")).await?;
            }
        });
        changed?;
        self.case(case_id).await
    }

    /// Who holds a case, in words: the party (物业、社会组织), the person, or the community
    /// itself when no one in particular was given it.
    async fn holder_name(
        &self,
        community_id: i64,
        (account, organisation): (Option<i64>, Option<i64>),
    ) -> StoreResult<String> {
        Ok(match (account, organisation) {
            (_, Some(org)) => self.organisation(org).await?.name,
            (Some(account), None) => self.display_names(&[account]).await?.remove(&account).unwrap_or_default(),
            (None, None) => self.community(community_id).await?.name,
        })
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
            "SELECT e.id, e.at, e.account_id, a.display_name AS actor, e.kind, e.from_state, e.to_state, e.note, e.public \
             FROM case_events e LEFT JOIN accounts a ON a.id = e.account_id WHERE e.case_id = $1 ORDER BY e.at, e.id"
        )
        .bind(case_id)
        .fetch_all(db)
        .await?
        }))
    }

    /// A page of cases, newest first, and the total that match.
    pub async fn cases(&self, q: &CaseQuery) -> StoreResult<(Vec<CaseRow>, i64)> {
        /// A value bound to a placeholder: every filter is bound, none spliced into the SQL.
        enum Value {
            Int(i64),
            Text(String),
        }
        let mut sql = String::from(" WHERE c.community_id = $1");
        let mut values: Vec<Value> = vec![Value::Int(q.community_id)];
        // `clause` with each `?` a new placeholder bound to the next of `bound`.
        let mut with = |sql: &mut String, clause: &str, bound: Vec<Value>| {
            let mut out = String::new();
            let mut bound = bound.into_iter();
            for (i, part) in clause.split('?').enumerate() {
                if i > 0 {
                    values.push(bound.next().unwrap_or(Value::Int(0)));
                    out.push_str(&format!("${}", values.len()));
                }
                out.push_str(part);
            }
            sql.push_str(&out);
        };
        let ints = |v: &[i64]| v.iter().map(|i| Value::Int(*i)).collect::<Vec<_>>();
        let marks = |n: usize| vec!["?"; n].join(", ");
        if let Some(scope) = q.scope.as_ref().filter(|s| !s.all) {
            let mut any = Vec::new();
            let mut bound = Vec::new();
            let lists = [
                ("c.grid_id", scope.grids.as_slice()),
                ("c.assignee_organisation_id", scope.organisations.as_slice()),
                ("c.reporter_account_id", scope.reporter.as_slice()),
            ];
            for (column, ids) in lists.iter().filter(|(_, ids)| !ids.is_empty()) {
                any.push(format!("{column} IN ({})", marks(ids.len())));
                bound.extend(ints(ids));
            }
            if any.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                with(&mut sql, &format!(" AND ({})", any.join(" OR ")), bound);
            }
        }
        if let Some(grid) = q.grid_id {
            with(&mut sql, " AND c.grid_id = ?", ints(&[grid]));
        }
        if let Some(account) = q.assignee_account_id {
            with(&mut sql, " AND c.assignee_account_id = ?", ints(&[account]));
        }
        if let Some(category) = q.category_id {
            // A top-level category stands for its own cases and its children's.
            with(
                &mut sql,
                " AND c.category_id IN (SELECT id FROM case_categories WHERE id = ? \
                  OR parent_code = (SELECT code FROM case_categories WHERE id = ?))",
                ints(&[category, category]),
            );
        }
        match q.holder {
            None => {}
            Some(Holder::Person(id)) => with(&mut sql, " AND c.assignee_account_id = ?", ints(&[id])),
            Some(Holder::Party(id)) => with(&mut sql, " AND c.assignee_organisation_id = ?", ints(&[id])),
            Some(Holder::Community) => sql.push_str(
                " AND c.assignee_account_id IS NULL AND c.assignee_organisation_id IS NULL \
                  AND c.state NOT IN ('reported', 'refused')",
            ),
        }
        if let Some(source) = &q.source {
            with(&mut sql, " AND c.source = ?", vec![Value::Text(source.clone())]);
        }
        if let Some(text) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // A number finds that case; words find descriptions and places.
            let number = text.trim_start_matches('#').parse::<i64>().unwrap_or(0);
            let like = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            with(
                &mut sql,
                " AND (c.id = ? OR c.description LIKE ? ESCAPE '\\' OR c.address LIKE ? ESCAPE '\\')",
                vec![Value::Int(number), Value::Text(like.clone()), Value::Text(like)],
            );
        }
        if q.disputes_only {
            sql.push_str(" AND c.category_id IN (SELECT id FROM case_categories WHERE kind = 'dispute')");
        }
        match q.state.as_deref() {
            None | Some("") | Some("all") => {}
            Some("open") => sql.push_str(" AND c.state NOT IN ('closed', 'refused')"),
            // Closed reports their reporter has not rated yet.
            Some("unrated") => sql.push_str(" AND c.state = 'closed' AND c.rating IS NULL AND NOT c.self_resolved"),
            Some("overdue") => with(
                &mut sql,
                " AND c.state NOT IN ('closed', 'refused', 'suspended', 'reported') AND c.deadline < ?",
                ints(&[now_ms()]),
            ),
            Some(s) => match State::parse(s) {
                Some(state) => with(&mut sql, " AND c.state = ?", vec![Value::Text(state.as_str().to_owned())]),
                None => return Err(StoreError::Invalid(FieldError::new("state", "error.choice"))),
            },
        }
        let order = match q.sort {
            CaseSort::Newest => "c.reported_at DESC, c.id DESC",
            CaseSort::Oldest => "c.reported_at, c.id",
            // The nearest deadline first; cases without one last.
            CaseSort::Deadline => "CASE WHEN c.deadline IS NULL THEN 1 ELSE 0 END, c.deadline, c.id",
        };
        let n = values.len();
        let list_sql = format!("{SELECT}{sql} ORDER BY {order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let count_sql = format!("SELECT COUNT(*) FROM cases c{sql}");
        read!(self, |db| {
            let mut list = sqlx::query_as(&list_sql);
            let mut count = sqlx::query_scalar(&count_sql);
            for v in &values {
                match v {
                    Value::Int(i) => {
                        list = list.bind(*i);
                        count = count.bind(*i);
                    }
                    Value::Text(t) => {
                        list = list.bind(t.as_str());
                        count = count.bind(t.as_str());
                    }
                }
            }
            let rows: Vec<CaseRow> = list.bind(q.limit.clamp(1, 500)).bind(q.offset.max(0)).fetch_all(db).await?;
            let total: i64 = count.fetch_one(db).await?;
            Ok((rows, total))
        })
    }
}

/// How indicator counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Community,
    Grid,
    Category,
    /// Who holds the case (承办人): a person, a party, or the community itself; read with
    /// [`Store::holder_indicators`].
    Holder,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Community => "c.community_id",
            Dimension::Grid => "c.grid_id",
            Dimension::Category => "c.category_id",
            // A party's key is its id negated, so that one integer column tells the two apart.
            Dimension::Holder => {
                "CASE WHEN c.assignee_organisation_id IS NOT NULL THEN -c.assignee_organisation_id \
                 ELSE c.assignee_account_id END"
            }
        }
    }
}

/// Which cases the indicators cover.
#[derive(Debug, Clone, Default)]
pub struct IndicatorScope {
    /// These communities (one, or a street's).
    pub community_ids: Vec<i64>,
    /// Only these grids, if set.
    pub grid_ids: Option<Vec<i64>>,
    /// Only the cases held by these parties (a property company's own figures), if set.
    pub organisation_ids: Option<Vec<i64>>,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    k: Option<i64>,
    accepted: Option<i64>,
    registered: Option<i64>,
    dispatched: Option<i64>,
    due: Option<i64>,
    closed: Option<i64>,
    closed_on_time: Option<i64>,
    reworked: Option<i64>,
    extended: Option<i64>,
    self_resolved: Option<i64>,
    rated: Option<i64>,
    satisfied: Option<i64>,
    overdue: Option<i64>,
    acceptance_ms_sum: Option<i64>,
    acceptance_n: Option<i64>,
    handling_ms_sum: Option<i64>,
    handling_n: Option<i64>,
}

impl CountRow {
    fn counts(&self) -> linli_domain::indicators::Counts {
        let u = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
        linli_domain::indicators::Counts {
            accepted: u(self.accepted),
            registered: u(self.registered),
            dispatched: u(self.dispatched),
            due: u(self.due),
            closed: u(self.closed),
            closed_on_time: u(self.closed_on_time),
            reworked: u(self.reworked),
            extended: u(self.extended),
            self_resolved: u(self.self_resolved),
            rated: u(self.rated),
            satisfied: u(self.satisfied),
            overdue: u(self.overdue),
            acceptance_ms_sum: self.acceptance_ms_sum.unwrap_or(0),
            acceptance_n: u(self.acceptance_n),
            handling_ms_sum: self.handling_ms_sum.unwrap_or(0),
            handling_n: u(self.handling_n),
        }
    }
}

impl Store {
    /// The indicators by who holds each case: the persons, the parties (物业、社会组织) and
    /// the community itself.
    pub async fn holder_indicators(
        &self,
        scope: &IndicatorScope,
        from: i64,
        to: i64,
        rule: linli_domain::indicators::DueRule,
    ) -> StoreResult<Vec<(Holder, linli_domain::indicators::Counts)>> {
        let rows = self.case_indicators(scope, from, to, rule, Dimension::Holder).await?;
        Ok(rows
            .into_iter()
            .map(|(key, counts)| {
                let holder = match key {
                    Some(k) if k < 0 => Holder::Party(-k),
                    Some(k) => Holder::Person(k),
                    None => Holder::Community,
                };
                (holder, counts)
            })
            .collect())
    }

    /// The indicator counts of a period `[from, to)`, grouped, computed in one pass over
    /// the cases that touch the period (no precomputed tables). The definitions are those
    /// of `linli_domain::indicators` (a test holds the two to the same answers); "suspended"
    /// is the case's state now.
    pub async fn case_indicators(
        &self,
        scope: &IndicatorScope,
        from: i64,
        to: i64,
        rule: linli_domain::indicators::DueRule,
        group: Dimension,
    ) -> StoreResult<Vec<(Option<i64>, linli_domain::indicators::Counts)>> {
        if scope.community_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut ints: Vec<i64> = vec![from, to];
        let marks = |values: &[i64], ints: &mut Vec<i64>| {
            values
                .iter()
                .map(|v| {
                    ints.push(*v);
                    format!("${}", ints.len())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let communities = marks(&scope.community_ids, &mut ints);
        let mut filter = format!("c.community_id IN ({communities})");
        if let Some(grids) = &scope.grid_ids {
            if grids.is_empty() {
                filter.push_str(" AND 1 = 0");
            } else {
                let g = marks(grids, &mut ints);
                filter.push_str(&format!(" AND c.grid_id IN ({g})"));
            }
        }
        if let Some(parties) = &scope.organisation_ids {
            if parties.is_empty() {
                filter.push_str(" AND 1 = 0");
            } else {
                let o = marks(parties, &mut ints);
                filter.push_str(&format!(" AND c.assignee_organisation_id IN ({o})"));
            }
        }
        let exclude_suspended = rule == linli_domain::indicators::DueRule::ExcludeSuspended;
        let due = format!(
            "(c.registered_at IS NOT NULL AND ((c.closed_at >= $1 AND c.closed_at < $2) OR (c.deadline >= $1 AND c.deadline < $2)){})",
            if exclude_suspended {
                " AND NOT (c.state = 'suspended' AND NOT (c.closed_at >= $1 AND c.closed_at < $2))"
            } else {
                ""
            }
        );
        let reported = "(c.reported_at >= $1 AND c.reported_at < $2)";
        let closed = "(c.closed_at >= $1 AND c.closed_at < $2)";
        let k = group.column();
        let sql = format!(
            "SELECT {k} AS k, \
               SUM(CASE WHEN {reported} THEN 1 ELSE 0 END) AS accepted, \
               SUM(CASE WHEN {reported} AND c.registered_at IS NOT NULL THEN 1 ELSE 0 END) AS registered, \
               SUM(CASE WHEN {reported} AND c.registered_at IS NOT NULL AND c.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS dispatched, \
               SUM(CASE WHEN {due} THEN 1 ELSE 0 END) AS due, \
               SUM(CASE WHEN {closed} THEN 1 ELSE 0 END) AS closed, \
               SUM(CASE WHEN {closed} AND c.closed_at <= c.deadline THEN 1 ELSE 0 END) AS closed_on_time, \
               SUM(CASE WHEN {due} AND c.reworks > 0 THEN 1 ELSE 0 END) AS reworked, \
               SUM(CASE WHEN {due} AND c.extensions > 0 THEN 1 ELSE 0 END) AS extended, \
               SUM(CASE WHEN {closed} AND c.self_resolved THEN 1 ELSE 0 END) AS self_resolved, \
               SUM(CASE WHEN {closed} AND c.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated, \
               SUM(CASE WHEN {closed} AND c.rating >= 4 THEN 1 ELSE 0 END) AS satisfied, \
               SUM(CASE WHEN c.registered_at IS NOT NULL AND (c.closed_at IS NULL OR c.closed_at >= $2) \
                 AND c.reported_at < $2 AND c.deadline < $2 AND c.state <> 'suspended' THEN 1 ELSE 0 END) AS overdue, \
               CAST(SUM(CASE WHEN {reported} AND c.accepted_at IS NOT NULL AND c.dispatched_at IS NOT NULL \
                 THEN c.accepted_at - c.dispatched_at ELSE 0 END) AS BIGINT) AS acceptance_ms_sum, \
               SUM(CASE WHEN {reported} AND c.accepted_at IS NOT NULL AND c.dispatched_at IS NOT NULL THEN 1 ELSE 0 END) AS acceptance_n, \
               CAST(SUM(CASE WHEN {closed} AND c.registered_at IS NOT NULL THEN c.closed_at - c.registered_at ELSE 0 END) AS BIGINT) \
                 AS handling_ms_sum, \
               SUM(CASE WHEN {closed} AND c.registered_at IS NOT NULL THEN 1 ELSE 0 END) AS handling_n \
             FROM cases c WHERE {filter} AND c.merged_into IS NULL AND ({reported} OR {closed} OR (c.deadline >= $1 AND c.deadline < $2) \
               OR (c.registered_at IS NOT NULL AND c.closed_at IS NULL AND c.reported_at < $2)) \
             GROUP BY {k}"
        );
        let rows: Vec<CountRow> = read!(self, |db| {
            let mut q = sqlx::query_as(&sql);
            for v in &ints {
                q = q.bind(*v);
            }
            q.fetch_all(db).await?
        });
        Ok(rows.into_iter().map(|r| (r.k, r.counts())).collect())
    }

    /// The facts of every case of a community, as `linli_domain::indicators` reads them:
    /// what the indicator query is checked against.
    pub async fn case_facts(
        &self,
        community_id: i64,
    ) -> StoreResult<Vec<(Option<i64>, linli_domain::indicators::CaseFacts)>> {
        type Row = (
            Option<i64>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            String,
            bool,
            Option<i64>,
        );
        let rows: Vec<Row> = read!(self, |db| {
            sqlx::query_as(
            "SELECT grid_id, reported_at, registered_at, dispatched_at, accepted_at, deadline, closed_at, reworks, extensions, \
             state, self_resolved, rating FROM cases WHERE community_id = $1 AND merged_into IS NULL"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    grid,
                    reported_at,
                    registered_at,
                    dispatched_at,
                    accepted_at,
                    deadline,
                    closed_at,
                    reworks,
                    extensions,
                    state,
                    self_resolved,
                    rating,
                )| {
                    (
                        grid,
                        linli_domain::indicators::CaseFacts {
                            reported_at,
                            registered: registered_at.is_some(),
                            dispatched: dispatched_at.is_some(),
                            deadline,
                            closed_at,
                            reworks: u32::try_from(reworks).unwrap_or(0),
                            extensions: u32::try_from(extensions).unwrap_or(0),
                            suspended: state == "suspended",
                            self_resolved,
                            rating: rating.and_then(|r| u8::try_from(r).ok()),
                            acceptance_ms: accepted_at.zip(dispatched_at).map(|(a, d)| a - d),
                            handling_ms: closed_at.zip(registered_at).map(|(c, r)| c - r),
                        },
                    )
                },
            )
            .collect())
    }
}
