//! Grid boundaries as GeoJSON: export for GIS tools, import that checks every polygon
//! (closed, inside the community's code, no overlaps) and places each building by its
//! position, all in one transaction.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::Action;
use linli_domain::admin::{AdminCode, Level};
use linli_domain::geometry::{self, ShapeError};
use linli_store::admin::Community;

pub(crate) use crate::context::community_for;

/// The community's grids as a GeoJSON FeatureCollection (properties: code, name).
pub async fn geojson_text(state: &AppState, user: &User, community_id: i64) -> AppResult<String> {
    let community = community_for(state, user, community_id, Action::ViewCommunity).await?;
    let features: Vec<serde_json::Value> = state
        .store
        .grids(community.id)
        .await?
        .into_iter()
        .map(|g| {
            let geometry = g.boundary.as_deref().and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
            serde_json::json!({"type": "Feature", "properties": {"code": g.code, "name": g.name}, "geometry": geometry})
        })
        .collect();
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}).to_string())
}

pub async fn export(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let body = geojson_text(&state, &user, community_id).await?;
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/geo+json"));
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"grids.geojson\""));
    Ok(r)
}

#[derive(Template)]
#[template(path = "grids_import.html")]
struct GridsImportPage {
    chrome: Chrome,
    community: Community,
    errors: Vec<(usize, String, String)>,
}

async fn page(
    state: &AppState,
    user: &User,
    community_id: i64,
    status: StatusCode,
    errors: Vec<(usize, String, String)>,
) -> AppResult<Response> {
    let community = community_for(state, user, community_id, Action::ManageGrids).await?;
    let t = user.0.tr();
    let page = GridsImportPage { chrome: Chrome::new(&user.0, t.get("grids.import")), community, errors };
    Ok(render(status, &page))
}

pub async fn form(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    page(&state, &user, community_id, StatusCode::OK, Vec::new()).await
}

/// Checks the file whole; on success writes boundaries and moves buildings at once.
pub async fn import(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManageGrids).await?;
    let t = user.0.tr();
    let mut text = String::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            text = field.text().await.map_err(|_| AppError::invalid("file", "error.import.unreadable"))?;
        }
    }
    let show = |errors: Vec<ShapeError>| {
        errors
            .into_iter()
            .map(|e| {
                let which = e.code.clone().unwrap_or_else(|| "—".into());
                let reason = t.fill(e.key, &[("other", &e.other.clone().unwrap_or_default())]);
                (e.feature, which, reason)
            })
            .collect::<Vec<_>>()
    };
    let code = AdminCode::parse("code", Level::Community, &community.code, None)?;
    let shapes = match geometry::parse_grids(&text, &code) {
        Ok(s) => s,
        Err(errors) => return page(&state, &user, community.id, StatusCode::UNPROCESSABLE_ENTITY, show(errors)).await,
    };
    let mut problems = Vec::new();
    // Grids are never dropped by an import: their workers, buildings and history stay.
    for g in state.store.grids(community.id).await? {
        if !shapes.iter().any(|s| s.code == g.code) {
            problems.push(ShapeError { feature: 0, code: Some(g.code), key: "error.geo.missing", other: None });
        }
    }
    let mut placements = Vec::new();
    // A building placed by hand stays in its grid, wherever the new boundaries run.
    for b in state.store.building_places(community.id).await?.into_iter().filter(|b| !b.grid_pinned) {
        match geometry::locate(b.lon, b.lat, &shapes) {
            Some(i) => placements.push((b.id, shapes[i].code.clone())),
            None => problems.push(ShapeError {
                feature: 0,
                code: None,
                key: "error.geo.building_outside",
                other: Some(b.name),
            }),
        }
    }
    if !problems.is_empty() {
        return page(&state, &user, community.id, StatusCode::UNPROCESSABLE_ENTITY, show(problems)).await;
    }
    let grids: Vec<(String, String, String)> = shapes.into_iter().map(|s| (s.code, s.name, s.geometry)).collect();
    let moved = state.store.apply_grid_shapes(community.id, &grids, &placements).await?;
    state
        .store
        .audit(
            Some(user.principal().account_id),
            Some(community.id),
            "grids.imported",
            &format!("{} grids, {moved} buildings moved", grids.len()),
        )
        .await?;
    Ok(Redirect::to(&format!("/communities/{}?moved={moved}", community.id)).into_response())
}
