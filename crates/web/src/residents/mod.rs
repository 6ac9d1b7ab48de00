//! Residents, in one place: what the pages and the API share about their personal data
//! (scoping: a grid worker reaches own grids only, by every route; reveals with a reason;
//! audited exports), the registry's pages ([`pages`]), importing a file of them ([`import`],
//! [`import_file`]), care for those who need it
//! ([`care`]) and the JSON API ([`api`]).

pub mod api;
pub mod care;
pub mod import;
pub mod import_file;
pub mod pages;

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::{Action, FieldError, Reach};
use linli_store::admin::Community;
use linli_store::residents::{PersonalField, ResidentQuery, ResidentRow};

/// The community and how far `action` reaches into it; nothing reached is a 403.
pub async fn community_reach(
    state: &AppState,
    user: &User,
    community_id: i64,
    action: Action,
) -> AppResult<(Community, Reach)> {
    let community = state.store.community(community_id).await?;
    match user.principal().reach(action, community.id, community.street_id) {
        Reach::Nothing => Err(AppError::Forbidden),
        reach => Ok((community, reach)),
    }
}

/// The query for a list or export: the reach, narrowed to one grid if asked (which must
/// lie within the reach).
pub fn query(
    community_id: i64,
    reach: &Reach,
    grid_id: Option<i64>,
    search: Option<String>,
) -> AppResult<ResidentQuery> {
    let grid_ids = match (reach, grid_id) {
        (_, Some(g)) if !reach.includes_grid(g) => return Err(AppError::Forbidden),
        (_, Some(g)) => Some(vec![g]),
        (Reach::Grids(gs), None) => Some(gs.clone()),
        _ => None,
    };
    Ok(ResidentQuery { community_id, grid_ids, search, former: false, offset: 0, limit: 50 })
}

/// One resident, if `action` reaches the resident's grid; otherwise not found.
pub async fn reachable_resident(
    state: &AppState,
    user: &User,
    resident_id: i64,
    action: Action,
) -> AppResult<ResidentRow> {
    let resident = state.store.resident(resident_id).await?;
    let community = state.store.community(resident.community_id).await?;
    // Out of reach answers as a resident that does not exist: the status tells nothing.
    if !user.principal().can_in_grid(action, community.id, community.street_id, resident.grid_id) {
        return Err(AppError::NotFound);
    }
    Ok(resident)
}

/// A reason for looking at personal data: 2–200 characters.
pub fn reason(raw: &str) -> AppResult<String> {
    Ok(linli_domain::privacy::REVEAL_REASON.parse("reason", raw)?)
}

/// Reveals one field after checking permission, scope and reason; the store writes the
/// access record in the same transaction.
pub async fn reveal(
    state: &AppState,
    user: &User,
    resident_id: i64,
    field: &str,
    why: &str,
) -> AppResult<(ResidentRow, PersonalField, Option<String>)> {
    let resident = reachable_resident(state, user, resident_id, Action::RevealPersonalData).await?;
    let field = PersonalField::parse(field).ok_or(FieldError::new("field", "error.choice"))?;
    let why = reason(why)?;
    let value = state.store.reveal(resident.id, field, user.principal().account_id, &why).await?;
    Ok((resident, field, value))
}

/// Full values of the exported residents, by resident id (ID number, phone).
pub type FullValues = std::collections::HashMap<i64, (Option<String>, Option<String>)>;

/// The columns of an export, which are the columns the import reads. A masked export
/// carries the year of birth only (`birth_year`); a full one, the date read from the
/// revealed ID number (`birth_date`), so that it can be imported again.
pub fn export_header(full: bool) -> [&'static str; 11] {
    let birth = if full { "birth_date" } else { "birth_year" };
    ["id", "building", "unit", "room", "name", "gender", birth, "relation", "residence_type", "id_number", "phone"]
}

/// Export rows: masked, or with full values for re-import. Cells that a spreadsheet would
/// run as a formula are prefixed with an apostrophe.
pub fn export_records(rows: &[ResidentRow], full: Option<&FullValues>) -> Vec<Vec<String>> {
    let safe = |s: &str| if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    rows.iter()
        .map(|r| {
            let (id_number, phone) = match full.and_then(|f| f.get(&r.id)) {
                Some((n, p)) => (n.clone().unwrap_or_default(), p.clone().unwrap_or_default()),
                None if full.is_some() => (String::new(), String::new()),
                None => (r.id_number_masked.clone().unwrap_or_default(), r.phone_masked.clone().unwrap_or_default()),
            };
            // The full date only beside the full number it is read from.
            let birth = match id_number.get(6..14) {
                Some(d) if full.is_some() && d.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
                }
                _ => r.birth_year.to_string(),
            };
            vec![
                r.id.to_string(),
                safe(&r.building),
                r.unit.to_string(),
                safe(&r.room),
                safe(&r.name),
                r.gender.clone(),
                birth,
                r.relation.clone(),
                r.residence_type.clone(),
                id_number,
                phone,
            ]
        })
        .collect()
}
