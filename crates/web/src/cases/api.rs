//! Cases under the API: report (idempotent with an `Idempotency-Key` header), list within
//! reach, one case with its timeline and the caller's possible steps, and take a step.

use crate::api::ApiJson;
use crate::cases::{ReportForm, reachable_case, read_report, steps_for, take_step};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use linli_domain::Action;
use linli_store::cases::{CaseQuery, CaseRow, StepNote, TimelineEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct CaseFilter {
    /// `open` (default), `overdue`, `all`, or a state (reported, registered, refused,
    /// dispatched, accepted, handled, closed, suspended); `unrated`: closed, not yet rated.
    #[param(schema_with = crate::api::schema::case_state_filter)]
    pub state: Option<String>,
    pub grid_id: Option<i64>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub total: i64,
    pub cases: Vec<CaseView>,
}

/// A case as the API shows it to the caller: who reported it only to those who may see
/// the reporter, the description masked for those outside the case's circle.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub category: CategoryRef,
    #[schema(schema_with = crate::api::schema::case_source)]
    pub source: linli_domain::case::Source,
    pub description: String,
    pub place: PlaceRef,
    /// Who reported it; absent for a caller who may not see the reporter.
    pub reporter: Option<ReporterRef>,
    /// The reporter asked to stay anonymous to the party handling the case.
    pub anonymous: bool,
    #[schema(schema_with = crate::api::schema::case_state)]
    pub state: linli_domain::case::State,
    /// Who holds it: the grid, the community or the street.
    #[schema(schema_with = crate::api::schema::case_level)]
    pub level: linli_domain::case::Level,
    /// Whom it was dispatched to: a person, a party (organisation), or neither (the staff).
    pub assignee_account_id: Option<i64>,
    pub assignee_organisation_id: Option<i64>,
    /// UTC milliseconds, as every time here.
    pub reported_at: i64,
    pub registered_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub deadline: Option<i64>,
    /// Sent back to be redone, and deadlines extended, so far.
    pub reworks: i64,
    pub extensions: i64,
    /// Fixed on the spot by whoever reported it (自办自结).
    pub self_resolved: bool,
    pub rating: Option<RatingRef>,
    /// The case this report repeated, if it was merged into one.
    pub merged_into: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceRef {
    pub building_id: Option<i64>,
    pub household_id: Option<i64>,
    /// The building and room, or a point's coordinates.
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReporterRef {
    /// Absent for a report staff took by phone, visit or hotline.
    pub account_id: Option<i64>,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct RatingRef {
    /// 1 to 5.
    pub stars: i64,
    pub comment: Option<String>,
}

impl From<CaseRow> for CaseView {
    fn from(c: CaseRow) -> CaseView {
        let seen = c.reporter_account_id.is_some() || !c.reporter_name.is_empty();
        CaseView {
            id: c.id,
            community_id: c.community_id,
            grid_id: c.grid_id,
            category: CategoryRef {
                id: c.category_id,
                code: c.category_code,
                name_zh: c.category_zh,
                name_en: c.category_en,
            },
            source: c.source,
            description: c.description,
            place: PlaceRef { building_id: c.building_id, household_id: c.household_id, address: c.address },
            reporter: seen.then_some(ReporterRef { account_id: c.reporter_account_id, name: c.reporter_name }),
            anonymous: c.anonymous,
            state: c.state,
            level: c.level,
            assignee_account_id: c.assignee_account_id,
            assignee_organisation_id: c.assignee_organisation_id,
            reported_at: c.reported_at,
            registered_at: c.registered_at,
            closed_at: c.closed_at,
            deadline: c.deadline,
            reworks: c.reworks,
            extensions: c.extensions,
            self_resolved: c.self_resolved,
            rating: c.rating.map(|stars| RatingRef { stars, comment: c.rating_comment }),
            merged_into: c.merged_into,
        }
    }
}

/// Cases of a community within the caller's reach, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{community_id}/cases", tag = "cases",
    params(("community_id" = i64, Path, description = "Community id"), CaseFilter),
    responses((status = 200, body = CasePage), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(f): Query<CaseFilter>,
) -> AppResult<Json<CasePage>> {
    let community = state.store.community(community_id).await?;
    let scope = crate::cases::case_scope(&state, user.principal(), &community).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let state_filter = f.state.unwrap_or_else(|| "open".into());
    if !crate::cases::state_filters().any(|s| s == state_filter) {
        return Err(AppError::invalid("state", "error.choice"));
    }
    let (offset, limit) = crate::api::page(f.offset, f.limit, 50, 200)?;
    let query = CaseQuery {
        community_id: community.id,
        scope: Some(scope),
        grid_id: f.grid_id,
        state: Some(state_filter),
        offset,
        limit,
        ..CaseQuery::default()
    };
    let (rows, total) = state.store.cases(&query).await?;
    let p = user.principal();
    let mut cases = Vec::with_capacity(rows.len());
    for c in rows {
        cases.push(crate::cases::seen_by(&state, p, &community, c).await?.into());
    }
    Ok(Json(CasePage { total, cases }))
}

/// The `Idempotency-Key` header: up to 80 characters; the same key makes one report, or
/// takes one step.
fn idempotency_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| !k.trim().is_empty() && k.len() <= 80)
            .map(|k| Some(k.to_owned()))
            .ok_or(AppError::invalid("Idempotency-Key", "error.idempotency_key")),
    }
}

/// A report. `building_id` places it (and decides its grid).
#[derive(Deserialize, ToSchema)]
pub struct ReportInput {
    pub category_id: i64,
    #[schema(schema_with = crate::api::schema::description)]
    pub description: String,
    pub building_id: i64,
    /// Room or exact place.
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::room)]
    pub room: String,
    #[serde(default)]
    pub anonymous: bool,
    /// A grid worker fixed it on the spot (own grids only).
    #[serde(default)]
    pub self_resolved: bool,
    /// Staff intake: `phone`, `visit` or `hotline`.
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::intake_source)]
    pub source: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::reporter_name)]
    pub reporter_name: String,
    /// For a dispute: `normal` (default), `high` or `violence` (escalated at once).
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::risk)]
    pub risk: String,
    /// For a dispute: the other party's name and phone, if known (stored sealed).
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::other_party)]
    pub other_party: String,
    #[serde(default)]
    pub other_phone: String,
}

/// Reports a case. With an `Idempotency-Key` header, a retry with the same key returns
/// the first case (200 and `Idempotent-Replayed: true`) instead of creating another (201).
#[utoipa::path(post, path = "/api/v1/communities/{community_id}/cases", tag = "cases",
    params(("community_id" = i64, Path, description = "Community id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Up to 80 characters; the same key makes one case")),
    request_body = ReportInput,
    responses((status = 201, body = CaseView), (status = 200, body = CaseView, description = "A replay of an earlier report"),
              (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReportInput>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    if !user.principal().can_in_community(Action::ReportCase, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let key = idempotency_key(&headers)?.unwrap_or_default();
    let form = ReportForm {
        category_id: input.category_id.to_string(),
        description: input.description,
        building_id: input.building_id.to_string(),
        room: input.room,
        anonymous: input.anonymous.then(|| "1".into()),
        source: input.source,
        reporter_name: input.reporter_name,
        self_resolved: input.self_resolved.then(|| "1".into()),
        idempotency_key: key,
        risk: input.risk,
        other_party: input.other_party,
        other_phone: input.other_phone,
        ..ReportForm::default()
    };
    let new = read_report(&state, &user, &community, &form).await?;
    let intake = state.store.report_case(&new).await?;
    let case = state.store.case(intake.case_id).await?;
    let mut response = Json(CaseView::from(case)).into_response();
    if intake.created {
        *response.status_mut() = StatusCode::CREATED;
    } else {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseView,
    pub timeline: Vec<TimelineEntry>,
    /// The steps the caller may take now.
    pub steps: Vec<&'static str>,
}

/// One case with its timeline; cases outside the caller's reach are not found.
#[utoipa::path(get, path = "/api/v1/cases/{case_id}", tag = "cases",
    params(("case_id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn show(State(state): State<AppState>, user: User, Path(case_id): Path<i64>) -> AppResult<Json<CaseDetail>> {
    let (case, community) = reachable_case(&state, &user, case_id).await?;
    let steps = steps_for(user.principal(), &community, &case);
    let timeline = state.store.case_timeline(case.id).await?;
    let (case, timeline) = crate::cases::as_seen_by(&state, user.principal(), &community, case, timeline).await?;
    let t = user.0.tr();
    let timeline = timeline.iter().map(|e| TimelineEntry::new(t, e)).collect();
    Ok(Json(CaseDetail { case: case.into(), timeline, steps }))
}

/// One event of a case's timeline, as the caller may read it.
#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    /// UTC milliseconds.
    pub at: i64,
    /// Who took the step; absent for the system, and for a reporter the caller may not see.
    pub actor: Option<ActorRef>,
    /// The step (`report`, `register` …) or note (`mediation`, `comment` …).
    pub kind: String,
    /// The case's state before and after (the same for a note).
    #[schema(schema_with = crate::api::schema::case_state)]
    pub from: linli_domain::case::State,
    #[schema(schema_with = crate::api::schema::case_state)]
    pub to: linli_domain::case::State,
    /// The note in the caller's language: a person's words as written, the system's put
    /// in words; empty where the caller may not read it.
    pub note: String,
    /// The note is part of the case's public record.
    pub public: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ActorRef {
    pub account_id: i64,
    pub name: String,
}

impl TimelineEntry {
    fn new(t: crate::i18n::Tr, e: &TimelineEvent) -> TimelineEntry {
        TimelineEntry {
            id: e.id,
            at: e.at,
            actor: e.account_id.map(|account_id| ActorRef { account_id, name: e.actor.clone().unwrap_or_default() }),
            kind: e.kind.clone(),
            from: e.from_state,
            to: e.to_state,
            note: crate::cases::timeline_note(t, e),
            public: e.public,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StepInput {
    /// register, refuse, dispatch, accept, hand_back, feedback, verify_pass, verify_fail,
    /// suspend, resume, extend, escalate, remind, rate, reopen.
    #[schema(schema_with = crate::api::schema::step)]
    pub step: String,
    /// For the timeline; required for refuse and hand_back (the reason), feedback (what was
    /// done) and reopen (why).
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::step_note)]
    pub note: String,
    /// 1–5, for rate.
    #[schema(minimum = 1, maximum = 5)]
    pub stars: Option<u8>,
    /// Publish the note with the case's public record (the Open311 feed, masked); notes
    /// are internal by default.
    #[serde(default)]
    pub public: bool,
    /// For dispatch: who receives the case, `person:{account}`, `party:{organisation}` or
    /// `community`; the category's default when absent.
    pub dispatch_to: Option<String>,
}

/// Takes a step of the loop, if it is the caller's to take.
#[utoipa::path(post, path = "/api/v1/cases/{case_id}/steps", tag = "cases",
    params(("case_id" = i64, Path, description = "Case id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Up to 80 characters; the same step sent again with the same key is taken once, and the retry gets the case as it is")),
    request_body = StepInput,
    responses((status = 200, body = CaseView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn step(
    State(state): State<AppState>,
    user: User,
    Path(case_id): Path<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StepInput>,
) -> AppResult<Json<CaseView>> {
    let key = idempotency_key(&headers)?;
    let stars = input.stars.map(|s| s.to_string());
    let note = StepNote { text: &input.note, public: input.public, remark: None };
    let request = crate::cases::StepRequest {
        step: &input.step,
        note,
        stars: stars.as_deref(),
        dispatch_to: input.dispatch_to.as_deref(),
        idempotency_key: key.as_deref(),
    };
    Ok(Json(take_step(&state, &user, case_id, request, &[]).await?.into()))
}
