//! Account administration.

use crate::context::User;
use crate::error::AppResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use linli_store::accounts::AccountSummary;
use serde::Deserialize;
use utoipa::IntoParams;

crate::view! {
    /// An account as listed to administrators, phone masked.
    AccountView from AccountSummary {
        id: i64,
        username: Option<String>,
        /// e.g. `138****5678`.
        phone_masked: Option<String>,
        display_name: String,
        /// `zh` or `en`.
        locale: String,
        disabled: bool,
        /// Comma-separated role names.
        roles: String,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct Paging {
    /// Rows to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows to return, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// All accounts, phones masked.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "admin", params(Paging),
    responses((status = 200, body = [AccountView]), (status = 403, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _user: User,
    Query(p): Query<Paging>,
) -> AppResult<Json<Vec<AccountView>>> {
    let (offset, limit) = crate::api::page(p.offset, p.limit, 100, 500)?;
    Ok(Json(crate::api::views(state.store.accounts(offset, limit).await?)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CreatedAccount {
    pub id: i64,
}

/// Creates an account with one role, anchored where the role acts.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "admin", request_body = crate::accounts::AccountInput,
    responses((status = 201, body = CreatedAccount), (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: User,
    crate::api::ApiJson(input): crate::api::ApiJson<crate::accounts::AccountInput>,
) -> AppResult<(axum::http::StatusCode, Json<CreatedAccount>)> {
    let id = crate::accounts::create(&state, user.principal().account_id, &input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(CreatedAccount { id })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AccountChange {
    /// Disable (signs the account out everywhere and stops its tokens) or enable.
    pub disabled: bool,
}

/// Disables or enables an account.
#[utoipa::path(patch, path = "/api/v1/accounts/{account_id}", tag = "admin", request_body = AccountChange,
    params(("account_id" = i64, Path, description = "Account id")),
    responses((status = 204), (status = 404, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody, description = "An administrator cannot disable their own account"),
              (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn update(
    State(state): State<AppState>,
    user: User,
    axum::extract::Path(account_id): axum::extract::Path<i64>,
    crate::api::ApiJson(change): crate::api::ApiJson<AccountChange>,
) -> AppResult<axum::http::StatusCode> {
    crate::accounts::set_disabled(&state, user.principal().account_id, account_id, change.disabled).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
