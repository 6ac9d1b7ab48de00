//! Importing residents from a file: upload and check (nothing written), then commit the
//! checked batch in one transaction.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::residents as shared;
use crate::residents::import_file::{self, RowError};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::Action;
use linli_store::admin::Community;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    community: Community,
    errors: Vec<(usize, String, String)>,
    ready: Option<(i64, usize)>,
    problem: Option<String>,
}

async fn page(
    state: &AppState,
    user: &User,
    community_id: i64,
    status: StatusCode,
    errors: Vec<RowError>,
    ready: Option<(i64, usize)>,
    problem: Option<String>,
) -> AppResult<Response> {
    let (community, _) = shared::community_reach(state, user, community_id, Action::ImportResidents).await?;
    let t = user.0.tr();
    let errors = errors
        .into_iter()
        .map(|e| {
            let column = t.label("field", e.column);
            let reason = t.field_error(e.column, e.key);
            (e.line, column, reason)
        })
        .collect();
    let page = ImportPage { chrome: Chrome::new(&user.0, t.get("import.title")), community, errors, ready, problem };
    Ok(render(status, &page))
}

pub async fn form(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    page(&state, &user, community_id, StatusCode::OK, Vec::new(), None, None).await
}

/// Checks an uploaded file; keeps it (sealed) for the commit if every row is good.
pub async fn check(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let (community, reach) = shared::community_reach(&state, &user, community_id, Action::ImportResidents).await?;
    if reach != linli_domain::Reach::Community {
        return Err(AppError::Forbidden);
    }
    let t = user.0.tr();
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(|_| AppError::invalid("file", "error.import.unreadable"))?);
        }
    }
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        let problem = t.field_error("file", "error.required");
        return page(&state, &user, community.id, StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), None, Some(problem))
            .await;
    };
    // A workbook is read as the CSV of its first sheet: one checking path for both.
    let bytes =
        if crate::spreadsheet::is_xlsx(&bytes) { crate::spreadsheet::xlsx_to_csv(&bytes)?.into() } else { bytes };
    let checked = import_file::check(&state.store, community.id, &bytes).await?;
    if !checked.errors.is_empty() {
        return page(&state, &user, community.id, StatusCode::UNPROCESSABLE_ENTITY, checked.errors, None, None).await;
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let batch = state
        .store
        .save_import_batch(community.id, user.principal().account_id, "residents", &text, checked.rows.len() as i64)
        .await?;
    page(&state, &user, community.id, StatusCode::OK, Vec::new(), Some((batch, checked.rows.len())), None).await
}

/// Imports a checked batch, checking it once more against the registry as it is now.
pub async fn commit(
    State(state): State<AppState>,
    user: User,
    Path((community_id, batch_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (community, reach) = shared::community_reach(&state, &user, community_id, Action::ImportResidents).await?;
    if reach != linli_domain::Reach::Community {
        return Err(AppError::Forbidden);
    }
    let actor = user.principal().account_id;
    let text = state.store.import_batch(batch_id, community.id, actor).await?;
    let checked = import_file::check(&state.store, community.id, text.as_bytes()).await?;
    if !checked.errors.is_empty() {
        return page(&state, &user, community.id, StatusCode::CONFLICT, checked.errors, None, None).await;
    }
    let n = state.store.import_residents(community.id, &checked.rows).await?;
    state.store.delete_import_batch(batch_id).await?;
    state.store.audit(Some(actor), Some(community.id), "registry.import", &format!("{n} residents")).await?;
    Ok(Redirect::to(&format!("/communities/{}/residents?imported={n}", community.id)).into_response())
}
