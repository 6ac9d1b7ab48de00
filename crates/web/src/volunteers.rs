//! Volunteers on the web: the community's volunteer page (joining with consent, one's
//! shifts and teams; for organisers the volunteers, the teams and the corrections asked),
//! a volunteer's record in its five categories with corrections and a printable
//! certificate, and an activity's shifts (adding them, signing up, recording hours: who
//! organises records, who records certifies).

use crate::activities::{activity_page, runs};
use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::services::provides;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::service::BookingStatus;
use linli_domain::volunteer::{self, CorrectionStatus, EntryKind, TeamKind};
use linli_domain::{Action, FieldError, Principal};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::volunteers::{Correction, Hours, Member, NewHours, RecordEntry, Signup, Team, Volunteer};
use serde::Deserialize;

/// Hours as pages show them (for templates, which pass references).
pub fn hours(minutes: &i64) -> String {
    volunteer::hours(*minutes)
}

/// Whether the caller organises volunteering in the community: its staff, or a social
/// organisation's staff (for their own records).
fn organises(p: &Principal, community: &Community) -> bool {
    p.can_in_community(Action::RunActivities, community.id, community.street_id)
}

/// Whether the caller may decide on an hours record: the community's staff, or the
/// organisation that recorded it.
fn certifies(p: &Principal, community: &Community, organisation_id: Option<i64>) -> bool {
    organises(p, community)
        && (p.is_staff_of(community.id) || organisation_id.is_some_and(|o| provides(p, o, community)))
}

/// The caller's own volunteer registration in the community, if a resident of record.
async fn own_volunteer(state: &AppState, user: &User, community: &Community) -> AppResult<Option<Volunteer>> {
    let p = user.principal();
    if !p.can_in_community(Action::Volunteer, community.id, community.street_id) {
        return Ok(None);
    }
    match state.store.verified_resident(p.account_id, community.id).await? {
        Some(r) => Ok(state.store.volunteer_of(r).await?),
        None => Ok(None),
    }
}

/// A team with the members other residents may see by name, and how many more.
pub struct TeamView {
    pub team: Team,
    pub named: Vec<Member>,
    pub others: usize,
    pub mine: bool,
    /// The caller organises it (the community's staff, or its organisation) and records
    /// its members' hours.
    pub records: bool,
}

#[derive(Template)]
#[template(path = "volunteers.html")]
struct HubPage {
    chrome: Chrome,
    community: Community,
    /// The caller may join as a volunteer (a resident).
    joins: bool,
    me: Option<Volunteer>,
    shifts: Vec<Signup>,
    teams: Vec<TeamView>,
    /// Organiser's view: staff see the volunteers, organisers the corrections to decide.
    staff: bool,
    organiser: bool,
    volunteers: Vec<Volunteer>,
    corrections: Vec<Correction>,
    kinds: Vec<&'static str>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn hub_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    error: Option<FieldError>,
    done: Option<String>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let joins = p.can_in_community(Action::Volunteer, community.id, community.street_id);
    let me = own_volunteer(state, user, &community).await?;
    let mine = match &me {
        Some(v) => state.store.teams_of(v.id).await?,
        None => Vec::new(),
    };
    let shifts = match &me {
        Some(v) => state.store.signups_of(v.resident_id).await?,
        None => Vec::new(),
    };
    let staff = p.is_staff_of(community.id);
    let organiser = organises(p, &community);
    let mut teams = Vec::new();
    for team in state.store.teams(community.id).await? {
        let members = state.store.team_members(team.id).await?;
        // Its organisers see every member; other residents those who agreed to be named.
        let organises_it = staff || team.organisation_id.is_some_and(|o| provides(p, o, &community));
        let (named, hidden): (Vec<Member>, Vec<Member>) = members.into_iter().partition(|m| m.named || organises_it);
        let records = organiser && organises_it;
        teams.push(TeamView { mine: mine.contains(&team.id), others: hidden.len(), named, records, team });
    }
    let corrections = if organiser {
        let org = if staff { None } else { p.organisations().find(|&o| provides(p, o, &community)) };
        if staff || org.is_some() { state.store.open_corrections(community.id, org).await? } else { Vec::new() }
    } else {
        Vec::new()
    };
    let page = HubPage {
        chrome: Chrome::new(&user.0, t.get("volunteer.title")),
        joins,
        me,
        shifts,
        teams,
        staff,
        organiser,
        volunteers: if staff { state.store.volunteers(community.id).await? } else { Vec::new() },
        corrections,
        kinds: TeamKind::ALL.iter().map(|k| k.as_str()).collect(),
        today: linli_store::today().to_string(),
        community,
        error: error.map(|e| t.field_error(e.field, e.key)),
        notice: done.filter(|d| t.has(&format!("volunteer.done.{d}"))).map(|d| t.label("volunteer.done", &d)),
    };
    Ok(render(status, &page))
}

pub async fn hub(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewActivities).await?;
    hub_page(&state, &user, community, StatusCode::OK, None, q.done).await
}

#[derive(Deserialize, Default)]
pub struct JoinForm {
    #[serde(default)]
    pub skills: String,
    pub consent: Option<String>,
    pub named: Option<String>,
}

/// A resident registers as a volunteer: consent to the record is required, consent to be
/// named to others is apart and may be changed later.
pub async fn join(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<JoinForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::Volunteer).await?;
    let p = user.principal();
    let Some(resident) = state.store.verified_resident(p.account_id, community.id).await? else {
        return Ok(Redirect::to("/account/verify").into_response());
    };
    let checked = (|| {
        if form.consent.is_none() {
            return Err(FieldError::new("consent", "error.volunteer.consent"));
        }
        volunteer::SKILLS.parse("skills", &form.skills)
    })();
    let refused = match checked {
        Ok(skills) => match state.store.join_volunteers(resident, &skills, form.named.is_some(), p.account_id).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/communities/{}/volunteers?done=joined", community.id)).into_response()
                );
            }
            Err(StoreError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    hub_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

/// A volunteer changes their skills or their consent to be named.
pub async fn update(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<JoinForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::Volunteer).await?;
    let me = own_volunteer(&state, &user, &community).await?.ok_or(AppError::NotFound)?;
    let skills = volunteer::SKILLS.parse("skills", &form.skills)?;
    state.store.update_volunteer(me.id, &skills, form.named.is_some()).await?;
    Ok(Redirect::to(&format!("/communities/{}/volunteers?done=updated", community.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct TeamForm {
    #[serde(default)]
    pub team_kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Staff, or a social organisation for itself, start a team or a project.
pub async fn create_team(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<TeamForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::RunActivities).await?;
    let p = user.principal();
    let org = if p.is_staff_of(community.id) {
        None
    } else {
        Some(p.organisations().find(|&o| provides(p, o, &community)).ok_or(AppError::Forbidden)?)
    };
    let checked = (|| {
        let kind = TeamKind::parse(&form.team_kind)?;
        let name = volunteer::TEAM_NAME.parse("name", &form.name)?;
        linli_domain::publicity::check_public_text("name", &name)?;
        let description = volunteer::TEAM_DESCRIPTION.parse("description", &form.description)?;
        linli_domain::publicity::check_public_text("description", &description)?;
        Ok((kind, name, description))
    })();
    match checked {
        Ok((kind, name, description)) => {
            state.store.create_team(community.id, org, kind, &name, &description, p.account_id).await?;
            Ok(Redirect::to(&format!("/communities/{}/volunteers?done=team", community.id)).into_response())
        }
        Err(e) => hub_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await,
    }
}

#[derive(Deserialize, Default)]
pub struct MembershipForm {
    pub leave: Option<String>,
}

/// A volunteer joins or leaves a team or project of their community.
pub async fn membership(
    State(state): State<AppState>,
    user: User,
    Path(team_id): Path<i64>,
    axum::Form(form): axum::Form<MembershipForm>,
) -> AppResult<Response> {
    let team = state.store.team(team_id).await?;
    let community = community_of(&state, &user, team.community_id, Action::Volunteer).await?;
    let Some(me) = own_volunteer(&state, &user, &community).await? else {
        let e = FieldError::new("team", "error.volunteer.not_volunteer");
        return hub_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await;
    };
    let join = form.leave.is_none();
    state.store.set_membership(team.id, me.id, join).await?;
    let done = if join { "joined_team" } else { "left_team" };
    Ok(Redirect::to(&format!("/communities/{}/volunteers?done={done}", community.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct TeamHoursForm {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub volunteer_id: Option<i64>,
    #[serde(default)]
    pub served_on: String,
    #[serde(default)]
    pub served_hours: String,
    #[serde(default)]
    pub content: String,
}

/// Whoever organises a team or project records its members' hours, naming itself issuer.
pub async fn record_team_hours(
    State(state): State<AppState>,
    user: User,
    Path(team_id): Path<i64>,
    axum::Form(form): axum::Form<TeamHoursForm>,
) -> AppResult<Response> {
    let team = state.store.team(team_id).await?;
    let community = community_of(&state, &user, team.community_id, Action::RunActivities).await?;
    let p = user.principal();
    if !certifies(p, &community, team.organisation_id) {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let volunteer_id = form.volunteer_id.ok_or_else(|| FieldError::new("volunteer_id", "error.required"))?;
        let served_on = chrono::NaiveDate::parse_from_str(form.served_on.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= linli_store::today())
            .ok_or_else(|| FieldError::new("served_on", "error.volunteer.date"))?;
        let minutes = minutes_of("served_hours", &form.served_hours)?;
        let content = volunteer::CONTENT.parse("content", &form.content)?;
        Ok::<_, FieldError>((volunteer_id, served_on, minutes, content))
    })();
    let refused = match checked {
        Ok((volunteer_id, served_on, minutes, content)) => {
            let new = NewHours {
                volunteer_id,
                signup_id: None,
                activity_id: None,
                team_id: Some(team.id),
                project: team.name.clone(),
                served_on: served_on.to_string(),
                minutes,
                content,
                issuer: team.organisation.clone().unwrap_or_else(|| committee_of(&community)),
                organisation_id: team.organisation_id,
                by: p.account_id,
            };
            match state.store.record_hours(&new).await {
                Ok(_) => {
                    let to = format!("/communities/{}/volunteers?done=hours", community.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::NotFound) => FieldError::new("volunteer_id", "error.volunteer.not_member"),
                Err(StoreError::Invalid(e)) => e,
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    hub_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

/// A volunteer and the community it belongs to, if the caller may read its record: the
/// volunteer themself, or the community's staff.
async fn record_for(state: &AppState, user: &User, id: i64) -> AppResult<(Volunteer, Community, bool)> {
    let v = state.store.volunteer(id).await?;
    let community = community_of(state, user, v.community_id, Action::ViewActivities).await?;
    let p = user.principal();
    let own = own_volunteer(state, user, &community).await?.is_some_and(|me| me.id == v.id);
    let staff = organises(p, &community) && p.is_staff_of(community.id);
    if !(own || staff) {
        return Err(AppError::NotFound);
    }
    Ok((v, community, own))
}

#[derive(Template)]
#[template(path = "volunteer.html")]
struct RecordPage {
    chrome: Chrome,
    community: Community,
    v: Volunteer,
    own: bool,
    staff: bool,
    grid: Option<String>,
    hours: Vec<Hours>,
    entries: Vec<RecordEntry>,
    corrections: Vec<Correction>,
    kinds: Vec<&'static str>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
}

impl RecordPage {
    /// The open correction asked of an hours record, if any.
    fn open_for(&self, hours_id: &i64) -> bool {
        self.corrections.iter().any(|c| c.hours_id == *hours_id && c.status == CorrectionStatus::Open)
    }

    fn of_kind(&self, kind: &str) -> Vec<&RecordEntry> {
        self.entries.iter().filter(|e| e.kind.as_str() == kind).collect()
    }
}

async fn record_page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    error: Option<FieldError>,
    done: Option<String>,
) -> AppResult<Response> {
    let (v, community, own) = record_for(state, user, id).await?;
    let t = user.0.tr();
    let grid = match v.grid_id {
        Some(g) => state.store.grids(community.id).await?.into_iter().find(|x| x.id == g).map(|x| x.name),
        None => None,
    };
    let page = RecordPage {
        chrome: Chrome::new(&user.0, t.get("volunteer.record")),
        staff: user.principal().is_staff_of(community.id),
        grid,
        hours: state.store.hours_of(v.id).await?,
        entries: state.store.record_entries(v.id).await?,
        corrections: state.store.corrections_of(v.id).await?,
        kinds: EntryKind::ALL.iter().map(|k| k.as_str()).collect(),
        today: linli_store::today().to_string(),
        own,
        community,
        v,
        error: error.map(|e| t.field_error(e.field, e.key)),
        notice: done.filter(|d| t.has(&format!("volunteer.done.{d}"))).map(|d| t.label("volunteer.done", &d)),
    };
    Ok(render(status, &page))
}

pub async fn record(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    record_page(&state, &user, id, StatusCode::OK, None, q.done).await
}

#[derive(Template)]
#[template(path = "volunteer_certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    v: Volunteer,
    hours: Vec<Hours>,
    certifies: String,
    committee: String,
    issued_on: String,
}

/// The printable certificate: the hours, what was done, who recorded them, the date; the
/// residents' committee certifies.
pub async fn certificate(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (v, community, _) = record_for(&state, &user, id).await?;
    let hours = state.store.hours_of(v.id).await?;
    let t = user.0.tr();
    let total = volunteer::hours(v.minutes);
    let page = CertificatePage {
        chrome: Chrome::new(&user.0, t.get("volunteer.certificate")),
        certifies: t
            .fill("volunteer.certifies", &[("name", &v.name), ("community", &community.name), ("hours", &total)]),
        committee: t.fill("volunteer.committee", &[("community", &community.name)]),
        hours,
        issued_on: linli_store::today().to_string(),
        v,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
pub struct CorrectionForm {
    #[serde(default)]
    pub asked_hours: String,
    #[serde(default)]
    pub correction_reason: String,
}

/// Hours as typed (`3.5`, `4`), in minutes.
fn minutes_of(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .map(|h| (h * 60.0).round() as i64)
        .filter(|m| (1..=volunteer::MAX_MINUTES).contains(m))
        .ok_or_else(|| FieldError::new(field, "error.volunteer.minutes"))
}

/// A volunteer asks for a correction of one of their hours records.
pub async fn ask_correction(
    State(state): State<AppState>,
    user: User,
    Path(hours_id): Path<i64>,
    axum::Form(form): axum::Form<CorrectionForm>,
) -> AppResult<Response> {
    let h = state.store.hours(hours_id).await?;
    let (v, _, own) = record_for(&state, &user, h.volunteer_id).await?;
    if !own || !user.principal().can(Action::Volunteer) {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let minutes = minutes_of("asked_hours", &form.asked_hours)?;
        let reason = volunteer::CORRECTION_REASON.parse("correction_reason", &form.correction_reason)?;
        Ok((minutes, reason))
    })();
    let refused = match checked {
        Ok((minutes, reason)) => match state.store.ask_correction(h.id, minutes, &reason).await {
            Ok(_) => return Ok(Redirect::to(&format!("/volunteers/{}?done=asked", v.id)).into_response()),
            Err(StoreError::Invalid(e)) => FieldError::new("asked_hours", e.key),
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    record_page(&state, &user, v.id, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    pub accept: Option<String>,
    #[serde(default)]
    pub answer: String,
}

/// Who recorded the hours (the community's staff, or the organisation) decides.
pub async fn decide_correction(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecideForm>,
) -> AppResult<Response> {
    let c = state.store.correction(id).await?;
    let community = community_of(&state, &user, c.community_id, Action::RunActivities).await?;
    if !certifies(user.principal(), &community, c.organisation_id) {
        return Err(AppError::NotFound);
    }
    let accept = form.accept.is_some();
    let answer = if accept && form.answer.trim().is_empty() {
        String::new()
    } else {
        volunteer::CORRECTION_REASON.parse("answer", &form.answer)?
    };
    match state.store.decide_correction(c.id, accept, &answer, user.principal().account_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/communities/{}/volunteers?done=decided", community.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            hub_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct EntryForm {
    #[serde(default)]
    pub entry_kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub on_date: String,
}

/// Staff add a training, an award or an evaluation to a volunteer's record; the community
/// is its issuer.
pub async fn add_entry(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<EntryForm>,
) -> AppResult<Response> {
    let (v, community, _) = record_for(&state, &user, id).await?;
    let p = user.principal();
    if !p.is_staff_of(community.id) {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let kind = EntryKind::parse(&form.entry_kind)?;
        let title = volunteer::ENTRY_TITLE.parse("title", &form.title)?;
        let on = chrono::NaiveDate::parse_from_str(form.on_date.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= linli_store::today())
            .ok_or_else(|| FieldError::new("on_date", "error.volunteer.date"))?;
        Ok((kind, title, on.to_string()))
    })();
    match checked {
        Ok((kind, title, on)) => {
            let issuer = committee_of(&community);
            state.store.add_record_entry(v.id, kind, &title, &on, &issuer, p.account_id).await?;
            Ok(Redirect::to(&format!("/volunteers/{}?done=entry", v.id)).into_response())
        }
        Err(e) => record_page(&state, &user, v.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await,
    }
}

/// The residents' committee of a community, as an issuer is named on the record (in the
/// record's language, Chinese, whatever the page's).
fn committee_of(community: &Community) -> String {
    format!("{}居民委员会", community.name)
}

#[derive(Deserialize, Default)]
pub struct ShiftForm {
    #[serde(default)]
    pub shift_role: String,
    #[serde(default)]
    pub shift_start: String,
    #[serde(default)]
    pub shift_end: String,
    #[serde(default)]
    pub capacity: String,
}

/// The organiser adds a volunteer shift to an activity.
pub async fn add_shift(
    State(state): State<AppState>,
    user: User,
    Path(activity_id): Path<i64>,
    axum::Form(form): axum::Form<ShiftForm>,
) -> AppResult<Response> {
    let a = state.store.activity(activity_id).await?;
    let community = community_of(&state, &user, a.community_id, Action::RunActivities).await?;
    if !runs(user.principal(), &a, &community) {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let role = volunteer::SHIFT_ROLE.parse("shift_role", &form.shift_role)?;
        linli_domain::publicity::check_public_text("shift_role", &role)?;
        let starts = crate::services::local_time("shift_start", &form.shift_start)?;
        let ends = crate::services::local_time("shift_end", &form.shift_end)?;
        let capacity = crate::form::number("capacity", &form.capacity, 1..=500)?;
        Ok((role, starts, ends, capacity))
    })();
    let refused = match checked {
        Ok((role, starts, ends, capacity)) => {
            match state.store.add_shift(a.id, &role, &starts, &ends, capacity).await {
                Ok(_) => return Ok(Redirect::to(&format!("/activities/{}?done=shift", a.id)).into_response()),
                Err(StoreError::Invalid(e)) => e,
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

/// A volunteer signs up for a shift (or its line).
pub async fn sign_up(
    State(state): State<AppState>,
    user: User,
    Path(shift_id): Path<i64>,
    axum::Form(form): axum::Form<crate::activities::RegisterForm>,
) -> AppResult<Response> {
    let activity_id = state.store.shift_activity(shift_id).await?;
    let a = state.store.activity(activity_id).await?;
    let community = community_of(&state, &user, a.community_id, Action::Volunteer).await?;
    let Some(me) = own_volunteer(&state, &user, &community).await? else {
        return Ok(Redirect::to(&format!("/communities/{}/volunteers", community.id)).into_response());
    };
    match state.store.sign_up(shift_id, me.resident_id, form.wait.is_some()).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{}?done=signed_up", a.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A volunteer withdraws from a shift.
pub async fn cancel_signup(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let s = state.store.signup(id).await?;
    let a = state.store.activity(s.activity_id).await?;
    let community = community_of(&state, &user, a.community_id, Action::Volunteer).await?;
    if own_volunteer(&state, &user, &community).await?.map(|v| v.resident_id) != Some(s.resident_id) {
        return Err(AppError::NotFound);
    }
    match state.store.cancel_signup(s.id).await {
        Ok(_) => Ok(Redirect::to(&format!("/activities/{}?done=withdrawn", a.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(e), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct HoursForm {
    #[serde(default)]
    pub served_hours: String,
    #[serde(default)]
    pub content: String,
}

/// The organiser records a volunteer's hours for a shift they signed up for; the
/// organiser (the organisation, or the community's residents' committee) is the issuer.
pub async fn record_hours(
    State(state): State<AppState>,
    user: User,
    Path(signup_id): Path<i64>,
    axum::Form(form): axum::Form<HoursForm>,
) -> AppResult<Response> {
    let s = state.store.signup(signup_id).await?;
    let a = state.store.activity(s.activity_id).await?;
    let community = community_of(&state, &user, a.community_id, Action::RunActivities).await?;
    if !runs(user.principal(), &a, &community) {
        return Err(AppError::NotFound);
    }
    let refused = match (|| {
        let minutes = minutes_of("served_hours", &form.served_hours)?;
        let content = volunteer::CONTENT.parse("content", &form.content)?;
        Ok::<_, FieldError>((minutes, content))
    })() {
        Ok((minutes, content)) => {
            let v = state
                .store
                .volunteer_of(s.resident_id)
                .await?
                .ok_or_else(|| AppError::invalid("signup", "error.volunteer.not_volunteer"))?;
            let new = NewHours {
                volunteer_id: v.id,
                signup_id: Some(s.id),
                activity_id: Some(a.id),
                team_id: None,
                project: a.title.clone(),
                served_on: a.day().to_string(),
                minutes,
                content,
                issuer: a.organisation.clone().unwrap_or_else(|| committee_of(&community)),
                organisation_id: a.organisation_id,
                by: user.principal().account_id,
            };
            match state.store.record_hours(&new).await {
                Ok(_) => return Ok(Redirect::to(&format!("/activities/{}?done=hours", a.id)).into_response()),
                Err(StoreError::Invalid(e)) => e,
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    activity_page(&state, &user, a.id, StatusCode::UNPROCESSABLE_ENTITY, Some(refused), None).await
}

/// How a sign-up's status reads: booked is signed up, served is hours recorded.
pub fn signup_key(s: &BookingStatus) -> String {
    format!("volunteer.signup.{}", s.as_str())
}
