//! The caller's personal access tokens.

use crate::api::ApiJson;
use crate::context::User;
use crate::error::AppResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use linli_domain::identity::DisplayName;
use linli_store::tokens::ApiToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::view! {
    /// A personal access token, without its secret.
    TokenView from ApiToken {
        id: i64,
        name: String,
        /// The first characters of the token, to tell tokens apart.
        prefix: String,
        /// UTC milliseconds, as every time here.
        created_at: i64,
        last_used_at: Option<i64>,
        revoked_at: Option<i64>,
    }
}

/// The caller's tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, body = [TokenView]), (status = 401, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, user: User) -> AppResult<Json<Vec<TokenView>>> {
    Ok(Json(crate::api::views(state.store.api_tokens(user.principal().account_id).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// What the token is for, e.g. "数据大屏".
    #[schema(schema_with = crate::api::schema::display_name)]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret, shown only in this response.
    pub token: String,
    #[serde(flatten)]
    pub record: TokenView,
}

/// Creates a token; the secret is returned once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<CreatedToken>)> {
    let name = DisplayName::parse("name", &body.name)?;
    let account_id = user.principal().account_id;
    let (token, record) = state.store.create_api_token(account_id, name.as_str()).await?;
    state.store.audit(Some(account_id), None, "token.created", &record.prefix).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, record: record.into() })))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "account",
    params(("token_id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn revoke(State(state): State<AppState>, user: User, Path(token_id): Path<i64>) -> AppResult<StatusCode> {
    let account_id = user.principal().account_id;
    state.store.revoke_api_token(account_id, token_id).await?;
    state.store.audit(Some(account_id), None, "token.revoked", &token_id.to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}
