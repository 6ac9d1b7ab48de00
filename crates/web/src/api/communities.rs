//! Communities, their grids and parties, scoped to the caller.

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

/// The communities the caller reaches: own community, the street's, or all for a global role.
#[utoipa::path(get, path = "/api/v1/communities", tag = "communities",
    responses((status = 200, body = [Community]), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, user: User) -> AppResult<Json<Vec<Community>>> {
    let p = user.principal();
    let all = state.store.communities(None).await?;
    Ok(Json(all.into_iter().filter(|c| p.can_in_community(Action::ViewCommunity, c.id, c.street_id)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct CommunityDetail {
    pub community: Community,
    pub organisations: Vec<Organisation>,
    pub grids: Vec<Grid>,
    pub grid_workers: Vec<GridWorker>,
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
        organisations: state.store.organisations(community.id).await?,
        grids: state.store.grids(community.id).await?,
        grid_workers: state.store.grid_workers(community.id).await?,
        community,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct GridDetail {
    pub grid: Grid,
    /// The boundary as a GeoJSON Polygon geometry.
    #[schema(value_type = Object)]
    pub boundary: Option<serde_json::Value>,
    pub summary: Option<GridSummary>,
    pub buildings: Vec<BuildingSummary>,
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
        .find(|s| s.grid_id == grid.id);
    let boundary = grid.boundary.as_deref().and_then(|b| serde_json::from_str(b).ok());
    Ok(Json(GridDetail { buildings: state.store.buildings_in_grid(grid.id).await?, summary, boundary, grid }))
}

/// Registers a party of the community. One Party organisation, residents' committee and
/// owners' committee per community.
#[utoipa::path(post, path = "/api/v1/communities/{community_id}/organisations", tag = "communities",
    params(("community_id" = i64, Path, description = "Community id")),
    request_body = crate::organisations::OrganisationInput,
    responses((status = 201, body = Organisation), (status = 403, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody, description = "The name is taken, or the community already has its one party of this kind"),
              (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn add_organisation(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    crate::api::ApiJson(input): crate::api::ApiJson<crate::organisations::OrganisationInput>,
) -> AppResult<(axum::http::StatusCode, Json<Organisation>)> {
    let org = crate::organisations::register(&state, &user, community_id, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(org)))
}
