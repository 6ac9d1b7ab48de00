//! Buildings from a file: check every row (dry run, or the real thing, all or nothing),
//! and export the same columns.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::registry::building_file;
use crate::residents::import_file::RowError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::Action;
use linli_store::admin::Community;
use serde::Deserialize;

async fn community_for(state: &AppState, user: &User, community_id: i64) -> AppResult<Community> {
    super::grids::community_for(state, user, community_id, Action::ManageGrids).await
}

#[derive(Template)]
#[template(path = "buildings_import.html")]
struct Page {
    chrome: Chrome,
    community: Community,
    errors: Vec<(usize, String, String)>,
    /// How many rows passed a dry run, or were written.
    checked: Option<usize>,
    written: Option<u64>,
    problem: Option<String>,
}

async fn page(
    user: &User,
    community: Community,
    status: StatusCode,
    errors: Vec<RowError>,
    outcome: (Option<usize>, Option<u64>),
    problem: Option<String>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let errors =
        errors.into_iter().map(|e| (e.line, t.label("field", e.column), t.field_error(e.column, e.key))).collect();
    let page = Page {
        chrome: Chrome::new(&user.0, t.get("buildings.import")),
        community,
        errors,
        checked: outcome.0,
        written: outcome.1,
        problem,
    };
    Ok(render(status, &page))
}

pub async fn form(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id).await?;
    page(&user, community, StatusCode::OK, Vec::new(), (None, None), None).await
}

/// Checks the uploaded file whole. With `dry_run`, or with any bad row, nothing is written.
pub async fn upload(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id).await?;
    let mut file = None;
    let mut dry_run = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("file") => {
                file = Some(field.bytes().await.map_err(|_| AppError::invalid("file", "error.import.unreadable"))?)
            }
            Some("dry_run") => dry_run = true,
            _ => {}
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let problem = user.0.tr().field_error("file", "error.required");
        return page(&user, community, StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), (None, None), Some(problem)).await;
    };
    let bytes =
        if crate::spreadsheet::is_xlsx(&bytes) { crate::spreadsheet::xlsx_to_csv(&bytes)?.into() } else { bytes };
    let checked = building_file::check(&state.store, community.id, &bytes).await?;
    if !checked.errors.is_empty() {
        return page(&user, community, StatusCode::UNPROCESSABLE_ENTITY, checked.errors, (None, None), None).await;
    }
    if dry_run {
        let n = checked.rows.len();
        return page(&user, community, StatusCode::OK, Vec::new(), (Some(n), None), None).await;
    }
    let written = state.store.insert_buildings(community.id, &checked.rows).await?;
    let detail = format!("{written} buildings imported");
    state.store.audit(Some(user.principal().account_id), Some(community.id), "buildings.imported", &detail).await?;
    page(&user, community, StatusCode::OK, Vec::new(), (None, Some(written)), None).await
}

#[derive(Deserialize)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// The community's buildings in the import's columns.
pub async fn export(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id).await?;
    let records: Vec<Vec<String>> = state
        .store
        .building_records(community.id)
        .await?
        .into_iter()
        .map(|b| {
            vec![
                b.name,
                b.address,
                format!("{:.6}", b.lon),
                format!("{:.6}", b.lat),
                b.floors.to_string(),
                b.units.to_string(),
                b.grid_code,
            ]
        })
        .collect();
    let table = crate::spreadsheet::Table::text("buildings", &building_file::HEADER, records);
    crate::spreadsheet::download("buildings", q.format.as_deref() == Some("xlsx"), &[table], "", false)
}
