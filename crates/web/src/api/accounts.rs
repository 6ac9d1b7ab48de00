//! Account administration.

use crate::auth::User;
use crate::error::AppResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use linli_store::accounts::AccountSummary;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct Paging {
    /// Rows to skip (default 0).
    pub offset: Option<i64>,
    /// Rows to return, 1–500 (default 100).
    pub limit: Option<i64>,
}

/// All accounts, phones masked.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "admin", params(Paging),
    responses((status = 200, body = [AccountSummary]), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _user: User,
    Query(p): Query<Paging>,
) -> AppResult<Json<Vec<AccountSummary>>> {
    let limit = p.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(state.store.accounts(p.offset.unwrap_or(0).max(0), limit).await?))
}
