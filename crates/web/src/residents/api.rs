//! Residents under the API, with the same scoping and masking as the pages.

use crate::api::ApiJson;
use crate::context::User;
use crate::error::AppResult;
use crate::residents as shared;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use linli_domain::Action;
use linli_store::residents::ResidentRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct ResidentFilter {
    /// Only this grid (must be within the caller's reach).
    pub grid_id: Option<i64>,
    /// Name, pinyin initials (`zs`), `3号楼1202` / `3-1202`, or the last four phone digits.
    pub q: Option<String>,
    /// `true`: residents who moved out, instead of current ones.
    pub former: Option<bool>,
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ResidentPage {
    pub total: i64,
    pub residents: Vec<ResidentView>,
}

crate::view! {
    /// A resident, personal data masked.
    ResidentView from ResidentRow {
        id: i64,
        community_id: i64,
        grid_id: i64,
        household_id: i64,
        building: String,
        unit: i64,
        room: String,
        name: String,
        /// `M` or `F`.
        gender: String,
        /// The year of birth only: the full date is part of the ID number, shown only when
        /// that is revealed.
        birth_year: i64,
        /// head, spouse, child, parent, …
        relation: String,
        /// registered (户籍), permanent (常住) or floating (流动).
        residence_type: String,
        /// e.g. `3101************34`.
        id_number_masked: Option<String>,
        /// e.g. `138****5678`.
        phone_masked: Option<String>,
        /// When the current stay began, if known (`YYYY-MM-DD`).
        moved_in_on: Option<String>,
        /// Set when the resident has left the community.
        moved_out_on: Option<String>,
    }
}

/// Residents of a community; a grid worker gets own grids only. Personal data masked.
#[utoipa::path(get, path = "/api/v1/communities/{community_id}/residents", tag = "residents",
    params(("community_id" = i64, Path, description = "Community id"), ResidentFilter),
    responses((status = 200, body = ResidentPage), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(f): Query<ResidentFilter>,
) -> AppResult<Json<ResidentPage>> {
    let (community, reach) = shared::community_reach(&state, &user, community_id, Action::ViewResidents).await?;
    let mut query = shared::query(community.id, &reach, f.grid_id, f.q.filter(|q| !q.trim().is_empty()))?;
    query.former = f.former.unwrap_or(false);
    (query.offset, query.limit) = crate::api::page(f.offset, f.limit, 50, 500)?;
    let (residents, total) = state.store.residents(&query).await?;
    Ok(Json(ResidentPage { total, residents: crate::api::views(residents) }))
}

/// One resident, personal data masked.
#[utoipa::path(get, path = "/api/v1/residents/{resident_id}", tag = "residents",
    params(("resident_id" = i64, Path, description = "Resident id")),
    responses((status = 200, body = ResidentView), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
) -> AppResult<Json<ResidentView>> {
    Ok(Json(shared::reachable_resident(&state, &user, resident_id, Action::ViewResidents).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct RevealRequest {
    /// `id_number` or `phone`.
    #[schema(schema_with = crate::api::schema::personal_field)]
    pub field: String,
    /// Why the full value is needed (2–200 characters); recorded with the access.
    #[schema(schema_with = crate::api::schema::reveal_reason)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Revealed {
    pub field: String,
    /// `null` when nothing is on record.
    pub value: Option<String>,
}

/// The full value of one field; the access is recorded (who, whose, which, when, why).
#[utoipa::path(post, path = "/api/v1/residents/{resident_id}/reveal", tag = "residents", request_body = RevealRequest,
    params(("resident_id" = i64, Path, description = "Resident id")),
    responses((status = 200, body = Revealed), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn reveal(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    ApiJson(body): ApiJson<RevealRequest>,
) -> AppResult<Json<Revealed>> {
    let (_, field, value) = shared::reveal(&state, &user, resident_id, &body.field, &body.reason).await?;
    Ok(Json(Revealed { field: field.as_str().to_owned(), value }))
}
