//! Care tags and visits: add or remove a tag and record a visit on a resident's page, and
//! the list of overdue visits within reach, most overdue first.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::residents as shared;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::care::CareTag;
use linli_domain::{Action, FieldError};
use linli_store::admin::Community;
use linli_store::care::{NewVisit, OverdueVisit};
use linli_store::cases::NewCase;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TagForm {
    #[serde(default)]
    pub tag: String,
}

fn tag(raw: &str) -> AppResult<CareTag> {
    CareTag::parse(raw.trim()).ok_or_else(|| FieldError::new("tag", "error.choice").into())
}

pub async fn add_tag(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    Form(form): Form<TagForm>,
) -> AppResult<Response> {
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::ManageCare).await?;
    state.store.add_care_tag(resident.id, tag(&form.tag)?).await?;
    Ok(Redirect::to(&format!("/residents/{}#care", resident.id)).into_response())
}

pub async fn remove_tag(
    State(state): State<AppState>,
    user: User,
    Path((resident_id, raw)): Path<(i64, String)>,
) -> AppResult<Response> {
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::ManageCare).await?;
    state.store.remove_care_tag(resident.id, tag(&raw)?).await?;
    Ok(Redirect::to(&format!("/residents/{}#care", resident.id)).into_response())
}

#[derive(Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    pub visited_on: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub notes: String,
    pub follow_up: Option<String>,
}

/// Records a visit; the date may not be in the future, notes at most 1,000 characters.
pub async fn record_visit(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    Form(form): Form<VisitForm>,
) -> AppResult<Response> {
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::ManageCare).await?;
    let today = linli_store::today();
    let visited_on = chrono::NaiveDate::parse_from_str(form.visited_on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today && *d > today - chrono::Duration::days(366))
        .ok_or(FieldError::new("visited_on", "error.visit.date"))?;
    let kind = match form.kind.as_str() {
        "home" => "home",
        "phone" => "phone",
        "other" => "other",
        _ => return Err(FieldError::new("kind", "error.choice").into()),
    };
    if form.notes.chars().count() > 1000 {
        return Err(AppError::invalid("notes", "error.visit.notes"));
    }
    let visit = NewVisit {
        resident_id: resident.id,
        account_id: user.principal().account_id,
        visited_on,
        kind,
        notes: form.notes,
        follow_up: form.follow_up.is_some(),
    };
    let visit_id = state.store.record_visit(&visit).await?;
    if visit.follow_up {
        // A visit that needs follow-up opens a case (关爱帮扶) in the resident's grid. The
        // visit's notes stay sealed with the visit; the case only points to the resident.
        let category = state.store.case_categories().await?.into_iter().find(|c| c.code == "10");
        if let Some(category) = category {
            let household = state.store.household(resident.household_id).await?;
            let p = user.principal();
            let new = NewCase {
                community_id: resident.community_id,
                grid_id: Some(resident.grid_id),
                category_id: category.id,
                source: linli_domain::case::Source::Visit,
                description: user.0.tr().fill("care.follow_up_case", &[("name", &resident.name)]),
                building_id: Some(household.building_id),
                household_id: Some(household.id),
                address: format!("{} {}-{}", household.building, household.unit, household.room),
                reporter_account_id: Some(p.account_id),
                reporter_name: p.display_name.clone(),
                idempotency_key: Some(format!("visit-{visit_id}")),
                ..Default::default()
            };
            let intake = state.store.report_case(&new).await?;
            return Ok(Redirect::to(&format!("/cases/{}?done=report", intake.case_id)).into_response());
        }
    }
    Ok(Redirect::to(&format!("/residents/{}?done=visit#visits", resident.id)).into_response())
}

/// Tagged residents whose visit is overdue, within the person's reach (their grids, or
/// the community), most overdue first.
pub async fn overdue_in_reach(state: &AppState, user: &User, community: &Community) -> AppResult<Vec<OverdueVisit>> {
    let today = linli_store::today();
    Ok(match user.principal().reach(Action::ManageCare, community.id, community.street_id) {
        linli_domain::Reach::Community => state.store.overdue_visits(community.id, None, today).await?,
        linli_domain::Reach::Grids(g) => state.store.overdue_visits(community.id, Some(&g), today).await?,
        linli_domain::Reach::Nothing => Vec::new(),
    })
}

/// One overdue visit as a list shows it: the resident, how late, the last visit, the tags.
pub fn overdue_line(t: crate::i18n::Tr, o: OverdueVisit) -> (OverdueVisit, String, String, String) {
    let when = t.fill("home.overdue_days", &[("n", &o.days_overdue)]);
    let last = o.last_visit.clone().unwrap_or_else(|| t.get("home.never_visited").to_owned());
    let tags = o.tags.iter().map(|tag| t.label("care", tag)).collect::<Vec<_>>().join("、");
    (o, when, last, tags)
}

#[derive(Template)]
#[template(path = "care_overdue.html")]
struct OverduePage {
    chrome: Chrome,
    community: Community,
    overdue: Vec<(OverdueVisit, String, String, String)>,
}

/// `GET /communities/{id}/care/overdue`: every overdue visit within reach.
pub async fn overdue(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    if user.principal().reach(Action::ManageCare, community.id, community.street_id) == linli_domain::Reach::Nothing {
        return Err(AppError::NotFound);
    }
    let t = user.0.tr();
    let overdue = overdue_in_reach(&state, &user, &community).await?.into_iter().map(|o| overdue_line(t, o)).collect();
    let page = OverduePage {
        chrome: Chrome::new(&user.0, t.fill("care.overdue_title", &[("community", &community.name)])),
        community,
        overdue,
    };
    Ok(render(StatusCode::OK, &page))
}
