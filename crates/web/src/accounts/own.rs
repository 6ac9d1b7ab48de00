//! The signed-in person's own account: profile and roles, password change, personal
//! access tokens for API clients, and recent security events.

use crate::context::{Credential, User};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::identity::{DisplayName, NewPassword};
use linli_store::throttle::ThrottleKey;
use linli_store::tokens::ApiToken;
use serde::Deserialize;

pub struct EventRow {
    pub at: String,
    pub action: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    roles: Vec<&'static str>,
    tokens: Vec<(ApiToken, String, String)>,
    new_token: Option<String>,
    notice: Option<String>,
    password_error: Option<(&'static str, String)>,
    token_error: Option<String>,
    events: Vec<EventRow>,
}

#[derive(Default)]
struct Flash {
    new_token: Option<String>,
    notice: Option<String>,
    password_error: Option<(&'static str, String)>,
    token_error: Option<String>,
}

async fn page(state: &AppState, user: &User, status: StatusCode, flash: Flash) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let tokens = state
        .store
        .api_tokens(p.account_id)
        .await?
        .into_iter()
        .map(|tok| {
            let created = format_ms(tok.created_at);
            let used = tok.last_used_at.map(format_ms).unwrap_or_else(|| t.get("token.never").to_owned());
            (tok, created, used)
        })
        .collect();
    let events = state
        .store
        .audit_events_of(p.account_id, 10)
        .await?
        .into_iter()
        .map(|e| EventRow {
            at: format_ms(e.at),
            action: t.get(&format!("audit.{}", e.action)).to_owned(),
            detail: e.detail,
        })
        .collect();
    let mut roles: Vec<&'static str> = p.roles().map(|r| t.role(r)).collect();
    roles.dedup();
    let page = AccountPage {
        chrome: Chrome::new(&user.0, t.get("account.title")),
        roles,
        tokens,
        new_token: flash.new_token,
        notice: flash.notice,
        password_error: flash.password_error,
        token_error: flash.token_error,
        events,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User) -> AppResult<Response> {
    page(&state, &user, StatusCode::OK, Flash::default()).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let account_id = user.principal().account_id;
    let invalid = |field: &'static str, key: &str| Flash {
        password_error: Some((field, t.field_error(field, key))),
        ..Flash::default()
    };
    // Only from a signed-in browser: an API token must not be able to take the account.
    let Credential::Session(session) = &user.1.credential else { return Err(AppError::Forbidden) };
    // Guesses of the current password are counted like logins, before the check.
    let keys = [ThrottleKey::new(format!("password:{account_id}"), state.settings.login_policy)];
    if let Some(until) = state.store.begin_attempt(&keys).await? {
        state.store.audit(Some(account_id), None, "password.refused_locked", "").await?;
        let flash = Flash {
            password_error: Some(("current", crate::auth::login::locked_message(t, until))),
            ..Flash::default()
        };
        return page(&state, &user, StatusCode::TOO_MANY_REQUESTS, flash).await;
    }
    let hash = state.store.password_hash(account_id).await?;
    let current = form.current.clone();
    let ok = tokio::task::spawn_blocking(move || linli_store::crypto::verify_password(&current, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    if !ok {
        let locked = state.store.attempt_failed(&keys).await?;
        state.store.audit(Some(account_id), None, "password.wrong", "").await?;
        if locked.is_some() {
            state.store.audit(Some(account_id), None, "password.locked", "").await?;
        }
        return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, invalid("current", "error.password.wrong")).await;
    }
    state.store.attempt_succeeded(&keys).await?;
    let new = match NewPassword::parse("new", &form.new) {
        Ok(n) => n,
        Err(e) => return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, invalid(e.field, e.key)).await,
    };
    if form.new != form.confirm {
        return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, invalid("confirm", "error.password.mismatch"))
            .await;
    }
    state.store.change_password(account_id, &new, Some(session.as_str())).await?;
    state.store.audit(Some(account_id), None, "password.changed", "").await?;
    page(
        &state,
        &user,
        StatusCode::OK,
        Flash { notice: Some(t.get("account.password_changed").to_owned()), ..Flash::default() },
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let name = match DisplayName::parse("token_name", &form.name) {
        Ok(n) => n,
        Err(e) => {
            let flash = Flash { token_error: Some(t.field_error(e.field, e.key)), ..Flash::default() };
            return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, flash).await;
        }
    };
    let account_id = user.principal().account_id;
    let (secret, token) = state.store.create_api_token(account_id, name.as_str()).await?;
    state.store.audit(Some(account_id), None, "token.created", &token.prefix).await?;
    page(&state, &user, StatusCode::CREATED, Flash { new_token: Some(secret), ..Flash::default() }).await
}

pub async fn revoke_token(State(state): State<AppState>, user: User, Path(token_id): Path<i64>) -> AppResult<Response> {
    let account_id = user.principal().account_id;
    state.store.revoke_api_token(account_id, token_id).await?;
    state.store.audit(Some(account_id), None, "token.revoked", &token_id.to_string()).await?;
    Ok(Redirect::to("/account#tokens").into_response())
}
