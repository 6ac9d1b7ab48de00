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

crate::view! {
    /// A community (社区) with its place in the administrative tree.
    CommunityView from Community {
        id: i64,
        street_id: i64,
        /// 12-digit code: district (6) + street (3) + community (3).
        code: String,
        name: String,
        address: String,
        street_name: String,
        district_name: String,
    }
}

crate::view! {
    /// A party of the community's joint mechanism.
    OrganisationView from Organisation {
        id: i64,
        community_id: i64,
        #[schema(schema_with = crate::api::schema::organisation_kind)]
        kind: String,
        name: String,
        contact: String,
    }
}

crate::view! {
    /// A grid (网格) of a community.
    GridView from Grid {
        id: i64,
        community_id: i64,
        /// 15-digit unit-grid code.
        code: String,
        name: String,
    }
}

crate::view! {
    /// A grid worker on duty in a grid.
    GridWorkerView from GridWorker {
        grid_id: i64,
        account_id: i64,
        display_name: String,
        /// `worker` (专职网格员) or `deputy`.
        duty: String,
    }
}

crate::view! {
    /// Counts for one grid.
    GridCounts from GridSummary {
        buildings: i64,
        households: i64,
        residents: i64,
        /// Residents aged 80 or more (高龄).
        aged_80_plus: i64,
        /// Households of one resident aged 70 or more (独居老人).
        elderly_living_alone: i64,
    }
}

crate::view! {
    /// A building of a grid with its occupancy.
    BuildingView from BuildingSummary {
        id: i64,
        grid_id: i64,
        name: String,
        address: String,
        floors: i64,
        units: i64,
        /// WGS-84 longitude and latitude.
        lon: f64,
        lat: f64,
        households: i64,
        residents: i64,
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
