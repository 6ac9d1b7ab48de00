//! The property register and residence history under the API: a building's units with
//! their owners (masked), the owners' assembly totals, and a resident's stays.

use crate::api::views;
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::residents as shared;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use linli_domain::Action;
use linli_store::moves::Stay;
use linli_store::ownership::{UnitOwner, UnitRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// A unit (a household's room) with its area and current holders.
#[derive(Serialize, ToSchema)]
pub struct UnitView {
    pub household_id: i64,
    pub building_id: i64,
    pub unit: i64,
    pub room: String,
    pub residents: i64,
    /// The counted exclusive area in m², two decimals, as text (exact).
    pub area: Option<String>,
    /// Where the counted area comes from: `register`, `survey` or `contract`.
    pub area_source: Option<&'static str>,
    pub owners: Vec<OwnerView>,
}

impl From<UnitRecord> for UnitView {
    fn from(u: UnitRecord) -> Self {
        UnitView {
            household_id: u.household_id,
            building_id: u.building_id,
            unit: u.unit,
            room: u.room,
            residents: u.residents,
            area: u.area,
            area_source: u.area_source,
            owners: views(u.owners),
        }
    }
}

crate::view! {
    /// A holder of a unit, personal data masked.
    OwnerView from UnitOwner {
        owner_id: i64,
        /// `person` or `developer`.
        kind: String,
        name: String,
        id_number_masked: Option<String>,
        phone_masked: Option<String>,
        /// The resident this owner is, when the owner lives in the community.
        resident_id: Option<i64>,
        /// `YYYY-MM-DD`.
        since: String,
        /// Absent while the owner holds the unit.
        until: Option<String>,
    }
}

crate::view! {
    /// One stay of a resident in a household.
    StayView from Stay {
        household_id: i64,
        building: String,
        unit: i64,
        room: String,
        /// `YYYY-MM-DD`, if known.
        moved_in_on: Option<String>,
        /// Absent for the current stay.
        moved_out_on: Option<String>,
        /// Why the stay ended: `moved` (within the community) or `left`.
        reason: Option<String>,
    }
}

/// The units of a building with residents, counted area and current owners (masked).
#[utoipa::path(get, path = "/api/v1/buildings/{building_id}/units", tag = "registry",
    params(("building_id" = i64, Path, description = "Building id")),
    responses((status = 200, body = [UnitView]), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn units(
    State(state): State<AppState>,
    user: User,
    Path(building_id): Path<i64>,
) -> AppResult<Json<Vec<UnitView>>> {
    let building = state.store.building(building_id).await?;
    let community = state.store.community(building.community_id).await?;
    if !user.principal().can_in_grid(Action::ViewResidents, community.id, community.street_id, building.grid_id) {
        return Err(AppError::NotFound);
    }
    Ok(Json(views(state.store.units_of_building(building.id).await?)))
}

/// The owners' assembly as Civil Code Art. 278 counts it.
#[derive(Serialize, ToSchema)]
pub struct ElectorateBody {
    /// Exclusive units of record.
    pub units: u64,
    /// One per unit; a buyer of several units once; the developer's unsold units once.
    pub owners: u64,
    /// Total exclusive area in m², two decimals, as text (exact).
    pub area_m2: String,
    pub unsold_units: u64,
    pub units_without_owner: u64,
    pub units_without_area: u64,
}

#[utoipa::path(get, path = "/api/v1/communities/{community_id}/electorate", tag = "registry",
    params(("community_id" = i64, Path, description = "Community id")),
    responses((status = 200, body = ElectorateBody), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn electorate(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
) -> AppResult<Json<ElectorateBody>> {
    let community = state.store.community(community_id).await?;
    if !user.principal().can_in_community(Action::ViewElectorate, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let e = state.store.electorate(community.id).await?;
    Ok(Json(ElectorateBody {
        units: e.units,
        owners: e.owners,
        area_m2: e.area.to_string(),
        unsold_units: e.unsold_units,
        units_without_owner: e.units_without_owner,
        units_without_area: e.units_without_area,
    }))
}

/// Every stay of a resident, oldest first; the current one has no `moved_out_on`.
#[utoipa::path(get, path = "/api/v1/residents/{resident_id}/stays", tag = "registry",
    params(("resident_id" = i64, Path, description = "Resident id")),
    responses((status = 200, body = [StayView]), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn stays(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
) -> AppResult<Json<Vec<StayView>>> {
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::ViewResidents).await?;
    Ok(Json(views(state.store.stays(resident.id).await?)))
}
