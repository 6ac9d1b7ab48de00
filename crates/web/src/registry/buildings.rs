//! Buildings and households: a building's units with their areas and owners of record,
//! placing a building in a grid by hand, a household's members and its property record
//! (areas, owners and the history of transfers).

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::identity::{DisplayName, Phone};
use linli_domain::ownership::Area;
use linli_domain::person::IdNumber;
use linli_domain::{Action, FieldError, geometry};
use linli_store::admin::{Community, Grid};
use linli_store::ownership::{NewHolder, UnitAreas, UnitOwner, UnitRecord};
use linli_store::registry::{Building, HouseholdPlace};
use linli_store::residents::ResidentRow;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "building.html")]
struct BuildingPage {
    chrome: Chrome,
    community: Community,
    building: Building,
    grid: Grid,
    grids: Vec<Grid>,
    units: Vec<UnitRecord>,
    show_owners: bool,
    link_households: bool,
    can_place: bool,
}

async fn building_in_reach(state: &AppState, user: &User, id: i64, action: Action) -> AppResult<(Building, Community)> {
    let building = state.store.building(id).await?;
    let community = state.store.community(building.community_id).await?;
    if !user.principal().can_in_grid(action, community.id, community.street_id, building.grid_id) {
        return Err(AppError::NotFound);
    }
    Ok((building, community))
}

/// A building's units (rooms): residents, counted area and current owners. Owners'
/// names are personal data: shown to those who see the grid's residents, masked.
pub async fn show(State(state): State<AppState>, user: User, Path(building_id): Path<i64>) -> AppResult<Response> {
    let (building, community) = building_in_reach(&state, &user, building_id, Action::ViewGrid).await?;
    let p = user.principal();
    let sees_residents = p.can_in_grid(Action::ViewResidents, community.id, community.street_id, building.grid_id);
    let mut units = state.store.units_of_building(building.id).await?;
    if !sees_residents {
        units.iter_mut().for_each(|u| u.owners.clear());
    }
    let grids = state.store.grids(community.id).await?;
    let grid = grids.iter().find(|g| g.id == building.grid_id).cloned().ok_or(AppError::NotFound)?;
    let page = BuildingPage {
        chrome: Chrome::new(&user.0, format!("{} · {}", building.name, community.name)),
        can_place: p.can_in_community(Action::ManageGrids, community.id, community.street_id),
        show_owners: sees_residents,
        link_households: sees_residents,
        community,
        building,
        grid,
        grids,
        units,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct PlaceForm {
    /// A grid id (placed by hand), or `auto` (back where the position puts it).
    #[serde(default)]
    pub grid: String,
}

/// Places a building in a grid by hand, or back by its position.
pub async fn place(
    State(state): State<AppState>,
    user: User,
    Path(building_id): Path<i64>,
    Form(form): Form<PlaceForm>,
) -> AppResult<Response> {
    let building = state.store.building(building_id).await?;
    let community = state.store.community(building.community_id).await?;
    if !user.principal().can_in_community(Action::ManageGrids, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    let grids = state.store.grids(community.id).await?;
    let (grid_id, pinned) = if form.grid == "auto" {
        let shapes: Vec<_> = grids
            .iter()
            .filter_map(|g| g.boundary.as_deref().and_then(|b| geometry::stored_shape(&g.code, &g.name, b)))
            .collect();
        let at = geometry::locate(building.lon, building.lat, &shapes)
            .ok_or(FieldError::new("grid", "error.geo.building_outside_any"))?;
        let code = &shapes[at].code;
        (grids.iter().find(|g| &g.code == code).map(|g| g.id).ok_or(AppError::NotFound)?, false)
    } else {
        let id: i64 = form.grid.parse().map_err(|_| FieldError::new("grid", "error.choice"))?;
        if !grids.iter().any(|g| g.id == id) {
            return Err(FieldError::new("grid", "error.choice").into());
        }
        (id, true)
    };
    state.store.place_building(building.id, grid_id, pinned).await?;
    let detail = format!("{} → grid {grid_id}{}", building.name, if pinned { " (by hand)" } else { " (by position)" });
    state.store.audit(Some(user.principal().account_id), Some(community.id), "building.placed", &detail).await?;
    Ok(Redirect::to(&format!("/buildings/{}", building.id)).into_response())
}

#[derive(Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    chrome: Chrome,
    community: Community,
    household: HouseholdPlace,
    members: Vec<ResidentRow>,
    owners: Vec<UnitOwner>,
    areas: (String, String, String),
    counted: Option<(String, &'static str)>,
    can_manage: bool,
    today: String,
}

async fn household_in_reach(
    state: &AppState,
    user: &User,
    id: i64,
    action: Action,
) -> AppResult<(HouseholdPlace, Community)> {
    let household = state.store.household(id).await?;
    let community = state.store.community(household.community_id).await?;
    if !user.principal().can_in_grid(action, community.id, community.street_id, household.grid_id) {
        return Err(AppError::NotFound);
    }
    Ok((household, community))
}

/// A household (户): who lives there, and the unit's property record.
pub async fn household(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (household, community) = household_in_reach(&state, &user, id, Action::ViewResidents).await?;
    let areas = state.store.unit_areas(household.id).await?;
    let show = |a: Option<Area>| a.map(|a| a.to_string()).unwrap_or_default();
    let counted = linli_domain::ownership::counted_area(areas.register, areas.survey, areas.contract)
        .map(|(a, s)| (a.to_string(), s.as_str()));
    let page = HouseholdPage {
        chrome: Chrome::new(
            &user.0,
            format!("{} {}-{} · {}", household.building, household.unit, household.room, community.name),
        ),
        can_manage: user.principal().can_in_community(Action::ManageOwnership, community.id, community.street_id),
        members: state.store.household_members(household.id).await?,
        owners: state.store.unit_owners(household.id).await?,
        areas: (show(areas.register), show(areas.survey), show(areas.contract)),
        counted,
        today: linli_store::today().format("%Y-%m-%d").to_string(),
        community,
        household,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct AreasForm {
    #[serde(default)]
    pub register_area: String,
    #[serde(default)]
    pub survey_area: String,
    #[serde(default)]
    pub contract_area: String,
}

fn optional_area(field: &'static str, raw: &str) -> Result<Option<Area>, FieldError> {
    if raw.trim().is_empty() { Ok(None) } else { Area::parse(field, raw).map(Some) }
}

pub async fn set_areas(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<AreasForm>,
) -> AppResult<Response> {
    let (household, community) = household_in_reach(&state, &user, id, Action::ViewResidents).await?;
    if !user.principal().can_in_community(Action::ManageOwnership, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let areas = UnitAreas {
        register: optional_area("register_area", &form.register_area)?,
        survey: optional_area("survey_area", &form.survey_area)?,
        contract: optional_area("contract_area", &form.contract_area)?,
    };
    state.store.set_unit_areas(household.id, areas).await?;
    Ok(Redirect::to(&format!("/households/{}#property", household.id)).into_response())
}

#[derive(Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    pub since: String,
    /// `person` or `developer`.
    #[serde(default)]
    pub holder: String,
    #[serde(default)]
    pub owner_name: String,
    #[serde(default)]
    pub owner_id_number: String,
    #[serde(default)]
    pub owner_phone: String,
    #[serde(default)]
    pub co_owner_name: String,
    #[serde(default)]
    pub co_owner_id_number: String,
}

/// Parses the new holders of a transfer: one owner, or two co-owners, or the developer.
fn holders(form: &TransferForm, today: chrono::NaiveDate) -> Result<Vec<NewHolder>, FieldError> {
    if form.holder == "developer" {
        let name = DisplayName::parse("owner_name", form.owner_name.trim())?;
        return Ok(vec![NewHolder::Developer { name: name.into_string() }]);
    }
    let mut out = vec![NewHolder::Person {
        name: DisplayName::parse("owner_name", form.owner_name.trim())?.into_string(),
        id_number: IdNumber::parse("owner_id_number", &form.owner_id_number, today)?,
        phone: match form.owner_phone.trim() {
            "" => None,
            p => Some(Phone::parse("owner_phone", p)?),
        },
    }];
    match (form.co_owner_name.trim(), form.co_owner_id_number.trim()) {
        ("", "") => {}
        (name, id) => out.push(NewHolder::Person {
            name: DisplayName::parse("co_owner_name", name)?.into_string(),
            id_number: IdNumber::parse("co_owner_id_number", id, today)?,
            phone: None,
        }),
    }
    Ok(out)
}

/// Records a transfer of the unit (过户) from a date: the current owners' rows end.
pub async fn transfer(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<TransferForm>,
) -> AppResult<Response> {
    let (household, community) = household_in_reach(&state, &user, id, Action::ViewResidents).await?;
    if !user.principal().can_in_community(Action::ManageOwnership, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let today = linli_store::today();
    let since = chrono::NaiveDate::parse_from_str(form.since.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today)
        .ok_or(FieldError::new("since", "error.date"))?;
    let holders = holders(&form, today)?;
    state.store.transfer_unit(household.id, &holders, since).await?;
    let detail = format!("{} {}-{} from {since}", household.building, household.unit, household.room);
    state.store.audit(Some(user.principal().account_id), Some(community.id), "ownership.transferred", &detail).await?;
    Ok(Redirect::to(&format!("/households/{}#property", household.id)).into_response())
}
