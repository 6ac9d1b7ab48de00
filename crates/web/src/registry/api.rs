//! Communities, their grids and parties, scoped to the caller.

use crate::api::views;
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use linli_domain::Action;
use linli_store::admin::{Community, Grid, GridWorker, Organisation};
use linli_store::registry::{BuildingSummary, GridSummary};
use serde::Serialize;
use utoipa::ToSchema;

/// A community (社区) with its place in the administrative tree.
#[derive(Serialize, ToSchema)]
pub struct CommunityView {
    pub id: i64,
    pub street_id: i64,
    /// 12-digit code: district (6) + street (3) + community (3).
    pub code: String,
    pub name: String,
    pub address: String,
    pub street_name: String,
    pub district_name: String,
}

impl From<Community> for CommunityView {
    fn from(c: Community) -> Self {
        CommunityView {
            id: c.id,
            street_id: c.street_id,
            code: c.code,
            name: c.name,
            address: c.address,
            street_name: c.street_name,
            district_name: c.district_name,
        }
    }
}

/// A party of the community's joint mechanism.
#[derive(Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: i64,
    pub community_id: i64,
    #[schema(schema_with = crate::api::schema::organisation_kind)]
    pub kind: String,
    pub name: String,
    pub contact: String,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        OrganisationView { id: o.id, community_id: o.community_id, kind: o.kind, name: o.name, contact: o.contact }
    }
}

/// A grid (网格) of a community.
#[derive(Serialize, ToSchema)]
pub struct GridView {
    pub id: i64,
    pub community_id: i64,
    /// 15-digit unit-grid code.
    pub code: String,
    pub name: String,
}

impl From<Grid> for GridView {
    fn from(g: Grid) -> Self {
        GridView { id: g.id, community_id: g.community_id, code: g.code, name: g.name }
    }
}

/// A grid worker on duty in a grid.
#[derive(Serialize, ToSchema)]
pub struct GridWorkerView {
    pub grid_id: i64,
    pub account_id: i64,
    pub display_name: String,
    /// `worker` (专职网格员) or `deputy`.
    pub duty: String,
}

impl From<GridWorker> for GridWorkerView {
    fn from(w: GridWorker) -> Self {
        GridWorkerView { grid_id: w.grid_id, account_id: w.account_id, display_name: w.display_name, duty: w.duty }
    }
}

/// Counts for one grid.
#[derive(Serialize, ToSchema)]
pub struct GridCounts {
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
    /// Residents aged 80 or more (高龄).
    pub aged_80_plus: i64,
    /// Households of one resident aged 70 or more (独居老人).
    pub elderly_living_alone: i64,
}

impl From<GridSummary> for GridCounts {
    fn from(s: GridSummary) -> Self {
        GridCounts {
            buildings: s.buildings,
            households: s.households,
            residents: s.residents,
            aged_80_plus: s.aged_80_plus,
            elderly_living_alone: s.elderly_living_alone,
        }
    }
}

/// A building of a grid with its occupancy.
#[derive(Serialize, ToSchema)]
pub struct BuildingView {
    pub id: i64,
    pub grid_id: i64,
    pub name: String,
    pub address: String,
    pub floors: i64,
    pub units: i64,
    /// WGS-84 longitude and latitude.
    pub lon: f64,
    pub lat: f64,
    pub households: i64,
    pub residents: i64,
}

impl From<BuildingSummary> for BuildingView {
    fn from(b: BuildingSummary) -> Self {
        BuildingView {
            id: b.id,
            grid_id: b.grid_id,
            name: b.name,
            address: b.address,
            floors: b.floors,
            units: b.units,
            lon: b.lon,
            lat: b.lat,
            households: b.households,
            residents: b.residents,
        }
    }
}

/// The communities the caller reaches: own community, the street's, or all for a global role.
#[utoipa::path(get, path = "/api/v1/communities", tag = "communities",
    responses((status = 200, body = [CommunityView]), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, user: User) -> AppResult<Json<Vec<CommunityView>>> {
    let p = user.principal();
    let all = state.store.communities(None).await?;
    Ok(Json(views(all.into_iter().filter(|c| p.can_in_community(Action::ViewCommunity, c.id, c.street_id)).collect())))
}

#[derive(Serialize, ToSchema)]
pub struct CommunityDetail {
    pub community: CommunityView,
    pub organisations: Vec<OrganisationView>,
    pub grids: Vec<GridView>,
    pub grid_workers: Vec<GridWorkerView>,
}

async fn reachable_community(state: &AppState, user: &User, id: i64) -> AppResult<Community> {
    let community = state.store.community(id).await?;
    if !user.principal().can_in_community(Action::ViewCommunity, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    Ok(community)
}

/// One community with its parties, grids and grid workers.
#[utoipa::path(get, path = "/api/v1/communities/{community_id}", tag = "communities",
    params(("community_id" = i64, Path, description = "Community id")),
    responses((status = 200, body = CommunityDetail), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
) -> AppResult<Json<CommunityDetail>> {
    let community = reachable_community(&state, &user, community_id).await?;
    Ok(Json(CommunityDetail {
        organisations: views(state.store.organisations(community.id).await?),
        grids: views(state.store.grids(community.id).await?),
        grid_workers: views(state.store.grid_workers(community.id).await?),
        community: community.into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct GridDetail {
    pub grid: GridView,
    /// The boundary as a GeoJSON Polygon geometry.
    #[schema(value_type = Object)]
    pub boundary: Option<serde_json::Value>,
    pub summary: Option<GridCounts>,
    pub buildings: Vec<BuildingView>,
}

/// One grid with its counts and buildings. A grid worker reaches only own grids.
#[utoipa::path(get, path = "/api/v1/grids/{grid_id}", tag = "communities",
    params(("grid_id" = i64, Path, description = "Grid id")),
    responses((status = 200, body = GridDetail), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn grid(State(state): State<AppState>, user: User, Path(grid_id): Path<i64>) -> AppResult<Json<GridDetail>> {
    let grid = state.store.grid(grid_id).await?;
    let community = state.store.community(grid.community_id).await?;
    if !user.principal().can_in_grid(Action::ViewGrid, community.id, community.street_id, grid.id) {
        return Err(AppError::Forbidden);
    }
    let summary = state
        .store
        .grid_summaries(community.id, linli_store::today())
        .await?
        .into_iter()
        .find(|s| s.grid_id == grid.id)
        .map(GridCounts::from);
    let boundary = grid.boundary.as_deref().and_then(|b| serde_json::from_str(b).ok());
    Ok(Json(GridDetail {
        buildings: views(state.store.buildings_in_grid(grid.id).await?),
        summary,
        boundary,
        grid: grid.into(),
    }))
}

/// Registers a party of the community. One Party organisation, residents' committee and
/// owners' committee per community.
#[utoipa::path(post, path = "/api/v1/communities/{community_id}/organisations", tag = "communities",
    params(("community_id" = i64, Path, description = "Community id")),
    request_body = crate::registry::organisations::OrganisationInput,
    responses((status = 201, body = OrganisationView), (status = 403, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody, description = "The name is taken, or the community already has its one party of this kind"),
              (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn add_organisation(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    crate::api::ApiJson(input): crate::api::ApiJson<crate::registry::organisations::OrganisationInput>,
) -> AppResult<(axum::http::StatusCode, Json<OrganisationView>)> {
    let org = crate::registry::organisations::register(&state, &user, community_id, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(org.into())))
}
