//! Community activities on the web: the list with one's registrations, the calendar (ICS),
//! the form to publish one (staff, a social organisation) or propose one (a resident, for
//! staff to approve); an activity's page with registration and the waiting line, one's
//! check-in code, the organiser's check-in desk (by code or by ticking the list) with the
//! attendance, and the report with photos afterwards.

use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::form::WithFiles;
use crate::frame::{Chrome, render};
use crate::services::provides;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::activity::{self, Kind, Organiser, Status};
use linli_domain::care::CareTag;
use linli_domain::service::BookingStatus;
use linli_domain::{Action, FieldError, Principal};
use linli_store::StoreError;
use linli_store::activities::{Activity, NewActivity, Registration};
use linli_store::admin::{Community, Grid};
use linli_store::volunteers::{Shift, Signup};
use serde::Deserialize;

/// Whether the caller organises this activity: the community's staff for any of the
/// community's, a social organisation's staff for its own.
pub fn runs(p: &Principal, a: &Activity, community: &Community) -> bool {
    p.can_in_community(Action::RunActivities, community.id, community.street_id)
        && (p.is_staff_of(community.id) || a.organisation_id.is_some_and(|o| provides(p, o, community)))
}

#[derive(Deserialize, Default)]
pub struct ActivityForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub activity_venue: String,
    #[serde(default)]
    pub starts_at_local: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub min_age: String,
    #[serde(default)]
    pub max_age: String,
    #[serde(default)]
    pub care_tags: Vec<String>,
    #[serde(default)]
    pub target_grids: Vec<String>,
}

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    upcoming: Vec<Activity>,
    past: Vec<Activity>,
    mine: Vec<Registration>,
    /// May publish (staff, an organisation) or propose (a resident).
    publishes: bool,
    proposes: bool,
    kinds: Vec<&'static str>,
    tags: Vec<&'static str>,
    grids: Vec<Grid>,
    form: ActivityForm,
    error: Option<String>,
}

impl ListPage {
    fn chosen(&self, tag: &str) -> bool {
        self.form.care_tags.iter().any(|t| t == tag)
    }

    fn grid_chosen(&self, id: &i64) -> bool {
        self.form.target_grids.iter().any(|g| *g == id.to_string())
    }
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: ActivityForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let publishes = p.can_in_community(Action::RunActivities, community.id, community.street_id);
    let proposes = p.can_in_community(Action::ProposeActivities, community.id, community.street_id);
    let all = state.store.activities(community.id, p.is_staff_of(community.id), p.account_id).await?;
    let now = linli_store::services::now_local();
    let (upcoming, past) = all.into_iter().partition(|a| a.starts_at >= now);
    let mine = match state.store.verified_resident(p.account_id, community.id).await? {
        Some(r) => state.store.registrations_of(r).await?.into_iter().filter(|g| g.starts_at >= now).collect(),
        None => Vec::new(),
    };
    let page = ListPage {
        chrome: Chrome::new(&user.0, t.get("activity.list")),
        upcoming,
        past,
        mine,
        publishes,
        proposes,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        tags: CareTag::ALL.iter().map(|k| k.as_str()).collect(),
        grids: if publishes || proposes { state.store.grids(community.id).await? } else { Vec::new() },
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewActivities).await?;
    list_page(
        &state,
        &user,
        community,
        StatusCode::OK,
        ActivityForm { capacity: "30".into(), ..Default::default() },
        None,
    )
    .await
}

fn checked(
    form: &ActivityForm,
    community: &Community,
    grids: &[Grid],
    organiser: (Organiser, Option<i64>, Status),
    by: i64,
) -> Result<NewActivity, FieldError> {
    let kind = Kind::parse(&form.kind)?;
    let title = activity::TITLE.parse("title", &form.title)?;
    let description = activity::DESCRIPTION.parse("description", &form.description)?;
    linli_domain::publicity::check_public_text("description", &description)?;
    let venue = activity::VENUE.parse("activity_venue", &form.activity_venue)?;
    let starts_at = crate::services::local_time("starts_at_local", &form.starts_at_local)?;
    let ends_at = crate::services::local_time("ends_at", &form.ends_at)?;
    let capacity = crate::form::number("capacity", &form.capacity, 1..=activity::MAX_CAPACITY)?;
    let eligibility = crate::services::eligibility(&form.min_age, &form.max_age, &form.care_tags)?;
    let chosen = form
        .target_grids
        .iter()
        .map(|g| {
            g.parse::<i64>()
                .ok()
                .filter(|id| grids.iter().any(|grid| grid.id == *id))
                .ok_or_else(|| FieldError::new("target_grids", "error.choice"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (organiser, organisation_id, status) = organiser;
    Ok(NewActivity {
        community_id: community.id,
        kind,
        title,
        description,
        venue,
        starts_at,
        ends_at,
        capacity,
        eligibility,
        grids: chosen,
        organiser,
        organisation_id,
        status,
        by,
    })
}

/// Publishes an activity: the community's staff for the community, a social
/// organisation's staff for their organisation.
pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<ActivityForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::RunActivities).await?;
    let p = user.principal();
    let organiser = if p.is_staff_of(community.id) {
        (Organiser::Community, None, Status::Approved)
    } else {
        match p.organisations().find(|&o| provides(p, o, &community)) {
            Some(o) => (Organiser::Organisation, Some(o), Status::Approved),
            None => return Err(AppError::Forbidden),
        }
    };
    write(&state, &user, community, form, organiser).await
}

/// Proposes an activity residents organise themselves, for staff to approve.
pub async fn propose(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<ActivityForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ProposeActivities).await?;
    if state.store.verified_resident(user.principal().account_id, community.id).await?.is_none() {
        return Ok(Redirect::to("/account/verify").into_response());
    }
    write(&state, &user, community, form, (Organiser::Residents, None, Status::Proposed)).await
}

async fn write(
    state: &AppState,
    user: &User,
    community: Community,
    form: ActivityForm,
    organiser: (Organiser, Option<i64>, Status),
) -> AppResult<Response> {
    let p = user.principal();
    let grids = state.store.grids(community.id).await?;
    let refused = match checked(&form, &community, &grids, organiser, p.account_id) {
        Ok(new) => match state.store.create_activity(&new).await {
            Ok(id) => return Ok(Redirect::to(&format!("/activities/{id}")).into_response()),
            Err(StoreError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    list_page(state, user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(refused)).await
}

/// The community's approved activities as a calendar to subscribe to.
pub async fn calendar(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    use icalendar::{Calendar, Component, EventLike};
    let community = community_for(&state, &user, community_id, Action::ViewActivities).await?;
    let mut cal = Calendar::new();
    cal.name(&user.0.tr().fill("activity.calendar_name", &[("community", &community.name)]));
    let local = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok();
    for a in state.store.activities(community.id, false, 0).await?.into_iter().filter(|a| a.status == Status::Approved)
    {
        let (Some(start), Some(end)) = (local(&a.starts_at), local(&a.ends_at)) else { continue };
        let utc = |t: chrono::NaiveDateTime| {
            chrono::DateTime::from_timestamp_millis(linli_domain::worktime::utc_ms(t)).unwrap_or_default()
        };
        cal.push(
            icalendar::Event::new()
                .uid(&format!("linli-activity-{}", a.id))
                .summary(&a.title)
                .location(&a.venue)
                .starts(utc(start))
                .ends(utc(end))
                .url(&format!("/activities/{}", a.id))
                .done(),
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], cal.done().to_string()).into_response())
}

/// An activity the caller may open, its community, and whether they organise it. A
/// proposal or a refused one is seen by staff and its proposer only.
async fn activity_for(state: &AppState, user: &User, id: i64) -> AppResult<(Activity, Community, bool)> {
    let a = state.store.activity(id).await?;
    let community = community_of(state, user, a.community_id, Action::ViewActivities).await?;
    let p = user.principal();
    let runs = runs(p, &a, &community);
    if a.status != Status::Approved && !runs && a.created_by != p.account_id {
        return Err(AppError::NotFound);
    }
    Ok((a, community, runs))
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
    community: Community,
    a: Activity,
    runs: bool,
    /// The community's staff, who approve residents' proposals.
    staff: bool,
    /// The caller's resident of record may register: admitted or not.
    joins: Option<bool>,
    mine: Option<Registration>,
    tags: Vec<&'static str>,
    photos: Vec<i64>,
    /// Volunteer shifts; the organiser's roster of sign-ups (with hours to record after
    /// the start), a volunteer's own sign-ups, and whether the caller is a volunteer.
    shifts: Vec<Shift>,
    roster: Vec<Signup>,
    signed: Vec<Signup>,
    volunteer: Option<bool>,
    error: Option<String>,
    notice: Option<String>,
}

impl ActivityPage {
    /// The caller's own sign-up for a shift, if any.
    fn signed_for(&self, shift_id: &i64) -> Option<&Signup> {
        self.signed.iter().find(|s| s.shift_id == *shift_id)
    }

    /// A shift's length in hours, the default hours recorded.
    fn shift_hours(&self, shift_id: &i64) -> String {
        let minutes = self.shifts.iter().find(|s| s.id == *shift_id).map_or(0, Shift::minutes);
        linli_domain::volunteer::hours(minutes)
    }
}

pub(crate) async fn activity_page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    error: Option<FieldError>,
    done: Option<String>,
) -> AppResult<Response> {
    let (a, community, runs) = activity_for(state, user, id).await?;
    let t = user.0.tr();
    let p = user.principal();
    let resident = if p.can_in_community(Action::JoinActivities, community.id, community.street_id) {
        state.store.verified_resident(p.account_id, community.id).await?
    } else {
        None
    };
    let volunteer_here = p.can_in_community(Action::Volunteer, community.id, community.street_id);
    let (volunteer, signed) = match resident {
        Some(r) if volunteer_here => match state.store.volunteer_of(r).await? {
            Some(_) => {
                (Some(true), state.store.signups_of(r).await?.into_iter().filter(|s| s.activity_id == a.id).collect())
            }
            None => (Some(false), Vec::new()),
        },
        _ => (None, Vec::new()),
    };
    let (joins, mine) = match resident {
        Some(r) => {
            let (age, tags) = state.store.age_and_tags(r).await?;
            let grid = state.store.resident(r).await?.grid_id;
            let admitted = a.eligibility().admits(age, &tags) && activity::admits_grid(&a.grids(), grid);
            let mine = state.store.registrations_of(r).await?.into_iter().find(|g| g.activity_id == a.id);
            (Some(admitted), mine)
        }
        None => (None, None),
    };
    let page = ActivityPage {
        chrome: Chrome::new(&user.0, a.title.clone()),
        tags: a.eligibility().tags.iter().map(|t| t.as_str()).collect(),
        photos: state.store.activity_photos(a.id).await?,
        shifts: state.store.shifts(a.id).await?,
        roster: if runs { state.store.signups(a.id).await? } else { Vec::new() },
        signed,
        volunteer,
        runs,
        staff: p.is_staff_of(community.id),
        joins,
        mine,
        error: error.map(|e| t.field_error(e.field, e.key)),
        notice: done.filter(|d| t.has(&format!("activity.done.{d}"))).map(|d| t.label("activity.done", &d)),
        community,
        a,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    activity_page(&state, &user, id, StatusCode::OK, None, q.done).await
}

/// Take a place, or (`wait`) a place in line when none is left: an activity or a shift.
#[derive(Deserialize, Default)]
pub struct RegisterForm {
    pub wait: Option<String>,
}

pub async fn register(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RegisterForm>,
) -> AppResult<Response> {
    let (a, community, _) = activity_for(&state, &user, id).await?;
    let p = user.principal();
    let Some(resident) = state.store.verified_resident(p.account_id, community.id).await? else {
        return Ok(Redirect::to("/account/verify").into_response());
    };
    let (age, tags) = state.store.age_and_tags(resident).await?;
    let grid = state.store.resident(resident).await?.grid_id;
    if !(a.eligibility().admits(age, &tags) && activity::admits_grid(&a.grids(), grid)) {
        let e = FieldError::new("activity", "error.activity.not_eligible");
        return activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await;
    }
    match state.store.register(a.id, resident, p.account_id, form.wait.is_some()).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{}?done=registered", a.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn cancel(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let r = state.store.registration(id).await?;
    let community = community_of(&state, &user, r.community_id, Action::JoinActivities).await?;
    if state.store.verified_resident(user.principal().account_id, community.id).await? != Some(r.resident_id) {
        return Err(AppError::NotFound);
    }
    state.store.cancel_registration(r.id).await?;
    Ok(Redirect::to(&format!("/activities/{}?done=cancelled", r.activity_id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    pub approve: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Staff approve a residents' proposal, or reject it with a reason.
pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecideForm>,
) -> AppResult<Response> {
    let (a, community, _) = activity_for(&state, &user, id).await?;
    if !user.principal().is_staff_of(community.id) {
        return Err(AppError::NotFound);
    }
    let approve = form.approve.is_some();
    let note = if approve && form.note.trim().is_empty() {
        String::new()
    } else {
        activity::NOTE.parse("note", &form.note)?
    };
    state.store.decide_activity(a.id, approve, &note, user.principal().account_id).await?;
    Ok(Redirect::to(&format!("/activities/{}", a.id)).into_response())
}

#[derive(Template)]
#[template(path = "activity_checkin.html")]
struct CheckinPage {
    chrome: Chrome,
    a: Activity,
    registrations: Vec<Registration>,
    today: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn checkin_page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    error: Option<FieldError>,
    notice: Option<String>,
) -> AppResult<Response> {
    let (a, _, runs) = activity_for(state, user, id).await?;
    if !runs {
        return Err(AppError::NotFound);
    }
    let t = user.0.tr();
    let page = CheckinPage {
        chrome: Chrome::new(&user.0, t.get("activity.checkin")),
        registrations: state.store.registrations(a.id).await?,
        today: a.day() == linli_store::today().to_string(),
        a,
        error: error.map(|e| t.field_error(e.field, e.key)),
        notice,
    };
    Ok(render(status, &page))
}

pub async fn checkin_desk(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    checkin_page(&state, &user, id, StatusCode::OK, None, None).await
}

#[derive(Deserialize, Default)]
pub struct CheckinForm {
    #[serde(default)]
    pub checkin_code: String,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub registration_id: Option<i64>,
}

/// Checks a resident in by the code on their phone, or by ticking them on the list.
pub async fn check_in(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CheckinForm>,
) -> AppResult<Response> {
    let (a, _, runs) = activity_for(&state, &user, id).await?;
    if !runs {
        return Err(AppError::NotFound);
    }
    let code = Some(form.checkin_code.as_str()).filter(|c| !c.trim().is_empty());
    if code.is_none() && form.registration_id.is_none() {
        let e = FieldError::new("checkin_code", "error.required");
        return checkin_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await;
    }
    match state.store.check_in(a.id, code, form.registration_id, user.principal().account_id).await {
        Ok(r) => {
            let said = user.0.tr().fill("activity.checked_in", &[("name", &r.resident)]);
            checkin_page(&state, &user, a.id, StatusCode::OK, None, Some(said)).await
        }
        Err(StoreError::Invalid(e)) => {
            checkin_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    pub report: String,
}

pub async fn report(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    WithFiles { form, files }: WithFiles<ReportForm>,
) -> AppResult<Response> {
    let (a, _, runs) = activity_for(&state, &user, id).await?;
    if !runs {
        return Err(AppError::NotFound);
    }
    let checked = async {
        let text = activity::REPORT.parse("report", &form.report)?;
        linli_domain::publicity::check_public_text("report", &text)?;
        if files.len() > activity::MAX_PHOTOS {
            return Err(FieldError::new("photos", "error.photo.count"));
        }
        let photos = crate::photo::process_all("photos", files).await?;
        Ok((text, photos))
    }
    .await;
    let refused = match checked {
        Ok((text, photos)) => match state.store.report_activity(a.id, &text, &photos).await {
            Ok(()) => return Ok(Redirect::to(&format!("/activities/{}?done=reported", a.id)).into_response()),
            Err(StoreError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

pub async fn photo(
    State(state): State<AppState>,
    user: User,
    Path((id, photo_id)): Path<(i64, i64)>,
    Query(q): Query<crate::photo::PhotoQuery>,
) -> AppResult<Response> {
    let (a, _, _) = activity_for(&state, &user, id).await?;
    let bytes = state.store.activity_photo(a.id, photo_id, q.thumbnail()).await?.ok_or(AppError::NotFound)?;
    Ok(crate::photo::jpeg_response(bytes))
}

/// How a registration's status reads here: booked is registered, served is attended.
pub fn status_key(s: &BookingStatus) -> String {
    format!("activity.reg.{}", s.as_str())
}
