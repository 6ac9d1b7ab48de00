//! Community, grid and street pages. Every page checks the caller's scope for the
//! specific community, grid or street, not only the role.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::registry::map::GridMap;
use crate::registry::organisations::OrganisationInput;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::Action;
use linli_domain::admin::OrganisationKind;
use linli_store::admin::{Community, Grid, GridWorker, Organisation, Street};
use linli_store::registry::{BuildingSummary, CommunityTotals, GridSummary};
use serde::Deserialize;

pub struct GridRow {
    pub grid: Grid,
    pub workers: String,
    pub summary: Option<GridSummary>,
    pub linked: bool,
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    chrome: Chrome,
    community: Community,
    organisations: Vec<Organisation>,
    /// The property companies whose scorecard the caller sees.
    scorecards: Vec<i64>,
    grids: Vec<GridRow>,
    map: String,
    can_manage: bool,
    can_manage_grids: bool,
    notice: Option<String>,
    /// Whether the caller may see the counts of at least one grid.
    show_counts: bool,
    kinds: Vec<(&'static str, String)>,
    form: OrganisationInput,
    error: Option<String>,
    /// The owners' assembly totals, for those who may see them.
    electorate: Option<linli_domain::ownership::Electorate>,
    /// Links to the community's cases and indicators, for those who may open them.
    links: Vec<(String, &'static str)>,
}

#[derive(Deserialize)]
pub struct CommunityQuery {
    /// Set after a grid import: how many buildings changed grid.
    pub moved: Option<i64>,
}

pub async fn show_community(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<CommunityQuery>,
) -> AppResult<Response> {
    let notice = q.moved.map(|n| user.0.tr().fill("grids.moved", &[("n", &n)]));
    community_page(&state, &user, community_id, StatusCode::OK, OrganisationInput::default(), None, notice).await
}

/// Registers a party of the community (党组织, 居委会, 业委会, 物业, 社会组织).
pub async fn add_organisation(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<OrganisationInput>,
) -> AppResult<Response> {
    match crate::registry::organisations::register(&state, &user, community_id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/communities/{community_id}#parties")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Taken(_) | AppError::Conflict(_))) => {
            let info = e.info();
            let message = user.0.tr().field_error(info.field.unwrap_or(""), info.key);
            community_page(&state, &user, community_id, e.status(), form, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}

async fn community_page(
    state: &AppState,
    user: &User,
    community_id: i64,
    status: StatusCode,
    form: OrganisationInput,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let p = user.principal();
    if !p.can_in_community(Action::ViewCommunity, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let t = user.0.tr();
    let grids = state.store.grids(community.id).await?;
    let workers = state.store.grid_workers(community.id).await?;
    let summaries = state.store.grid_summaries(community.id, linli_store::today()).await?;
    let buildings = state.store.buildings_in_community(community.id).await?;
    let linked = |g: &Grid| p.can_in_grid(Action::ViewGrid, community.id, community.street_id, g.id);
    let map = GridMap::new(t.fill("map.title", &[("name", &community.name)]), &grids, &buildings, linked, None)
        .map(|m| m.svg())
        .unwrap_or_default();
    let rows: Vec<GridRow> = grids
        .iter()
        .map(|g| GridRow {
            grid: g.clone(),
            workers: worker_names(&workers, g.id, t.get("grid.no_worker")),
            // Counts of residents are shown only to those who may open the grid.
            summary: linked(g).then(|| summaries.iter().find(|s| s.grid_id == g.id).cloned()).flatten(),
            linked: linked(g),
        })
        .collect();
    let organisations = state.store.organisations(community.id).await?;
    let companies: Vec<i64> = organisations.iter().filter(|o| o.kind == "property_company").map(|o| o.id).collect();
    let scorecards = companies
        .iter()
        .copied()
        .filter(|&o| p.sees_party_figures(community.id, community.street_id, o, &companies))
        .collect();
    let page = CommunityPage {
        chrome: Chrome::new(&user.0, community.name.clone()),
        organisations,
        scorecards,
        show_counts: rows.iter().any(|r| r.linked),
        can_manage_grids: p.can_in_community(Action::ManageGrids, community.id, community.street_id),
        notice,
        can_manage: p.can_in_community(Action::ManageOrganisations, community.id, community.street_id),
        kinds: OrganisationKind::ALL.into_iter().map(|k| (k.as_str(), t.org_kind(k.as_str()))).collect(),
        links: [
            (Action::ViewCases, "cases", "nav.cases"),
            (Action::ViewIndicators, "indicators", "nav.indicators"),
            (Action::ViewResidents, "residents", "nav.residents"),
            (Action::ViewAssemblies, "assemblies", "assembly.link"),
            (Action::VerifyAccounts, "verifications", "verify.queue"),
            (Action::ManagePublicRecord, "board", "board.manage"),
            (Action::ViewJointMeetings, "meetings", "joint.link"),
            (Action::ViewProposals, "proposals", "proposal.list"),
            (Action::ViewAnnouncements, "announcements", "announcement.list"),
            (Action::ViewConsultations, "consultations", "consultation.list"),
            (Action::ViewSurveys, "surveys", "survey.list"),
            (Action::ViewServices, "services", "service.directory"),
            (Action::ViewActivities, "activities", "activity.list"),
            (Action::ViewActivities, "volunteers", "community.volunteers"),
            (Action::RedeemPoints, "points", "community.points"),
            (Action::ManagePoints, "points", "community.points"),
            (Action::ViewIndicators, "outcomes", "outcome.link"),
        ]
        .into_iter()
        .filter(|(a, ..)| p.can_in_community(*a, community.id, community.street_id))
        .map(|(_, path, key)| (format!("/communities/{}/{path}", community.id), key))
        .collect(),
        electorate: if p.can_in_community(Action::ViewElectorate, community.id, community.street_id) {
            Some(state.store.electorate(community.id).await?)
        } else {
            None
        },
        community,
        grids: rows,
        map,
        form,
        error,
    };
    Ok(render(status, &page))
}

fn worker_names(workers: &[GridWorker], grid_id: i64, none: &str) -> String {
    let names: Vec<&str> = workers.iter().filter(|w| w.grid_id == grid_id).map(|w| w.display_name.as_str()).collect();
    if names.is_empty() { none.to_owned() } else { names.join("、") }
}

#[derive(Template)]
#[template(path = "grid.html")]
struct GridPage {
    chrome: Chrome,
    community: Community,
    grid: Grid,
    workers: Vec<GridWorker>,
    summary: Option<GridSummary>,
    buildings: Vec<BuildingSummary>,
    map: String,
    /// Grid-worker accounts that may be put on duty here, for those who manage grids.
    candidates: Vec<(i64, String)>,
    can_manage: bool,
}

pub async fn show_grid(State(state): State<AppState>, user: User, Path(grid_id): Path<i64>) -> AppResult<Response> {
    let grid = state.store.grid(grid_id).await?;
    let community = state.store.community(grid.community_id).await?;
    if !user.principal().can_in_grid(Action::ViewGrid, community.id, community.street_id, grid.id) {
        return Err(AppError::Forbidden);
    }
    let t = user.0.tr();
    let summary = state
        .store
        .grid_summaries(community.id, linli_store::today())
        .await?
        .into_iter()
        .find(|s| s.grid_id == grid.id);
    let buildings = state.store.buildings_in_grid(grid.id).await?;
    let workers = state.store.grid_workers(community.id).await?.into_iter().filter(|w| w.grid_id == grid.id).collect();
    let map = GridMap::new(
        t.fill("map.title", &[("name", &grid.name)]),
        std::slice::from_ref(&grid),
        &buildings,
        |_| false,
        Some(grid.id),
    )
    .map(|m| m.svg())
    .unwrap_or_default();
    let can_manage = user.principal().can_in_community(Action::ManageGrids, community.id, community.street_id);
    let candidates = if can_manage { state.store.grid_worker_accounts(community.id).await? } else { Vec::new() };
    let page = GridPage {
        chrome: Chrome::new(&user.0, format!("{} · {}", grid.name, community.name)),
        candidates,
        can_manage,
        community,
        grid,
        workers,
        summary,
        buildings,
        map,
    };
    Ok(render(StatusCode::OK, &page))
}

pub struct CommunityRow {
    pub community: Community,
    pub totals: Option<CommunityTotals>,
}

#[derive(Template)]
#[template(path = "street.html")]
struct StreetPage {
    chrome: Chrome,
    street: Street,
    rows: Vec<CommunityRow>,
}

impl StreetPage {
    fn communities(&self) -> String {
        self.chrome.t.fill("street.communities", &[("n", &self.street.communities)])
    }
}

pub async fn show_street(State(state): State<AppState>, user: User, Path(street_id): Path<i64>) -> AppResult<Response> {
    let street = state.store.street(street_id).await?;
    let p = user.principal();
    if !p.can_in_street(Action::ViewStreet, street.id) {
        return Err(AppError::Forbidden);
    }
    let communities = state.store.communities(Some(street.id)).await?;
    let totals = state.store.community_totals(Some(street.id)).await?;
    let rows = communities
        .into_iter()
        .map(|c| CommunityRow { totals: totals.iter().find(|t| t.community_id == c.id).cloned(), community: c })
        .collect();
    let page = StreetPage { chrome: Chrome::new(&user.0, street.name.clone()), street, rows };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "streets.html")]
struct StreetsPage {
    chrome: Chrome,
    streets: Vec<Street>,
}

pub async fn list_streets(State(state): State<AppState>, user: User) -> AppResult<Response> {
    let p = user.principal();
    let streets =
        state.store.streets().await?.into_iter().filter(|s| p.can_in_street(Action::ViewStreet, s.id)).collect();
    let t = user.0.tr();
    let page = StreetsPage { chrome: Chrome::new(&user.0, t.get("nav.street")), streets };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct DutyForm {
    #[serde(default)]
    pub account_id: String,
    /// `worker` (专职网格员) or `deputy`.
    #[serde(default)]
    pub duty: String,
}

async fn managed_grid(state: &AppState, user: &User, grid_id: i64) -> AppResult<(Grid, Community)> {
    let grid = state.store.grid(grid_id).await?;
    let community = state.store.community(grid.community_id).await?;
    if !user.principal().can_in_community(Action::ManageGrids, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    Ok((grid, community))
}

/// Puts a grid worker of the community on duty in a grid, as its worker or deputy. A
/// worker may cover several grids; the duty widens the account's reach at once.
pub async fn assign_duty(
    State(state): State<AppState>,
    user: User,
    Path(grid_id): Path<i64>,
    Form(form): Form<DutyForm>,
) -> AppResult<Response> {
    use linli_domain::FieldError;
    let (grid, community) = managed_grid(&state, &user, grid_id).await?;
    let account_id: i64 = form.account_id.parse().map_err(|_| FieldError::new("account_id", "error.choice"))?;
    if !state.store.grid_worker_accounts(community.id).await?.iter().any(|(id, _)| *id == account_id) {
        return Err(FieldError::new("account_id", "error.choice").into());
    }
    let duty = match form.duty.as_str() {
        "worker" => "worker",
        "deputy" => "deputy",
        _ => return Err(FieldError::new("duty", "error.choice").into()),
    };
    state.store.assign_grid_worker(grid.id, account_id, duty).await?;
    let detail = format!("account {account_id} on duty in grid {} as {duty}", grid.code);
    let actor = user.principal().account_id;
    state.store.audit(Some(actor), Some(community.id), "grid.duty", &detail).await?;
    // Duty in a grid opens its residents to the worker: never silently.
    let name = state.store.display_names(&[account_id]).await?.remove(&account_id).unwrap_or_default();
    let grant = format!("{name} ({} {})", grid.name, duty);
    state.store.announce_access_grant(actor, community.id, account_id, &grant).await?;
    Ok(Redirect::to(&format!("/grids/{}#duty", grid.id)).into_response())
}

/// Takes a worker off duty in a grid.
pub async fn remove_duty(
    State(state): State<AppState>,
    user: User,
    Path((grid_id, account_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (grid, community) = managed_grid(&state, &user, grid_id).await?;
    state.store.remove_grid_worker(grid.id, account_id).await?;
    let detail = format!("account {account_id} off duty in grid {}", grid.code);
    state.store.audit(Some(user.principal().account_id), Some(community.id), "grid.duty", &detail).await?;
    Ok(Redirect::to(&format!("/grids/{}#duty", grid.id)).into_response())
}
