//! Who is asking, in what language, and whether a state-changing request carries its
//! CSRF token. The [`context`] middleware resolves this once per request into a [`Ctx`]
//! extension that handlers extract; it also renders every [`ErrorInfo`] response into
//! an HTML page or the JSON error shape (see `error.rs`).
//!
//! - Browser sessions: an HttpOnly, SameSite=Lax cookie holding a random token whose
//!   hash is the session's key in the database; `Secure` behind TLS.
//! - API clients: `Authorization: Bearer lnl_…` personal access tokens. A bad token is a
//!   401, never a silent fall-back to anonymous.
//! - CSRF: every POST/PUT/PATCH/DELETE made with cookies must echo the session's token
//!   (or, before login, the `linli_csrf` cookie's) in the `_csrf` form field or the
//!   `X-CSRF-Token` header (file uploads: the `_csrf` query parameter). Bearer-token
//!   requests carry no ambient credentials and skip it.

pub mod login;

use crate::context::{Authed, Credential, Ctx};
use crate::error::{AppError, ErrorInfo};
use crate::i18n::Lang;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use linli_domain::Action;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "linli_session";
pub const LANG_COOKIE: &str = "linli_lang";
pub const CSRF_COOKIE: &str = "linli_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Paths served without looking up a session: fast, and never personal.
/// Open311 is bare too: its clients carry an api_key, not a session, and it writes its own
/// errors in the spec's shape. Devices carry their own token to the ingestion endpoint.
fn is_bare(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/api/v1/telemetry")
        || path.starts_with("/static/")
        || path.starts_with("/open311/")
}

pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Resolves [`Ctx`], checks CSRF, runs the request, and renders errors.
pub async fn context(State(state): State<AppState>, jar: CookieJar, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    let cookie_lang = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
    let client_ip = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let mut ctx =
        Ctx { user: None, lang: cookie_lang.unwrap_or_default(), csrf: String::new(), request_id, path, client_ip };
    if is_bare(&ctx.path) {
        // No session or personal token here (a device has its own); an API refusal still
        // gets the one error shape, in the language the client asks for.
        if is_api(&ctx.path) {
            ctx.lang = crate::i18n::accept_language(req.headers()).unwrap_or(ctx.lang);
            let response = next.run(with_ctx(req, ctx.clone())).await;
            return render_error(&ctx, response);
        }
        return next.run(with_ctx(req, ctx)).await;
    }
    match resolve(&state, &jar, req.headers(), &mut ctx, cookie_lang).await {
        Ok(()) => {}
        Err(e) => return render_error(&ctx, e.into_response()),
    }
    let mut new_csrf_cookie = None;
    if ctx.csrf.is_empty() {
        // Anonymous: double-submit token from the pre-session cookie, made on first visit.
        ctx.csrf = match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() >= 32 => c.value().to_owned(),
            _ => {
                let fresh = linli_store::crypto::random_token();
                new_csrf_cookie = Some(fresh.clone());
                fresh
            }
        };
    }
    let needs_csrf = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !matches!(ctx.user.as_deref(), Some(Authed { credential: Credential::ApiToken, .. }));
    // An API write with no credential at all is unauthenticated (401), not a CSRF failure.
    if needs_csrf && ctx.user.is_none() && is_api(&ctx.path) {
        return render_error(&ctx, AppError::Unauthenticated.into_response());
    }
    let req = if needs_csrf {
        match check_csrf(req, &ctx.csrf).await {
            Ok(req) => req,
            Err(e) => return render_error(&ctx, e.into_response()),
        }
    } else {
        req
    };
    let response = next.run(with_ctx(req, ctx.clone())).await;
    let mut response = render_error(&ctx, response);
    // What a signed-in person is shown is theirs (names, masked numbers, cases): no
    // browser or proxy cache keeps it, unless the handler decided otherwise.
    if ctx.user.is_some() && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(token) = new_csrf_cookie {
        let cookie = Cookie::build((CSRF_COOKIE, token))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.settings.secure_cookies)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn with_ctx(mut req: Request, ctx: Ctx) -> Request {
    req.extensions_mut().insert(ctx);
    req
}

async fn resolve(
    state: &AppState,
    jar: &CookieJar,
    headers: &HeaderMap,
    ctx: &mut Ctx,
    cookie_lang: Option<Lang>,
) -> Result<(), AppError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let account_id = state.store.authenticate_api_token(token).await?.ok_or(AppError::Unauthenticated)?;
        let (principal, locale) = state.store.principal(account_id).await?.ok_or(AppError::Unauthenticated)?;
        ctx.lang = cookie_lang.or_else(|| Lang::parse(&locale)).unwrap_or_default();
        ctx.user = Some(Arc::new(Authed { principal, credential: Credential::ApiToken }));
        return Ok(());
    }
    let Some(cookie) = jar.get(SESSION_COOKIE) else { return Ok(()) };
    let token = cookie.value().to_owned();
    let Some(session) = state.store.session(&token, state.settings.session_ttl_ms).await? else { return Ok(()) };
    let Some((principal, locale)) = state.store.principal(session.account_id).await? else { return Ok(()) };
    ctx.lang = cookie_lang.or_else(|| Lang::parse(&locale)).unwrap_or_default();
    ctx.csrf = session.csrf_token;
    ctx.user = Some(Arc::new(Authed { principal, credential: Credential::Session(token) }));
    Ok(())
}

/// Largest form body read to find its `_csrf` field.
const FORM_LIMIT: usize = 1024 * 1024;

async fn check_csrf(req: Request, expected: &str) -> Result<Request, AppError> {
    if let Some(v) = req.headers().get(CSRF_HEADER) {
        return if constant_time_eq(v.as_bytes(), expected.as_bytes()) { Ok(req) } else { Err(AppError::Csrf) };
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("multipart/form-data") {
        // File uploads carry the token in the action's query string, so the body (which
        // can be large) is not read twice.
        let given = req
            .uri()
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v))
            .unwrap_or_default();
        return if constant_time_eq(given.as_bytes(), expected.as_bytes()) { Ok(req) } else { Err(AppError::Csrf) };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes =
        axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| AppError::invalid("body", "error.too_large"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::Csrf)?;
    let given = pairs.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(AppError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Route guard: the caller must be signed in and hold a role that permits `action`.
pub async fn require(action: Action, req: Request, next: Next) -> Response {
    let Some(ctx) = req.extensions().get::<Ctx>() else {
        return AppError::Internal(anyhow::anyhow!("context middleware missing")).into_response();
    };
    match ctx.principal() {
        None => AppError::Unauthenticated.into_response(),
        Some(p) if !p.can(action) => AppError::Forbidden.into_response(),
        Some(_) => next.run(req).await,
    }
}

/// What an error answer that no handler described is, by its status: the router's own
/// refusals (a path or query that does not parse, a method the route does not have, a body
/// too large or not JSON), so that the API answers each in its one error shape.
fn info_of_status(status: StatusCode) -> ErrorInfo {
    let (code, key) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "error.bad_request"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error.method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "error.too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "error.media_type"),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid", "error.json"),
        StatusCode::NOT_FOUND => ("not_found", "error.not_found"),
        s if s.is_server_error() => ("unavailable", "error.unavailable"),
        _ => ("bad_request", "error.bad_request"),
    };
    ErrorInfo { code, key, field: None }
}

/// Turns a response carrying [`ErrorInfo`] into the page or JSON the caller expects.
fn render_error(ctx: &Ctx, response: Response) -> Response {
    let described = response.extensions().get::<ErrorInfo>().cloned();
    let status = response.status();
    let info = match described {
        Some(info) => info,
        // Under /api an error no handler described still gets the error shape; the
        // allowed methods of a 405 are kept.
        None if is_api(&ctx.path) && (status.is_client_error() || status.is_server_error()) => {
            let allow = response.headers().get(header::ALLOW).cloned();
            let mut r = render_error(ctx, {
                let mut bare = status.into_response();
                bare.extensions_mut().insert(info_of_status(status));
                bare
            });
            if let Some(allow) = allow {
                r.headers_mut().insert(header::ALLOW, allow);
            }
            return r;
        }
        None => return response,
    };
    let tr = ctx.tr();
    let message = match info.field {
        Some(field) => tr.field_error(field, info.key),
        None => tr.get(info.key).to_owned(),
    };
    if is_api(&ctx.path) {
        let body = serde_json::json!({
            "error": { "code": info.code, "message": message, "field": info.field, "request_id": ctx.request_id }
        });
        let mut r = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return r;
    }
    if status == StatusCode::UNAUTHORIZED {
        let next = if ctx.path == "/" { String::new() } else { format!("?next={}", urlencode(&ctx.path)) };
        return Redirect::to(&format!("/login{next}")).into_response();
    }
    crate::frame::error_page(ctx, status, &message)
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e[1..].to_owned()).unwrap_or_default()
}

/// Only a path on this site is followed after login, so `next` cannot send anyone
/// off-site. Browsers drop tabs and line breaks from a URL and read `\\` as `/`, so a
/// path with any whitespace, control character or backslash is refused as a whole, as is
/// one that a browser would read as another host (`//host`) or that is not a valid URI
/// path (which would otherwise fail as a header).
pub fn safe_next(next: Option<&str>) -> String {
    let acceptable = |n: &str| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\')
            && n.parse::<axum::http::uri::PathAndQuery>().is_ok()
            && HeaderValue::from_str(n).is_ok()
    };
    match next {
        Some(n) if acceptable(n) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next(Some("/grids/3")), "/grids/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/", "a tab that browsers drop");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/\r\n/x")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/\u{3000}/evil.example")), "/", "an ideographic space");
        assert_eq!(safe_next(Some("/cases/3?tab=timeline")), "/cases/3?tab=timeline");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn csrf_comparison_needs_equal_non_empty_tokens() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
