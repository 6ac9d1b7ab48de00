//! Login, logout and the language switch.

use super::{CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, safe_next};
use crate::context::{Ctx, User};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use linli_domain::identity::LoginName;
use linli_store::throttle::ThrottleKey;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    login: String,
    next: String,
    error: Option<String>,
    error_field: Option<&'static str>,
    demo_logins: Vec<(String, String)>,
    demo_password: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(State(state): State<AppState>, ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    login_page(&state, &ctx, StatusCode::OK, String::new(), safe_next(q.next.as_deref()), None)
}

fn login_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    login: String,
    next: String,
    error: Option<(Option<&'static str>, String)>,
) -> Response {
    let t = ctx.tr();
    let (error_field, error) = match error {
        Some((field, message)) => (field, Some(message)),
        None => (None, None),
    };
    let page = LoginPage {
        chrome: Chrome::new(ctx, t.get("login.title")),
        login,
        next,
        error,
        error_field,
        demo_logins: state.settings.demo_logins.iter().map(|(r, l)| (t.role(*r).to_owned(), l.clone())).collect(),
        demo_password: linli_store::demo::DEMO_PASSWORD,
    };
    render(status, &page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let t = ctx.tr();
    let next = safe_next(form.next.as_deref());
    let fail = |status, field: Option<&'static str>, message: String| {
        Ok(login_page(&state, &ctx, status, form.login.clone(), next.clone(), Some((field, message))))
    };
    let name = match LoginName::parse("login", &form.login) {
        Ok(n) => n,
        Err(e) => return fail(StatusCode::UNPROCESSABLE_ENTITY, Some("login"), t.field_error(e.field, e.key)),
    };
    if form.password.is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, Some("password"), t.field_error("password", "error.required"));
    }
    let record = state.store.login_record(&name).await?;
    // Counted before the password is checked: per login name (the username and the phone
    // of one account are two names), per account (so that two names do not give twice the
    // guesses), and per address.
    let mut keys = vec![ThrottleKey::new(
        match &name {
            LoginName::Username(u) => format!("login:{}", u.as_str()),
            LoginName::Phone(p) => format!("login:{}", state.store.key().blind_index("throttle", p.as_str())),
        },
        state.settings.login_policy,
    )];
    if let Some(r) = &record {
        keys.push(ThrottleKey::new(format!("account:{}", r.id), state.settings.login_policy));
    }
    let ip_key = ctx.client_ip.map(|ip| format!("ip:{ip}"));
    if let Some(ip) = &ip_key {
        keys.push(ThrottleKey::shared(ip.clone(), state.settings.address_policy));
    }
    let account_id = record.as_ref().map(|r| r.id);
    if let Some(until) = state.store.begin_attempt(&keys).await? {
        state.store.audit(account_id, None, "login.refused_locked", &keys[0].key).await?;
        return fail(StatusCode::TOO_MANY_REQUESTS, None, locked_message(t, until));
    }
    let password = form.password.clone();
    // Hash even for an unknown name, so response time does not reveal which names exist.
    let hash = record.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
    let verified = tokio::task::spawn_blocking(move || linli_store::crypto::verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let account = match record {
        Some(r) if verified && !r.disabled => r,
        _ => {
            let locked = state.store.attempt_failed(&keys).await?;
            state.store.audit(account_id, None, "login.failed", &ip_key.clone().unwrap_or_default()).await?;
            if let Some(until) = locked {
                state.store.audit(account_id, None, "login.locked", &keys[0].key).await?;
                return fail(StatusCode::TOO_MANY_REQUESTS, None, locked_message(t, until));
            }
            return fail(StatusCode::UNAUTHORIZED, None, t.get("login.failed").to_owned());
        }
    };
    state.store.attempt_succeeded(&keys).await?;
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (token, _csrf) = state.store.create_session(account.id, state.settings.session_ttl_ms, user_agent).await?;
    state.store.audit(Some(account.id), None, "login", user_agent).await?;
    let mut jar = jar.add(session_cookie(&state, token)).remove(Cookie::build(CSRF_COOKIE).path("/"));
    if jar.get(LANG_COOKIE).is_none() {
        jar = jar.add(lang_cookie(&state, &account.locale));
    }
    Ok((jar, Redirect::to(&next)).into_response())
}

/// "Locked: try again in N minutes", for a lock that ends at `until` (ms).
pub(crate) fn locked_message(t: crate::i18n::Tr, until: i64) -> String {
    let minutes = (until - linli_store::now_ms()).div_euclid(60_000) + 1;
    t.fill("login.locked", &[("minutes", &minutes)])
}

/// An argon2id hash of a random password, verified against when the login name is
/// unknown so that both paths cost the same.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    linli_store::crypto::hash_password(&linli_store::crypto::random_token()).unwrap_or_default()
});

fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .build()
}

fn lang_cookie(state: &AppState, lang: &str) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.to_owned()))
        .path("/")
        .max_age(time::Duration::days(365))
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .build()
}

pub async fn logout(State(state): State<AppState>, User(_, authed): User, jar: CookieJar) -> AppResult<Response> {
    if let super::Credential::Session(token) = &authed.credential {
        state.store.end_session(token).await?;
    }
    state.store.audit(Some(authed.principal.account_id), None, "logout", "").await?;
    // The language goes with the person: whoever signs in next in this browser gets their
    // own (their account's, or what they pick on the sign-in page).
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/")).remove(Cookie::build(LANG_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    next: Option<String>,
}

/// Switches the language; it sticks in a cookie and, when signed in, on the account.
pub async fn set_language(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Form(form): Form<LanguageForm>,
) -> AppResult<Response> {
    let lang = crate::i18n::Lang::parse(&form.lang).ok_or(AppError::invalid("lang", "error.choice"))?;
    if let Some(p) = ctx.principal() {
        state.store.set_locale(p.account_id, lang.as_str()).await?;
    }
    let jar = jar.add(lang_cookie(&state, lang.as_str()));
    Ok((jar, Redirect::to(&safe_next(form.next.as_deref()))).into_response())
}
