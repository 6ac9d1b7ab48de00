//! The owners' committee in office on the web: its members and alternates, the chair and
//! vice chair, its open duties with their deadlines (first meeting, filing, the next
//! meeting, decisions to publish), its meetings and its decisions. The committee and the
//! community's staff record each duty as it is done; owners read the committee and its
//! published decisions.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use linli_domain::committee::{DutyState, open_duties};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::committees::{Committee, Decision, Meeting, Member, date_of};
use serde::Deserialize;

/// The committee and its community, if the caller may `action` there; else it does not exist.
async fn reachable(state: &AppState, user: &User, id: i64, action: Action) -> AppResult<(Committee, Community)> {
    let committee = state.store.committee(id).await?;
    let community = state.store.community(committee.community_id).await?;
    if !user.principal().can_in_community(action, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    Ok((committee, community))
}

/// The community's committee in office, or the assemblies page when none is elected yet.
pub async fn current(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = super::community_for(&state, &user, community_id, Action::ViewAssemblies).await?;
    Ok(match state.store.committees(community.id).await?.first() {
        Some(c) => Redirect::to(&format!("/committees/{}", c.id)).into_response(),
        None => Redirect::to(&format!("/communities/{}/assemblies", community.id)).into_response(),
    })
}

/// One open duty in words.
pub struct DutyLine {
    pub text: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "committee.html")]
struct CommitteePage {
    chrome: Chrome,
    community: Community,
    committee: Committee,
    members: Vec<Member>,
    officers: Option<String>,
    term: String,
    duties: Vec<DutyLine>,
    meetings: Vec<Meeting>,
    /// Decisions the caller may read (owners: published ones), with their line.
    decisions: Vec<(Decision, String)>,
    can_manage: bool,
    today: String,
    error: Option<String>,
}

impl CommitteePage {
    fn is_member(&self, m: &Member) -> bool {
        m.standing == "member"
    }
}

async fn page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let (committee, community) = reachable(state, user, id, Action::ViewAssemblies).await?;
    let t = user.0.tr();
    let p = user.principal();
    let can_manage = p.can_in_community(Action::ManageAssemblies, community.id, community.street_id);
    let members = state.store.committee_members(committee.id).await?;
    let name_of = |candidate: Option<i64>| {
        candidate.and_then(|c| members.iter().find(|m| m.candidate_id == c)).map(|m| m.name.clone())
    };
    let officers = match (name_of(committee.chair_id), name_of(committee.vice_chair_id)) {
        (Some(chair), Some(vice)) => Some(t.fill("committee.officers", &[("chair", &chair), ("vice", &vice)])),
        _ => None,
    };
    let today = linli_store::today().to_string();
    let record = state.store.committee_record(&committee).await?;
    let today_days = linli_store::today().signed_duration_since(chrono::NaiveDate::default()).num_days();
    let decisions = state.store.committee_decisions(committee.id).await?;
    let duties = open_duties(state.store.self_governance().await?.duties, &record, today_days)
        .into_iter()
        .map(|d| {
            let title = d.decision.and_then(|id| decisions.iter().find(|x| x.id == id)).map(|x| x.title.clone());
            DutyLine {
                text: t.fill(
                    &format!("committee.duty.{}", d.duty.as_str()),
                    &[("due", &date_of(d.due)), ("title", &title.unwrap_or_default())],
                ),
                state: match d.state {
                    DutyState::Overdue => "overdue",
                    DutyState::DueSoon => "due_soon",
                    DutyState::Pending => "pending",
                },
            }
        })
        .collect();
    let total = members.iter().filter(|m| m.standing == "member").count();
    let decisions = decisions
        .into_iter()
        .filter(|d| can_manage || d.published_at.is_some())
        .map(|d| {
            let line = match d.published_at {
                Some(at) => t.fill(
                    "committee.decision_published",
                    &[("on", &d.decided_on), ("signed", &d.signatures), ("members", &total), ("at", &format_ms(at))],
                ),
                None => t.fill(
                    "committee.decision_unpublished",
                    &[("on", &d.decided_on), ("signed", &d.signatures), ("members", &total)],
                ),
            };
            (d, line)
        })
        .collect();
    let elected = chrono::NaiveDate::parse_from_str(&committee.elected_on, "%Y-%m-%d").unwrap_or_default();
    let term = t.fill(
        "committee.term",
        &[("from", &committee.elected_on), ("to", &elected.with_year(elected.year() + 5).unwrap_or(elected))],
    );
    let page = CommitteePage {
        chrome: Chrome::new(&user.0, t.get("committee.heading")),
        // Minutes are the committee's working record; owners read the published decisions.
        meetings: if can_manage { state.store.committee_meetings(committee.id).await? } else { Vec::new() },
        error: error.map(|e| t.field_error(e.field, e.key)),
        community,
        committee,
        members,
        officers,
        term,
        duties,
        decisions,
        can_manage,
        today,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    page(&state, &user, id, StatusCode::OK, None).await
}

fn day(field: &'static str, raw: &str) -> Result<String, FieldError> {
    super::day(field, raw).map(|d| d.to_string())
}

/// After a change: back to the page, or the page again with the field's error.
async fn answer(state: &AppState, user: &User, id: i64, done: Result<(), StoreError>) -> AppResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/committees/{id}")).into_response()),
        Err(StoreError::Invalid(e)) => page(state, user, id, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct MeetingForm {
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub chair: String,
    #[serde(default)]
    pub vice_chair: String,
}

/// A committee meeting; the first one also records the chair and vice chair it elected.
pub async fn meeting(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<MeetingForm>,
) -> AppResult<Response> {
    let (committee, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let by = user.principal().account_id;
    let checked = (|| {
        let held_on = day("held_on", &f.held_on)?;
        if held_on > linli_store::today().to_string() {
            return Err(FieldError::new("held_on", "error.committee.future"));
        }
        let minutes = linli_domain::committee::MINUTES.parse("minutes", &f.minutes)?;
        Ok((held_on, minutes))
    })();
    let (held_on, minutes) = match checked {
        Ok(v) => v,
        Err(e) => return answer(&state, &user, id, Err(StoreError::Invalid(e))).await,
    };
    let done = if committee.first_meeting_on.is_none() {
        let chair = f.chair.trim().parse().unwrap_or(0);
        let vice = f.vice_chair.trim().parse().unwrap_or(0);
        state.store.record_first_meeting(committee.id, &held_on, chair, vice, &minutes, by).await
    } else {
        state.store.record_meeting(committee.id, &held_on, &minutes, by).await.map(|_| ())
    };
    answer(&state, &user, id, done).await
}

#[derive(Deserialize, Default)]
pub struct FilingForm {
    #[serde(default)]
    pub filed_on: String,
}

/// Filing (备案) with the street office.
pub async fn filing(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<FilingForm>,
) -> AppResult<Response> {
    let (committee, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let done = match day("filed_on", &f.filed_on) {
        Ok(d) if d > linli_store::today().to_string() => {
            Err(StoreError::Invalid(FieldError::new("filed_on", "error.committee.future")))
        }
        Ok(d) => state.store.record_filing(committee.id, &d, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, id, done).await
}

/// A decision with the members who signed it (`signer` repeated).
pub async fn decision(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(f): axum_extra::extract::Form<DecisionForm>,
) -> AppResult<Response> {
    let (committee, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let checked = (|| {
        let title = linli_domain::committee::DECISION_TITLE.parse("title", &f.title)?;
        let body = linli_domain::committee::MINUTES.parse("decision_body", &f.decision_body)?;
        let decided_on = day("decided_on", &f.decided_on)?;
        if decided_on > linli_store::today().to_string() {
            return Err(FieldError::new("decided_on", "error.committee.future"));
        }
        Ok((title, body, decided_on))
    })();
    let done = match checked {
        Ok((title, body, decided_on)) => state
            .store
            .record_decision(committee.id, &title, &body, &decided_on, &f.signer, user.principal().account_id)
            .await
            .map(|_| ()),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, id, done).await
}

#[derive(Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub decision_body: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub signer: Vec<i64>,
}

/// Publishes a decision to the owners.
pub async fn publish_decision(
    State(state): State<AppState>,
    user: User,
    Path((id, decision_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (committee, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let done = state.store.publish_decision(committee.id, decision_id).await;
    answer(&state, &user, id, done).await
}
