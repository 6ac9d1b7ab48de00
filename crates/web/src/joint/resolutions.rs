//! Resolutions: every open one of a community across meetings, overdue first (the Party
//! secretary's and director's view; a party sees those it is responsible for); a
//! resolution's page with its children, its case and everything that happened to it; its
//! party reports progress or opens a case for field work; the conveners follow it up (督办)
//! and strike it off (销号) with evidence.

use super::meetings::{Row, rows};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::case::{DESCRIPTION, Source};
use linli_domain::joint::{REASON, Standing, WARN_DAYS, parse_progress};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::{Community, Grid};
use linli_store::cases::{Category, NewCase};
use linli_store::joint::resolutions::{Resolution, ResolutionUpdate};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "joint_resolutions.html")]
struct OpenPage {
    chrome: Chrome,
    community: Community,
    rows: Vec<Row>,
    /// Only the resolutions of one's own parties are listed.
    own_only: bool,
}

/// Every open resolution of the community, overdue first. The conveners and the street see
/// them all; a party's people see their own party's.
pub async fn open(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = crate::context::community_for(&state, &user, community_id, Action::ViewJointMeetings).await?;
    let p = user.principal();
    let all = p.can_in_community(Action::ConveneMeetings, community.id, community.street_id)
        || p.can_in_street(Action::ViewJointMeetings, community.street_id);
    let orgs = state.store.organisations(community.id).await?;
    let mine = super::parties_of(p, &orgs);
    let list = state.store.open_resolutions(community.id, (!all).then_some(mine.as_slice())).await?;
    let mut rows = rows(list);
    rows.sort_by(|a, b| a.standing.cmp(&b.standing).then(a.r.due_on.cmp(&b.r.due_on)));
    let page =
        OpenPage { chrome: Chrome::new(&user.0, user.0.tr().get("resolution.open")), community, rows, own_only: !all };
    Ok(render(StatusCode::OK, &page))
}

/// The home page's to-do: for the conveners, how many resolutions are overdue; for a
/// party's people, how many of their party's are open.
pub(crate) async fn to_do(
    state: &AppState,
    p: &linli_domain::Principal,
    community: &Community,
) -> AppResult<(&'static str, usize)> {
    if p.can_in_community(Action::ConveneMeetings, community.id, community.street_id) {
        let today = linli_store::today();
        let open = state.store.open_resolutions(community.id, None).await?;
        return Ok(("todo.resolutions_overdue", open.iter().filter(|r| r.due() < today).count()));
    }
    let orgs = state.store.organisations(community.id).await?;
    let mine = super::parties_of(p, &orgs);
    if mine.is_empty() {
        return Ok(("todo.resolutions_mine", 0));
    }
    Ok(("todo.resolutions_mine", state.store.open_resolutions(community.id, Some(&mine)).await?.len()))
}

#[derive(Template)]
#[template(path = "joint_resolution.html")]
struct ResolutionPage {
    chrome: Chrome,
    r: Resolution,
    standing: Standing,
    children: Vec<Row>,
    updates: Vec<(ResolutionUpdate, String)>,
    /// Its party's people (or a convener): report progress, open its case.
    can_update: bool,
    can_convene: bool,
    categories: Vec<Category>,
    grids: Vec<Grid>,
    error: Option<String>,
}

/// A resolution within reach for `action`: the community's for the conveners; for anyone
/// else who may update, only one their party is responsible for.
async fn resolution_for(state: &AppState, user: &User, id: i64, action: Action) -> AppResult<(Resolution, Community)> {
    let r = state.store.resolution(id).await?;
    let community = state.store.community(r.community_id).await?;
    let p = user.principal();
    if !p.can_in_community(action, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    if action == Action::UpdateResolutions && !is_convener(user, &community) {
        let orgs = state.store.organisations(community.id).await?;
        if !super::parties_of(p, &orgs).contains(&r.organisation_id) {
            return Err(AppError::NotFound);
        }
    }
    Ok((r, community))
}

fn is_convener(user: &User, community: &Community) -> bool {
    user.principal().can_in_community(Action::ConveneMeetings, community.id, community.street_id)
}

async fn page(
    state: &AppState,
    user: &User,
    (r, community): (Resolution, Community),
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let orgs = state.store.organisations(community.id).await?;
    let can_convene = is_convener(user, &community);
    let can_update = can_convene
        || (p.can_in_community(Action::UpdateResolutions, community.id, community.street_id)
            && super::parties_of(p, &orgs).contains(&r.organisation_id));
    let children = state.store.meeting_resolutions(r.meeting_id).await?;
    let children = children.into_iter().filter(|c| c.parent_id == Some(r.id)).collect();
    let updates = state.store.resolution_updates(r.id).await?.into_iter().map(|u| {
        let at = format_ms(u.at);
        (u, at)
    });
    let categories = state.store.case_categories().await?;
    let page = ResolutionPage {
        chrome: Chrome::new(&user.0, r.title.clone()),
        standing: Standing::of(r.due(), r.is_done(), linli_store::today(), WARN_DAYS),
        children: rows(children),
        updates: updates.collect(),
        can_update,
        can_convene,
        categories: categories.into_iter().filter(|c| c.kind == "problem" && c.parent_code.is_some()).collect(),
        grids: state.store.grids(community.id).await?,
        error: error.map(|e| t.field_error(e.field, e.key)),
        r,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = resolution_for(&state, &user, id, Action::ViewJointMeetings).await?;
    page(&state, &user, found, StatusCode::OK, None).await
}

async fn answer(
    state: &AppState,
    user: &User,
    found: (Resolution, Community),
    outcome: Result<(), StoreError>,
) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/resolutions/{}", found.0.id)).into_response()),
        Err(StoreError::Invalid(e)) => page(state, user, found, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await,
        Err(e) => Err(AppError::from(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct ProgressForm {
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub note: String,
}

pub async fn progress(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<ProgressForm>,
) -> AppResult<Response> {
    let found = resolution_for(&state, &user, id, Action::UpdateResolutions).await?;
    let checked = parse_progress("progress", &f.progress)
        .and_then(|p| linli_domain::joint::BODY.parse("note", &f.note).map(|n| (p, n)));
    let outcome = match checked {
        Ok((p, note)) => state.store.report_progress(&found.0, p, &note, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome).await
}

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    pub note: String,
}

/// 督办: a convener's follow-up, to the responsible party.
pub async fn urge(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    let found = resolution_for(&state, &user, id, Action::ConveneMeetings).await?;
    let outcome = match REASON.parse("note", &f.note) {
        Ok(note) => state.store.urge_resolution(&found.0, &note, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome).await
}

#[derive(Deserialize, Default)]
pub struct CaseForm {
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub grid_id: String,
    #[serde(default)]
    pub description: String,
}

/// Opens the case a resolution needs in the field; the resolution then follows the case.
pub async fn open_case(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<CaseForm>,
) -> AppResult<Response> {
    let found = resolution_for(&state, &user, id, Action::UpdateResolutions).await?;
    let checked = (|| {
        let category_id =
            super::chosen_id("category_id", &f.category_id)?.ok_or(FieldError::new("category_id", "error.choice"))?;
        let grid_id = super::chosen_id("grid_id", &f.grid_id)?;
        let description = DESCRIPTION.parse("description", &f.description)?;
        Ok::<_, FieldError>((category_id, grid_id, description))
    })();
    let (category_id, grid_id, description) = match checked {
        Ok(c) => c,
        Err(e) => return page(&state, &user, found, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await,
    };
    let category = state.store.case_category(category_id).await;
    if !category.is_ok_and(|c| c.kind == "problem") {
        let e = FieldError::new("category_id", "error.choice");
        return page(&state, &user, found, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
    }
    let grids = state.store.grids(found.1.id).await?;
    if grid_id.is_some_and(|g| !grids.iter().any(|x| x.id == g)) {
        let e = FieldError::new("grid_id", "error.choice");
        return page(&state, &user, found, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
    }
    let p = user.principal();
    let new = NewCase {
        community_id: found.1.id,
        grid_id,
        category_id,
        source: Source::Meeting,
        description,
        reporter_account_id: Some(p.account_id),
        reporter_name: p.display_name.clone(),
        ..NewCase::default()
    };
    match state.store.open_resolution_case(&found.0, &new, p.account_id).await {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{case}")).into_response()),
        Err(StoreError::Invalid(e)) => page(&state, &user, found, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await,
        Err(e) => Err(AppError::from(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct StrikeForm {
    #[serde(default)]
    pub evidence: String,
}

/// 销号: struck off with its evidence.
pub async fn strike_off(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<StrikeForm>,
) -> AppResult<Response> {
    let found = resolution_for(&state, &user, id, Action::ConveneMeetings).await?;
    let outcome = match REASON.parse("evidence", &f.evidence) {
        Ok(evidence) => state.store.strike_off(&found.0, &evidence, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome).await
}
