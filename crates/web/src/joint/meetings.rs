//! Joint meetings: the community's list with the form to schedule one (every party invited,
//! guests by name) and its calendar (ICS); a meeting's page with last meetings' unfinished
//! resolutions first, then the ledger items on its agenda, attendance and minutes, and its
//! resolutions with the form to record one.

use super::chosen_id;
use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDateTime};
use linli_domain::joint::{GUEST, MINUTES, PLACE, Standing, TITLE, WARN_DAYS, parse_weight};
use linli_domain::worktime::{china_time, utc_ms};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::{Community, Organisation};
use linli_store::joint::meetings::NewMeeting;
use linli_store::joint::resolutions::{NewResolution, Resolution};
use linli_store::joint::{LedgerItem, Meeting, Member};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct MeetingForm {
    #[serde(default)]
    pub title: String,
    /// `YYYY-MM-DDTHH:MM`, China time.
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub venue: String,
    /// One guest a line.
    #[serde(default)]
    pub guests: String,
}

#[derive(Template)]
#[template(path = "joint_meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    community: Community,
    /// Meetings with their time in words.
    meetings: Vec<(Meeting, String)>,
    can_convene: bool,
    form: MeetingForm,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: MeetingForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let meetings = state.store.meetings(community.id).await?.into_iter().map(|m| {
        let at = format_ms(m.starts_at);
        (m, at)
    });
    let page = MeetingsPage {
        chrome: Chrome::new(&user.0, t.get("meeting.list")),
        meetings: meetings.collect(),
        can_convene: user.principal().can_in_community(Action::ConveneMeetings, community.id, community.street_id),
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewJointMeetings).await?;
    // A week on, at half past two: the usual afternoon of a monthly meeting.
    let next = china_time(linli_store::now_ms()).date() + Duration::days(7);
    let form = MeetingForm {
        title: user.0.tr().fill("meeting.default_title", &[("month", &next.format("%Y-%m"))]),
        starts_at: format!("{next}T14:30"),
        ..MeetingForm::default()
    };
    list_page(&state, &user, community, StatusCode::OK, form, None).await
}

fn checked_meeting(community_id: i64, by: i64, f: &MeetingForm) -> Result<NewMeeting, FieldError> {
    let title = TITLE.parse("title", &f.title)?;
    let at = NaiveDateTime::parse_from_str(f.starts_at.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| FieldError::new("starts_at", "error.joint.starts_at"))?;
    let starts_at = utc_ms(at);
    // Entered after the fact within two months, or up to a year ahead.
    let now = linli_store::now_ms();
    if starts_at < now - 60 * 86_400_000 || starts_at > now + 366 * 86_400_000 {
        return Err(FieldError::new("starts_at", "error.joint.starts_at"));
    }
    let place = PLACE.parse("venue", &f.venue)?;
    let guests = f
        .guests
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| GUEST.parse("guests", l))
        .collect::<Result<Vec<_>, _>>()?;
    if guests.len() > 30 {
        return Err(FieldError::new("guests", "error.joint.guest"));
    }
    Ok(NewMeeting { community_id, title, starts_at, place, guests, by })
}

pub async fn schedule(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<MeetingForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ConveneMeetings).await?;
    match checked_meeting(community.id, user.principal().account_id, &form) {
        Ok(new) => {
            let id = state.store.schedule_meeting(&new).await?;
            Ok(Redirect::to(&format!("/meetings/{id}")).into_response())
        }
        Err(e) => list_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    }
}

/// The community's joint meetings as a calendar (ICS) to subscribe to.
pub async fn calendar(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    use icalendar::{Calendar, Component, EventLike};
    let community = community_for(&state, &user, community_id, Action::ViewJointMeetings).await?;
    let mut cal = Calendar::new();
    cal.name(&user.0.tr().fill("meeting.calendar_name", &[("community", &community.name)]));
    for m in state.store.meetings(community.id).await? {
        let start = chrono::DateTime::from_timestamp_millis(m.starts_at).unwrap_or_default();
        cal.push(
            icalendar::Event::new()
                .uid(&format!("linli-meeting-{}", m.id))
                .summary(&m.title)
                .location(&m.place)
                .starts(start)
                .ends(start + Duration::hours(2))
                .url(&format!("/meetings/{}", m.id))
                .done(),
        );
    }
    let body = cal.done().to_string();
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response())
}

#[derive(Deserialize, Default)]
pub struct ResolutionForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub organisation_id: String,
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub ledger_item_id: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub weight: String,
}

/// A resolution on a list, with where it stands.
pub struct Row {
    pub r: Resolution,
    pub standing: Standing,
}

pub(crate) fn rows(list: Vec<Resolution>) -> Vec<Row> {
    let today = linli_store::today();
    list.into_iter()
        .map(|r| {
            let standing = Standing::of(r.due(), r.is_done(), today, WARN_DAYS);
            Row { r, standing }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "joint_meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    community: Community,
    meeting: Meeting,
    at: String,
    held: bool,
    members: Vec<Member>,
    /// Earlier meetings' resolutions not yet struck off: the agenda's first part.
    carried: Vec<Row>,
    agenda: Vec<LedgerItem>,
    /// Live ledger items not on this agenda, to add.
    open_items: Vec<LedgerItem>,
    resolutions: Vec<Row>,
    parties: Vec<Organisation>,
    can_convene: bool,
    minutes: String,
    /// The minutes' documents.
    files: Vec<linli_store::attachments::Attachment>,
    resolution: ResolutionForm,
    error: Option<String>,
}

/// A meeting within the user's reach for `action`, with its community.
pub(crate) async fn meeting_for(
    state: &AppState,
    user: &User,
    id: i64,
    action: Action,
) -> AppResult<(Meeting, Community)> {
    let meeting = state.store.meeting(id).await?;
    let community = crate::context::community_of(state, user, meeting.community_id, action).await?;
    Ok((meeting, community))
}

struct Forms {
    minutes: Option<String>,
    resolution: ResolutionForm,
}

async fn meeting_page(
    state: &AppState,
    user: &User,
    (meeting, community): (Meeting, Community),
    status: StatusCode,
    forms: Forms,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let earlier: Vec<i64> = state
        .store
        .meetings(community.id)
        .await?
        .into_iter()
        .filter(|m| m.starts_at < meeting.starts_at)
        .map(|m| m.id)
        .collect();
    let carried = state.store.open_resolutions(community.id, None).await?;
    let carried = carried.into_iter().filter(|r| earlier.contains(&r.meeting_id)).collect();
    let agenda = state.store.meeting_agenda(meeting.id).await?;
    let on_agenda: Vec<i64> = agenda.iter().map(|i| i.id).collect();
    let open_items = state
        .store
        .ledger(community.id)
        .await?
        .into_iter()
        .filter(|i| i.status.is_live() && !on_agenda.contains(&i.id));
    let page = MeetingPage {
        chrome: Chrome::new(&user.0, meeting.title.clone()),
        at: format_ms(meeting.starts_at),
        held: meeting.held_at.is_some(),
        members: state.store.meeting_members(meeting.id).await?,
        carried: rows(carried),
        agenda,
        open_items: open_items.collect(),
        resolutions: rows(state.store.meeting_resolutions(meeting.id).await?),
        parties: state.store.organisations(community.id).await?,
        can_convene: user.principal().can_in_community(Action::ConveneMeetings, community.id, community.street_id),
        minutes: forms.minutes.unwrap_or_else(|| meeting.minutes.clone()),
        files: state.store.attachments(linli_store::attachments::Owner::Meeting(meeting.id)).await?,
        resolution: forms.resolution,
        error: error.map(|e| t.field_error(e.field, e.key)),
        community,
        meeting,
    };
    Ok(render(status, &page))
}

fn blank() -> Forms {
    Forms { minutes: None, resolution: ResolutionForm::default() }
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = meeting_for(&state, &user, id, Action::ViewJointMeetings).await?;
    meeting_page(&state, &user, found, StatusCode::OK, blank(), None).await
}

/// Renders the refusal on the meeting's page, or goes back to it.
async fn answer(
    state: &AppState,
    user: &User,
    found: (Meeting, Community),
    outcome: Result<(), StoreError>,
    forms: Forms,
) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{}", found.0.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            meeting_page(state, user, found, StatusCode::UNPROCESSABLE_ENTITY, forms, Some(e)).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct AgendaForm {
    #[serde(default)]
    pub items: Vec<i64>,
}

pub async fn agenda(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<AgendaForm>,
) -> AppResult<Response> {
    let found = meeting_for(&state, &user, id, Action::ConveneMeetings).await?;
    let outcome = state.store.add_to_agenda(&found.0, &f.items, user.principal().account_id).await;
    answer(&state, &user, found, outcome, blank()).await
}

#[derive(Deserialize, Default)]
pub struct MinutesForm {
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub present: Vec<i64>,
}

pub async fn minutes(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<MinutesForm>,
) -> AppResult<Response> {
    let found = meeting_for(&state, &user, id, Action::ConveneMeetings).await?;
    let outcome = match MINUTES.parse("minutes", &f.minutes) {
        Ok(text) => state.store.record_minutes(&found.0, &text, &f.present, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    let forms = Forms { minutes: Some(f.minutes), resolution: ResolutionForm::default() };
    answer(&state, &user, found, outcome, forms).await
}

fn checked_resolution(by: i64, f: &ResolutionForm) -> Result<NewResolution, FieldError> {
    let title = TITLE.parse("title", &f.title)?;
    let organisation_id = chosen_id("organisation_id", &f.organisation_id)?
        .ok_or(FieldError::new("organisation_id", "error.joint.responsible"))?;
    if f.due_on.trim().is_empty() {
        return Err(FieldError::new("due_on", "error.joint.due_missing"));
    }
    let due_on = crate::assemblies::day("due_on", &f.due_on)?;
    Ok(NewResolution {
        ledger_item_id: chosen_id("ledger_item_id", &f.ledger_item_id)?,
        parent_id: chosen_id("parent_id", &f.parent_id)?,
        weight: parse_weight("weight", &f.weight)?,
        title,
        organisation_id,
        due_on,
        by,
    })
}

pub async fn resolve(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<ResolutionForm>,
) -> AppResult<Response> {
    let found = meeting_for(&state, &user, id, Action::ConveneMeetings).await?;
    let outcome = match checked_resolution(user.principal().account_id, &f) {
        Ok(new) => state.store.add_resolution(&found.0, &new).await.map(|_| ()),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome, Forms { minutes: None, resolution: f }).await
}

/// Posts the meeting's resolutions and how far each has gone on the public board: one line
/// each (its party, deadline, progress, struck off or not). The text is refused, naming the
/// resolutions, if a title carries a phone or ID number.
pub async fn post(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = meeting_for(&state, &user, id, Action::ConveneMeetings).await?;
    let t = user.0.tr();
    let list = state.store.meeting_resolutions(found.0.id).await?;
    let outcome = if list.is_empty() {
        Err(StoreError::Invalid(FieldError::new("resolutions", "error.joint.nothing_to_post")))
    } else {
        let lines: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let state_words =
                    if r.is_done() { t.get("resolution.standing.done").to_owned() } else { format!("{}%", r.progress) };
                // Commas, not brackets, beside the date: a bracket joins digits into what
                // reads as a long number on the public board.
                format!(
                    "{}. {}：{}，{} {}，{}",
                    i + 1,
                    r.title,
                    r.organisation_name,
                    t.get("field.due_on"),
                    r.due_on,
                    state_words
                )
            })
            .collect();
        let body = lines.join("\n");
        match linli_domain::publicity::check_public_text("resolutions", &body) {
            Ok(()) => {
                let title = t.fill("meeting.posted_title", &[("meeting", &found.0.title)]);
                state.store.post_resolutions(&found.0, &title, &body, user.principal().account_id).await.map(|_| ())
            }
            Err(e) => Err(StoreError::Invalid(e)),
        }
    };
    answer(&state, &user, found, outcome, blank()).await
}
